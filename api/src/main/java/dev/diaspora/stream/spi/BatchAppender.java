package dev.diaspora.stream.spi;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * An {@link Appender} for drivers that store batches the engine makes (log-structured drivers: files, memory, netty,
 * redis). The engine batches per partition ({@code batchSize}, {@code linger}, {@code maxBatchBytes}) and calls
 * {@link #append} with each batch; the batch's events get consecutive EventIDs. The engine waits for its own batches
 * on flush and close, so the driver has nothing to flush.
 *
 * <p>Thread safety: {@link #append} may be called from several threads, but for one partition the engine calls it in
 * push order (STRICT) and never with more than {@link AppenderConfig#maxInFlight()} appends outstanding.
 */
@FunctionalInterface
public non-sealed interface BatchAppender extends Appender {
    /**
     * Stores a batch in partition {@code partition}, assigning consecutive EventIDs under the driver's append lock,
     * and completes {@code done} with the EventID of the batch's first event (or exceptionally). Must not block on
     * I/O: do the I/O on a driver thread, or inline only if it is a memory copy.
     *
     * <p>The engine attaches its completion to {@code done} before the call, so the driver may complete it on any
     * thread at any time, also inside this call; a driver whose client returns a future passes it on with
     * {@link #completeWith}. A second completion is ignored, as for any {@link CompletableFuture}. A
     * {@code RuntimeException} thrown by this method fails the batch like an exceptional completion.
     *
     * <p>When {@code done} completes successfully every event of the batch is readable by any consumer. The driver
     * must not keep references to the batch's data after completing it.
     */
    void append(int partition, OutgoingBatch batch, CompletableFuture<Long> done);

    /**
     * Completes {@code done} as {@code result} completes, with its value or its failure (unwrapped from a
     * {@link java.util.concurrent.CompletionException}): for a driver whose client returns a future.
     */
    static void completeWith(CompletableFuture<Long> done, CompletionStage<Long> result) {
        result.whenComplete((id, err) -> {
            if (err == null) {
                done.complete(id);
            } else {
                done.completeExceptionally(err instanceof CompletionException && err.getCause() != null
                        ? err.getCause() : err);
            }
        });
    }
}
