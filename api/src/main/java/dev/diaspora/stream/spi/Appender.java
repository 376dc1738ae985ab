package dev.diaspora.stream.spi;

import dev.diaspora.stream.DataView;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * Stores events for one producer, in one of two modes.
 *
 * <ul>
 *   <li>{@link Mode#BATCH} (log-structured drivers: files, memory, netty): the engine batches per partition and calls
 *       {@link #append}; the batch's events get consecutive EventIDs.</li>
 *   <li>{@link Mode#RECORD} (drivers whose client batches by itself and may interleave other writers' records, such as
 *       Kafka): the engine skips its batcher, keeps validation, selection, serialization and the producer-wide memory
 *       bound, and calls {@link #send} once per event; {@link #flush} completes when every event sent before it has
 *       completed.</li>
 * </ul>
 *
 * <p>Thread safety: {@link #append} and {@link #send} may be called from several threads, but for one partition the
 * engine calls them in push order (STRICT) and, in BATCH mode, never with more than {@code maxInFlight} appends
 * outstanding.
 */
public interface Appender extends AutoCloseable {
    /** How the engine hands events to the driver. */
    enum Mode {
        /** engine batches; {@link #append} */
        BATCH,
        /** driver batches; {@link #send} and {@link #flush} */
        RECORD
    }

    /** Receives the outcome of one {@link #send}. */
    @FunctionalInterface
    interface AppendCallback {
        /**
         * @param id the event's EventID, or -1 on failure
         * @param error null on success
         */
        void onComplete(long id, Throwable error);
    }

    /** @return the mode; BATCH unless overridden */
    default Mode mode() {
        return Mode.BATCH;
    }

    /**
     * BATCH mode: stores a batch in partition {@code partition}, assigning consecutive EventIDs under the driver's
     * append lock, and completes {@code done} with the EventID of the batch's first event (or exceptionally). Must not
     * block on I/O: do the I/O on a driver thread, or inline only if it is a memory copy.
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
     * {@link java.util.concurrent.CompletionException}): for a BATCH-mode driver whose client returns a future.
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

    /**
     * RECORD mode: stores one event. Must not block on I/O (a client's own bounded buffer may block briefly).
     * {@code metadata} is valid only during the call (copy it); {@code data}'s buffers stay valid and unchanged until
     * the callback runs, and must not be retained after it.
     */
    default void send(int partition, ByteBuffer metadata, DataView data, AppendCallback callback) {
        throw new UnsupportedOperationException("this appender works in BATCH mode");
    }

    /** RECORD mode: completes when every event sent before the call has completed. */
    default CompletableFuture<Void> flush() {
        return CompletableFuture.completedFuture(null);
    }

    /** Releases the appender after the engine has waited for every outstanding append. Idempotent. */
    @Override
    default void close() {
    }
}
