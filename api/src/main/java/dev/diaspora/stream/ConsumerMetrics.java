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
 * @param pollLatencyP50Nanos the median poll latency in nanoseconds: how long a {@code pull}, {@code poll},
 *     {@code process} step or iteration step waited for the event it returned, 0 for an event that was ready when it
 *     was called; over the consumer's life. A percentile is the upper edge of a log-linear bucket (four per power of
 *     two), at most 25 % above the true value and never below it; 0 when no event was delivered. Pulls that returned no
 *     event (a timeout, an error, the end-of-stream sentinel) are not counted
 * @param pollLatencyP90Nanos the 90th percentile of the poll latency, in nanoseconds
 * @param pollLatencyP99Nanos the 99th percentile of the poll latency, in nanoseconds
 * @param pollLatencyMaxNanos the largest poll latency (the upper edge of its bucket), in nanoseconds
 */
public record ConsumerMetrics(long eventsDelivered, long bytesDelivered, long batchesFetched, long prefetchedEvents,
        long prefetchedBytes, long eventsSkipped, long eventsLost, long eventsExpired, long lag,
        long pollLatencyP50Nanos, long pollLatencyP90Nanos, long pollLatencyP99Nanos, long pollLatencyMaxNanos) {
    /** Metrics without poll latencies (all 0). */
    public ConsumerMetrics(long eventsDelivered, long bytesDelivered, long batchesFetched, long prefetchedEvents,
            long prefetchedBytes, long eventsSkipped, long eventsLost, long eventsExpired, long lag) {
        this(eventsDelivered, bytesDelivered, batchesFetched, prefetchedEvents, prefetchedBytes, eventsSkipped,
                eventsLost, eventsExpired, lag, 0, 0, 0, 0);
    }

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
