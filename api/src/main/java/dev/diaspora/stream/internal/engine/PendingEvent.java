package dev.diaspora.stream.internal.engine;

import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.PushCallback;
import dev.diaspora.stream.internal.metrics.LatencyHistogram;
import dev.diaspora.stream.spi.Clock;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One pushed event on its way through the pipeline, with its completion (a future or a callback). A RECORD-mode
 * producer's events are {@link RecordEvent}s. Not API.
 */
sealed class PendingEvent permits RecordEvent {
    private static final Logger LOG = LoggerFactory.getLogger(PendingEvent.class);

    final Metadata metadata;
    final DataView data;
    final int requested;
    final long permitBytes;
    private final CompletableFuture<Long> future;
    private final PushCallback callback;
    private final LatencyHistogram latency;
    private final Clock clock;
    private final long pushedAt;

    /** @return the producer's clock (the push latency is measured on it) */
    Clock clock() {
        return clock;
    }

    /** @param clock the producer's clock: the push latency is measured on it */
    PendingEvent(Metadata metadata, DataView data, int requested, long permitBytes, CompletableFuture<Long> future,
            PushCallback callback, LatencyHistogram latency, Clock clock) {
        this.latency = latency;
        this.clock = clock;
        this.pushedAt = clock.nanoTime();
        this.metadata = metadata;
        this.data = data;
        this.requested = requested;
        this.permitBytes = permitBytes;
        this.future = future;
        this.callback = callback;
    }

    /** @return when the event was pushed, on the producer's clock */
    long pushedAt() {
        return pushedAt;
    }

    void succeed(int partition, long id) {
        succeed(partition, id, clock.nanoTime());
    }

    /**
     * @param nowNanos the producer's clock now: one reading serves every event of a batch (they complete at the same
     *     moment), instead of one clock call per event
     */
    void succeed(int partition, long id, long nowNanos) {
        latency.record(nowNanos - pushedAt);
        data.release();
        if (future != null) {
            future.complete(id);
        } else {
            try {
                callback.onComplete(partition, id, null);
            } catch (RuntimeException e) {
                LOG.warn("push callback threw; ignored", e);
            }
        }
    }

    void fail(int partition, Throwable error) {
        data.release();
        if (future != null) {
            future.completeExceptionally(error);
        } else {
            try {
                callback.onComplete(partition, -1L, error);
            } catch (RuntimeException e) {
                LOG.warn("push callback threw; ignored", e);
            }
        }
    }
}
