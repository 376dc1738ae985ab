package dev.diaspora.stream.spi;

import dev.diaspora.stream.DataView;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/**
 * An {@link Appender} for drivers whose client batches by itself and may interleave other writers' records (Kafka,
 * RabbitMQ streams). The engine skips its batcher, keeps validation, selection, serialization and the producer-wide
 * memory bound ({@code maxPendingEvents}, {@code maxPendingBytes}), calls {@link #send} once per event, and calls
 * {@link #flush} when the producer flushes or closes.
 *
 * <p>Thread safety: {@link #send} and {@link #flush} may be called from several threads, but for one partition the
 * engine calls {@link #send} in push order (STRICT). Callbacks may run on any driver thread; a driver must not hold a
 * lock while running one.
 */
public non-sealed interface RecordAppender extends Appender {
    /** Receives the outcome of one {@link #send}. */
    @FunctionalInterface
    interface AppendCallback {
        /**
         * @param id the event's EventID, or -1 on failure
         * @param error null on success
         */
        void onComplete(long id, Throwable error);
    }

    /**
     * Stores one event in partition {@code partition} and runs {@code callback} once, with its EventID or the
     * failure. Must not block on I/O (a client's own bounded buffer may block briefly). {@code metadata} is valid
     * only during the call (copy it); {@code data}'s buffers stay valid and unchanged until the callback runs, and
     * must not be retained after it.
     */
    void send(int partition, ByteBuffer metadata, DataView data, AppendCallback callback);

    /**
     * @return a future that completes when every event sent before the call has completed (its callback has run),
     *     whether it succeeded or failed; the engine reports failed events itself, from their callbacks
     */
    CompletableFuture<Void> flush();
}
