package dev.diaspora.stream;

/**
 * Ordering of one producer's events within a partition. Every producer is {@link #STRICT}; drivers see it in their
 * {@code AppenderConfig}.
 *
 * <p>Thread safety: immutable.
 */
public enum Ordering {
    /** For one producer and one partition, EventIDs follow push order (the order in which push calls return). */
    STRICT,
    /**
     * Was accepted and never honoured: no producer stores a partition's events out of push order.
     * {@link ProducerOptions#ordering(Ordering)} rejects it.
     *
     * @deprecated remove the {@code ordering(LOOSE)} call (producers are {@link #STRICT}). For more throughput, give
     *     the producer a {@link ProducerOptions#threadPool(ThreadPool) threadPool} (its pipeline leaves the pushing
     *     thread), raise {@link ProducerOptions#maxInFlightBatches(int) maxInFlightBatches}, or push from several
     *     producers to several partitions.
     */
    @Deprecated(since = "0.1.0", forRemoval = true)
    LOOSE
}
