package dev.diaspora.stream.internal.engine;

import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.PushCallback;
import dev.diaspora.stream.internal.metrics.LatencyHistogram;
import dev.diaspora.stream.spi.Clock;
import dev.diaspora.stream.spi.RecordAppender;
import java.util.concurrent.CompletableFuture;

/**
 * A pending event of a producer whose driver takes events one by one ({@link RecordAppender}): the event is also the
 * callback of its send, so a send allocates no callback object of its own (one object less per event on the
 * pushing thread). Not API.
 *
 * <p>Thread safety: the producer sets the partition and size ({@link #sending}) before it hands the event to
 * {@link RecordAppender#send}; the driver runs {@link #onComplete} once, on any thread, after receiving the event
 * through that call (a driver hands callbacks between its threads through synchronized or concurrent structures,
 * which order those writes before the callback's reads).
 */
final class RecordEvent extends PendingEvent implements RecordAppender.AppendCallback {
    private final ProducerImpl producer;
    private int partition = -1;
    private long size;

    RecordEvent(ProducerImpl producer, Metadata metadata, DataView data, int requested, long permitBytes,
            CompletableFuture<Long> future, PushCallback callback, LatencyHistogram latency, Clock clock) {
        super(metadata, data, requested, permitBytes, future, callback, latency, clock);
        this.producer = producer;
    }

    /** Records where the event goes and its stored size (serialized metadata plus data), just before the send. */
    void sending(int partition, long size) {
        this.partition = partition;
        this.size = size;
    }

    @Override
    public void onComplete(long id, Throwable error) {
        producer.recordCompleted(this, partition, size, id, error);
    }
}
