package dev.diaspora.stream.rabbitmq;

import com.rabbitmq.stream.Consumer;
import com.rabbitmq.stream.OffsetSpecification;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.spi.Appender.AppendCallback;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Follows the end of one partition stream for the producers of a topic handle. The stream protocol's confirm names a
 * publishing id, not the offset the message got, and other writers interleave their messages; so a send completes
 * when this follower sees the message in the stream (which the server delivers only once it is committed, as it
 * confirms): the offset it sees there gives the EventID. It also wakes this handle's tailing consumers.
 *
 * <p>Thread safety: thread-safe; deliveries arrive on the client's dispatch thread.
 */
final class PartitionTail implements AutoCloseable {
    private record Key(long writer, long sequence) {
    }

    private final RabbitTopic topic;
    private final int partition;
    private final ConcurrentHashMap<Key, AppendCallback> pending = new ConcurrentHashMap<>();
    private final Consumer consumer;

    PartitionTail(RabbitTopic topic, int partition) {
        this.topic = topic;
        this.partition = partition;
        topic.checkLive();
        String stream = topic.stream(partition);
        StreamAdmin.Tail tail = topic.backend.admin.tail(stream);
        if (tail == null) {
            throw topic.gone();
        }
        this.consumer = topic.backend.environment.consumerBuilder().stream(stream)
                .offset(OffsetSpecification.offset(tail.lastOffset())) // an existing record: see Cursor
                .messageHandler((ctx, message) -> seen(ctx.offset(), RabbitTopic.body(message))).build();
    }

    /** Registers a send before it is published. */
    void expect(long writer, long sequence, AppendCallback callback) {
        pending.put(new Key(writer, sequence), callback);
    }

    /** The broker refused or timed out a send. */
    void failed(long writer, long sequence, Throwable error) {
        AppendCallback cb = pending.remove(new Key(writer, sequence));
        if (cb != null) {
            cb.onComplete(-1, error);
        }
    }

    private void seen(long offset, byte[] body) {
        if (Layout.kind(body) == Layout.KIND_EVENT) {
            AppendCallback cb = pending.remove(new Key(Layout.writer(body), Layout.sequence(body)));
            if (cb != null) {
                cb.onComplete(offset - 1, null);
            }
        }
        topic.notifier().changed();
    }

    @Override
    public void close() {
        close(false);
    }

    /** Fails the sends still waiting; cancels the subscription unless the driver's connections close anyway. */
    void close(boolean driverClosing) {
        if (!driverClosing) {
            consumer.close();
        }
        DiasporaException closed = new DiasporaException("the topic handle of '" + topic.name()
                + "' was closed before RabbitMQ confirmed this event in partition " + partition);
        for (Key k : pending.keySet()) {
            AppendCallback cb = pending.remove(k);
            if (cb != null) {
                cb.onComplete(-1, closed);
            }
        }
    }
}
