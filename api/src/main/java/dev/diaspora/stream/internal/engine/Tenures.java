package dev.diaspora.stream.internal.engine;

import dev.diaspora.stream.ConsumerConflictException;

/**
 * A consumer's tenures of its partitions: a counter per partition, advanced each time a group rebalance assigns the
 * partition to the consumer again. An event remembers the tenure it was delivered in; its acknowledgement counts only
 * in that tenure, so that an event delivered before a revocation and acknowledged after the partition came back
 * cannot move the new tenure's acknowledged position (which starts afresh) back behind what another member stored
 * meanwhile. Not API.
 *
 * <p>Thread safety: {@link #begin} runs on the consumer's fetch thread; {@link #current} and {@link #acknowledge} on
 * any thread.
 */
final class Tenures {
    private final PartitionLongs tenure;

    Tenures(int numPartitions) {
        this.tenure = new PartitionLongs(numPartitions, 0);
    }

    /** @return the current tenure of partition {@code p}, to stamp on the events delivered from it */
    int current(int p) {
        return (int) tenure.get(p);
    }

    /**
     * Starts a new tenure of partition {@code p}: call before resetting its acknowledged position, so that an
     * acknowledgement of an earlier tenure that raced with the reset sees the change.
     */
    void begin(int p) {
        tenure.incrementAndGet(p);
    }

    /**
     * Raises {@code acked[p]} to {@code next} (the id after the acknowledged event) if the event was delivered in the
     * partition's current tenure.
     *
     * @throws ConsumerConflictException if the event was delivered in an earlier tenure (nothing changes; if a new
     *     tenure began during the call, a value it set is taken back unless the new tenure raised it further)
     */
    void acknowledge(PartitionLongs acked, int p, long next, int eventTenure, String consumer, String topic) {
        if (tenure.get(p) != eventTenure) {
            throw stale(p, next - 1, consumer, topic);
        }
        long cur;
        while ((cur = acked.get(p)) < next) {
            if (acked.compareAndSet(p, cur, next)) {
                if (tenure.get(p) != eventTenure) {
                    // a new tenure began meanwhile and may have reset the position before this CAS: take it back
                    // (at worst an acknowledgement of the new tenure is lost: its event comes again, never skipped)
                    acked.compareAndSet(p, next, -1);
                    throw stale(p, next - 1, consumer, topic);
                }
                return;
            }
        }
    }

    /** The topic grew to {@code numPartitions} partitions. */
    void grow(int numPartitions) {
        tenure.grow(numPartitions);
    }

    private static ConsumerConflictException stale(int p, long id, String consumer, String topic) {
        return new ConsumerConflictException("consumer '" + consumer + "' of topic '" + topic + "': event " + id
                + " of partition " + p + " was delivered before a group rebalance took the partition away, and this"
                + " consumer has the partition again since: its acknowledgement is not stored (the partition's"
                + " position was stored by its reader meanwhile, and this event may be delivered again). Acknowledge"
                + " events promptly, or use ConsumerOptions.targets for a fixed assignment.");
    }
}
