package dev.diaspora.stream;

import java.time.Instant;

/**
 * An event delivered to a consumer: metadata, the selected data, its partition, EventID and storage time.
 *
 * <p>The sentinel event that ends a stream (after {@link Consumer#unsubscribe()}) has {@code id() ==
 * EventID.NO_MORE_EVENTS}, partition -1, metadata {@code {}}, no data, and {@code acknowledge()} does nothing.
 *
 * <p>Thread safety: immutable, apart from {@link #acknowledge()} which may be called from any thread.
 */
public interface Event {
    /** @return the event's metadata */
    Metadata metadata();

    /** @return the selected data, exactly the selected bytes, or {@link DataView#EMPTY} */
    DataView data();

    /** @return the partition index, or -1 for the sentinel */
    int partition();

    /** @return the EventID within its partition, or {@link EventID#NO_MORE_EVENTS} */
    long id();

    /** @return when the event was stored (non-decreasing within a partition) */
    Instant timestamp();

    /**
     * Records that the consumer's name has processed every event of this partition up to and including this one.
     * Cumulative and monotonic; returns after recording in memory, and the position is persisted asynchronously
     * (at most {@code ackInterval} later; {@link Consumer#commit()} waits for it).
     *
     * @throws IllegalStateException if the consumer is closed
     * @throws ConsumerConflictException if a group rebalance (or a missed session timeout) took this event's partition
     *     from the consumer before the acknowledgement was recorded: it is not stored, and the partition's new reader
     *     delivers the event again. Also when the partition came back to this consumer since: an event delivered
     *     before the partition was taken away is never acknowledged in a later tenure, so that the stored position
     *     never moves back behind what another member stored meanwhile
     */
    void acknowledge();

    /** @return true if this is the end-of-stream sentinel */
    default boolean isNoMoreEvents() {
        return id() == EventID.NO_MORE_EVENTS;
    }
}
