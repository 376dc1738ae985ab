package dev.diaspora.stream.rabbitmq;

import com.rabbitmq.stream.Consumer;
import com.rabbitmq.stream.ConsumerFlowStrategy;
import com.rabbitmq.stream.MessageHandler;
import com.rabbitmq.stream.OffsetSpecification;
import java.util.ArrayDeque;

/**
 * One subscription reading a partition stream forward from an offset, with credit-based flow control: the server
 * sends a chunk, and the next one only when half of the previous one's messages were handed to the engine, so a
 * cursor buffers about two chunks at most. {@link RabbitTopic} keeps a few per partition and hands a read to the one
 * whose next offset is the read's position, so a consumer reading on needs no new subscription.
 *
 * <p>Thread safety: thread-safe; deliveries arrive on the client's dispatch thread, reads on a fetch thread.
 */
final class Cursor implements AutoCloseable {
    /** A delivered message. */
    record Rec(long offset, long timestampMs, byte[] body, MessageHandler.Context context) {
    }

    final int partition;
    private final ArrayDeque<Rec> buffer = new ArrayDeque<>(); // guarded by this
    private final Consumer consumer;
    /** The offset the next record handed out must have. */
    private long next; // guarded by this
    private volatile long lastUsed = System.nanoTime();

    /**
     * Subscribes one offset before {@code fromOffset}, which exists (an event or the header), so that the server
     * attaches to a stored record rather than to the end; {@link #peek} drops it.
     */
    Cursor(RabbitTopic topic, int partition, long fromOffset) {
        this.partition = partition;
        this.next = fromOffset;
        this.consumer = topic.backend.environment.consumerBuilder().stream(topic.stream(partition))
                .offset(OffsetSpecification.offset(Math.max(0, fromOffset - 1)))
                .flow().strategy(ConsumerFlowStrategy.creditWhenHalfMessagesProcessed(1)).builder()
                .messageHandler((ctx, message) -> {
                    synchronized (this) {
                        buffer.add(new Rec(ctx.offset(), ctx.timestamp(), RabbitTopic.body(message), ctx));
                    }
                    topic.notifier().changed();
                }).build();
    }

    synchronized long next() {
        return next;
    }

    long lastUsed() {
        return lastUsed;
    }

    /** @return the next buffered record at or after the cursor's position, without taking it, or null */
    synchronized Rec peek() {
        lastUsed = System.nanoTime();
        Rec r;
        while ((r = buffer.peek()) != null && r.offset() < next) {
            buffer.poll().context().processed(); // before the position (a chunk starts earlier)
        }
        return r;
    }

    /** Takes the record {@link #peek()} returned. */
    synchronized void take() {
        Rec r = buffer.poll();
        next = r.offset() + 1;
        r.context().processed();
    }

    @Override
    public void close() {
        consumer.close();
    }
}
