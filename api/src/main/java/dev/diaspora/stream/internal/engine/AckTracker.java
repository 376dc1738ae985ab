package dev.diaspora.stream.internal.engine;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * A consumer's acknowledgements: per partition the next id after the last acknowledged event, raised by the
 * application's acknowledgements (only within the tenure the event was delivered in, see {@link Tenures}; stepping
 * over ids gone past without delivery, see {@link UnreadableEvents#stepOver}), and what of it was handed to the session
 * to store (committed), so that only what moved is stored again. Not API.
 *
 * <p>Thread safety: {@link #acknowledge}, {@link #acked()} and {@link #tenure} from any thread; the rest on the fetch
 * thread (or while the consumer is built).
 */
final class AckTracker {
    private final String consumer;
    private final String topic;
    private final GroupEvents group;
    private final UnreadableEvents unreadable;
    private final PartitionLongs acked; // per partition: next id after the last acknowledged, or -1
    private final Tenures tenures;
    private long[] committed; // fetch thread: what the session was given to store, or -1

    AckTracker(String consumer, String topic, int numPartitions, GroupEvents group, UnreadableEvents unreadable) {
        this.consumer = consumer;
        this.topic = topic;
        this.group = group;
        this.unreadable = unreadable;
        this.acked = new PartitionLongs(numPartitions, -1);
        this.tenures = new Tenures(numPartitions);
        this.committed = new long[0];
        grow(numPartitions);
    }

    /** The topic grew to {@code n} partitions. Fetch thread. */
    void grow(int n) {
        int old = committed.length;
        if (n <= old) {
            return;
        }
        acked.grow(n);
        tenures.grow(n);
        committed = Arrays.copyOf(committed, n);
        Arrays.fill(committed, old, n, -1);
    }

    /** @return the acknowledged positions (next id after the last acknowledged, or -1), for the unreadable-events book */
    PartitionLongs acked() {
        return acked;
    }

    /** @return the tenure to stamp on events of partition {@code p} delivered now */
    int tenure(int p) {
        return tenures.current(p);
    }

    /**
     * Partition {@code p} was assigned (again): a new tenure, in which nothing is acknowledged or committed yet (what
     * an earlier tenure acknowledged is stored or void).
     */
    void begin(int p) {
        tenures.begin(p); // first: an acknowledgement of an earlier tenure racing with the reset sees the change
        acked.set(p, -1);
        committed[p] = -1;
    }

    /**
     * Records the acknowledgement of event {@code id} of partition {@code p}, delivered in tenure {@code tenure}.
     *
     * @throws dev.diaspora.stream.ConsumerConflictException if the partition was revoked since, or the event belongs
     *     to an earlier tenure (see {@link Tenures#acknowledge} and {@link GroupEvents#checkAck})
     */
    void acknowledge(int p, long id, int tenure) {
        tenures.acknowledge(acked, p, id + 1, tenure, consumer, topic);
        group.checkAck(p, id);
        unreadable.stepOver(p, acked); // skipped or lost events right after it count as consumed
    }

    /**
     * @param parts the partitions held (revoked ones were committed through {@link #revoking})
     * @return the acknowledged positions of {@code parts} not yet committed, or null if none; pass them to
     *     {@link #committed} once the session stored them
     */
    Map<Integer, Long> uncommitted(int[] parts) {
        Map<Integer, Long> dirty = null;
        for (int p : parts) {
            long a = acked.get(p);
            if (a > committed[p]) {
                if (dirty == null) {
                    dirty = new HashMap<>();
                }
                dirty.put(p, a);
            }
        }
        return dirty;
    }

    /** The session stored {@code positions}. */
    void committed(Map<Integer, Long> positions) {
        for (Map.Entry<Integer, Long> e : positions.entrySet()) {
            committed[e.getKey()] = e.getValue();
        }
    }

    /**
     * Partitions are about to leave: marks them revoked (a later acknowledgement of one of their events fails) and
     * returns their acknowledged positions not yet committed, which the session commits; they count as committed.
     */
    Map<Integer, Long> revoking(Set<Integer> leaving) {
        group.revoke(leaving); // an acknowledgement after this either is read below or throws
        Map<Integer, Long> out = new HashMap<>();
        for (int p : leaving) {
            long a = acked.get(p);
            if (a > committed[p]) {
                out.put(p, a);
                committed[p] = a;
            }
        }
        return out;
    }
}
