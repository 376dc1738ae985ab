package dev.diaspora.stream;

/**
 * A snapshot of a consumer's counters.
 *
 * <p>Thread safety: immutable.
 *
 * @param eventsDelivered events handed to the application
 * @param bytesDelivered selected data bytes of those events
 * @param batchesFetched batches read from the driver
 * @param prefetchedEvents events read ahead and not yet delivered
 * @param prefetchedBytes bytes read ahead and not yet delivered
 * @param eventsSkipped events that could not be read and were skipped ({@link UnreadableEventPolicy#SKIP})
 * @param eventsLost EventIDs reported lost by the driver ({@link EventsLostException}), summed over the ranges
 * @param eventsExpired EventIDs between a position and the first retained id, each time a position was found below
 *     it (retention had dropped them: {@link ConsumerOptions#onExpiredPosition(ExpiredPositionPolicy)})
 * @param lag events stored and not yet delivered to the application, summed over the partitions the consumer holds
 *     ({@code bounds(p).next() - position(p)} each, read when the snapshot is taken: {@link Consumer#metrics()} asks
 *     the driver for the end of each held partition, a call to the storage for remote drivers)
 */
public record ConsumerMetrics(long eventsDelivered, long bytesDelivered, long batchesFetched, long prefetchedEvents,
        long prefetchedBytes, long eventsSkipped, long eventsLost, long eventsExpired, long lag) {
    /** Metrics without a lag figure (lag 0). */
    public ConsumerMetrics(long eventsDelivered, long bytesDelivered, long batchesFetched, long prefetchedEvents,
            long prefetchedBytes, long eventsSkipped, long eventsLost, long eventsExpired) {
        this(eventsDelivered, bytesDelivered, batchesFetched, prefetchedEvents, prefetchedBytes, eventsSkipped,
                eventsLost, eventsExpired, 0);
    }

    /** Metrics of a consumer that met no expired position. */
    public ConsumerMetrics(long eventsDelivered, long bytesDelivered, long batchesFetched, long prefetchedEvents,
            long prefetchedBytes, long eventsSkipped, long eventsLost) {
        this(eventsDelivered, bytesDelivered, batchesFetched, prefetchedEvents, prefetchedBytes, eventsSkipped,
                eventsLost, 0);
    }
}
