package dev.diaspora.stream.rabbitmq;

import com.rabbitmq.stream.Consumer;
import com.rabbitmq.stream.ConsumerFlowStrategy;
import com.rabbitmq.stream.MessageHandler;
import com.rabbitmq.stream.OffsetSpecification;
import dev.diaspora.stream.spi.ChangeNotifier;

/**
 * One subscription reading a partition stream forward from an offset, with credit-based flow control: the server
 * sends {@value #INITIAL_CREDITS} chunks, and one more each time half of a chunk's messages were handed to the engine,
 * so a cursor buffers about {@value #INITIAL_CREDITS} chunks and a half at most. {@link RabbitTopic} keeps a few per
 * partition and hands a read to the one whose next offset is the read's position, so a consumer reading on needs no
 * new subscription.
 *
 * <p>Delivered messages go into a ring of parallel arrays (no object per message); the topic's {@link ChangeNotifier}
 * is told only when the ring was empty (a reader that found nothing may be waiting; one that found something reads
 * again before it waits), and {@link #drain} hands out every consecutive event up to the read's bounds in one lock.
 *
 * <p>Thread safety: thread-safe; deliveries arrive on the client's dispatch thread, reads on a fetch thread.
 */
final class Cursor implements AutoCloseable {
    /**
     * Chunks the server may send before the first is half processed: two keep the next chunk on its way while the
     * engine works through the current one (one left the reader waiting a round trip per chunk).
     */
    static final int INITIAL_CREDITS = 2;
    /** At most this many records per drain: a batch's record index fits in the low bits of its locations. */
    static final int MAX_DRAIN = 1 << RabbitTopic.INDEX_BITS;

    final int partition;
    private final Consumer consumer;
    private final ChangeNotifier notifier;
    // a ring of delivered messages, guarded by this: offsets, chunk times, bodies (null: no data section), contexts
    private long[] offsets = new long[256];
    private long[] times = new long[256];
    private byte[][] bodies = new byte[256][];
    private MessageHandler.Context[] contexts = new MessageHandler.Context[256];
    private int head;
    private int size;
    /** The offset the next record handed out must have. */
    private long next; // guarded by this
    private volatile long lastUsed = System.nanoTime();
    /** Whether a read is using this cursor; guarded by the topic's cursor list of the partition. */
    boolean claimed;

    /** What one {@link #drain} hands out: parallel arrays of {@code count} records from offset {@link #first}. */
    static final class Drained {
        long first;
        int count;
        byte[][] bodies;
        long[] timesMs;
        long bytes;
        int metadataBytes;
    }

    /**
     * Subscribes one offset before {@code fromOffset}, which exists (an event or the header), so that the server
     * attaches to a stored record rather than to the end; {@link #drain} and {@link #first} drop it.
     */
    Cursor(RabbitTopic topic, int partition, long fromOffset) {
        this.partition = partition;
        this.next = fromOffset;
        this.notifier = topic.notifier();
        this.consumer = topic.backend.environment.consumerBuilder().stream(topic.stream(partition))
                .offset(OffsetSpecification.offset(Math.max(0, fromOffset - 1)))
                .flow().strategy(ConsumerFlowStrategy.creditWhenHalfMessagesProcessed(INITIAL_CREDITS)).builder()
                .messageHandler(this::delivered).build();
    }

    private void delivered(MessageHandler.Context ctx, com.rabbitmq.stream.Message message) {
        byte[] body = RabbitTopic.body(message);
        boolean wasEmpty;
        synchronized (this) {
            if (size == offsets.length) {
                grow();
            }
            int i = (head + size) & (offsets.length - 1);
            offsets[i] = ctx.offset();
            times[i] = ctx.timestamp();
            bodies[i] = body;
            contexts[i] = ctx;
            wasEmpty = size++ == 0;
        }
        if (wasEmpty) {
            notifier.changed();
        }
    }

    private void grow() {
        int n = offsets.length;
        long[] o = new long[n * 2];
        long[] t = new long[n * 2];
        byte[][] b = new byte[n * 2][];
        MessageHandler.Context[] c = new MessageHandler.Context[n * 2];
        for (int k = 0; k < size; k++) {
            int i = (head + k) & (n - 1);
            o[k] = offsets[i];
            t[k] = times[i];
            b[k] = bodies[i];
            c[k] = contexts[i];
        }
        offsets = o;
        times = t;
        bodies = b;
        contexts = c;
        head = 0;
    }

    synchronized long next() {
        return next;
    }

    long lastUsed() {
        return lastUsed;
    }

    /** Drops the head record; caller holds the lock. */
    private void dropHead() {
        contexts[head].processed();
        bodies[head] = null;
        contexts[head] = null;
        head = (head + 1) & (offsets.length - 1);
        size--;
    }

    /** Drops buffered records before the cursor's position (a chunk starts earlier); caller holds the lock. */
    private void skipBehind() {
        while (size > 0 && offsets[head] < next) {
            dropHead();
        }
    }

    /**
     * @return the offset of the next buffered record at or after the cursor's position, or -1 if none is buffered;
     *     an offset above {@link #next()} means a hole
     */
    synchronized long first() {
        lastUsed = System.nanoTime();
        skipBehind();
        return size == 0 ? -1 : offsets[head];
    }

    /**
     * Takes the record at the cursor's position whatever it holds (an unreadable one the reader reports).
     *
     * @return its body (null: no data section)
     */
    synchronized byte[] takeOne() {
        skipBehind();
        byte[] body = bodies[head];
        next = offsets[head] + 1;
        dropHead();
        return body;
    }

    /**
     * Takes the consecutive events from the cursor's position: at most {@code max} (and {@link #MAX_DRAIN}), while
     * their data stays within {@code maxBytes} (at least one), up to the first record that is not an event (left for
     * the next read) or a hole in the offsets.
     *
     * @return the records taken (count 0: none buffered at the position, or the first is not an event)
     */
    Drained drain(int max, long maxBytes) {
        Drained d = new Drained();
        synchronized (this) {
            lastUsed = System.nanoTime();
            skipBehind();
            d.first = next;
            int limit = Math.min(Math.min(max, MAX_DRAIN), size);
            int mask = offsets.length - 1;
            int n = 0;
            long bytes = 0;
            int md = 0;
            for (; n < limit; n++) {
                int i = (head + n) & mask;
                byte[] body = bodies[i];
                if (offsets[i] != next + n || Layout.kind(body) != Layout.KIND_EVENT) {
                    break;
                }
                long data = body.length - Layout.EVENT_HEADER;
                if (n > 0 && bytes + data > maxBytes) {
                    break;
                }
                bytes += data;
                md += Layout.metadataSize(body);
            }
            d.count = n;
            d.bytes = bytes;
            d.metadataBytes = md;
            d.bodies = new byte[n][];
            d.timesMs = new long[n];
            for (int k = 0; k < n; k++) {
                d.bodies[k] = bodies[head];
                d.timesMs[k] = times[head];
                dropHead();
            }
            next += n;
        }
        return d;
    }

    @Override
    public void close() {
        consumer.close();
    }
}
