package dev.diaspora.stream;

import java.time.Instant;

/**
 * An event delivered to a consumer: metadata, the selected data, its partition, EventID and storage time.
 *
 * <p>The sentinel event that ends a stream (after {@link Consumer#unsubscribe()}) has {@code id() ==
 * EventID.NO_MORE_EVENTS}, partition -1, metadata {@code {}}, no data, and {@code acknowledge()} does nothing.
 *
 * <p>Ownership: an event belongs to the application, which may keep it as long as it likes; except an event handed to
 * an {@link EventProcessor} by a consumer opened with {@link ConsumerOptions#recycleEvents(boolean)}, which is valid
 * only during that call: the consumer reuses it (and its data buffer) for a later event once the call returns. Call
 * {@link #keep()} inside the call to get an event that stays valid.
 *
 * <p>Thread safety: immutable, apart from {@link #acknowledge()} which may be called from any thread (a recycled
 * event: see above).
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

    /**
     * Returns an event the caller may keep after its {@link EventProcessor} returns. For an event of a consumer opened
     * with {@link ConsumerOptions#recycleEvents(boolean)}: a copy with the same metadata (immutable, shared), a copy
     * of the data on the heap (at most 2 GiB) and the same {@link #acknowledge()}; the copy is never recycled. For any
     * other event: the event itself, which the application owns already.
     *
     * @return an event that stays valid
     * @throws IllegalStateException if this event was already recycled (its processor returned)
     */
    default Event keep() {
        return this;
    }

    /** @return true if this is the end-of-stream sentinel */
    default boolean isNoMoreEvents() {
        return id() == EventID.NO_MORE_EVENTS;
    }
}
