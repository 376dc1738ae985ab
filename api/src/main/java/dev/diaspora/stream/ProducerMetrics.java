package dev.diaspora.stream;

/**
 * A snapshot of a producer's counters, for benchmarks and operators.
 *
 * <p>Thread safety: immutable.
 *
 * @param eventsPushed events accepted by push
 * @param eventsStored events whose push completed successfully
 * @param eventsFailed events whose push failed
 * @param bytesStored metadata plus data bytes of stored events
 * @param batchesSent batches handed to the driver
 * @param pendingEvents events pushed and not yet completed
 * @param pendingBytes bytes pushed and not yet completed
 * @param backPressureNanos total time push spent blocked at the memory bound
 */
public record ProducerMetrics(long eventsPushed, long eventsStored, long eventsFailed, long bytesStored,
        long batchesSent, long pendingEvents, long pendingBytes, long backPressureNanos) {
    /** @return the mean number of events per batch sent, 0 if none */
    public double meanBatchSize() {
        return batchesSent == 0 ? 0 : (double) (eventsStored + eventsFailed) / batchesSent;
    }
}
