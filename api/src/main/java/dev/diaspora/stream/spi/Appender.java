package dev.diaspora.stream.spi;

import java.util.concurrent.CompletableFuture;

/**
 * Stores batches of events for one producer.
 *
 * <p>Thread safety: {@link #append} may be called from several threads, but for one partition the engine calls it
 * in batch order and never with more than {@code maxInFlight} outstanding.
 */
public interface Appender extends AutoCloseable {
    /**
     * Stores a batch in partition {@code partition}, assigning consecutive EventIDs under the driver's append lock.
     * Must not block on I/O: do the I/O on a driver thread, or inline only if it is a memory copy.
     *
     * <p>When the future completes successfully every event of the batch is readable by any consumer. The driver
     * must not keep references to the batch's data after completing.
     *
     * @return the EventID of the batch's first event
     */
    CompletableFuture<Long> append(int partition, OutgoingBatch batch);

    /** Releases the appender after the engine has waited for every outstanding append. Idempotent. */
    @Override
    default void close() {
    }
}
