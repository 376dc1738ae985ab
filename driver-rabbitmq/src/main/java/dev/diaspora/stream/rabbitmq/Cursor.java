package dev.diaspora.stream.rabbitmq;

import com.rabbitmq.stream.Consumer;
import com.rabbitmq.stream.ConsumerFlowStrategy;
import com.rabbitmq.stream.MessageHandler;
import com.rabbitmq.stream.OffsetSpecification;
import dev.diaspora.stream.spi.ChangeNotifier;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One subscription reading a partition stream forward from an offset, with credit-based flow control: the server
 * sends {@value #INITIAL_CREDITS} chunks, and one more each time half of a chunk's messages were handed to the engine,
 * so a cursor buffers about {@value #INITIAL_CREDITS} chunks and a half at most. {@link RabbitTopic} keeps a few per
 * partition and hands a read to the one whose next offset is the read's position, so a consumer reading on needs no
 * new subscription.
 *
 * <p>Credit is given per chunk, not per message: the cursor's own flow strategy (the client's
 * {@code creditWhenHalfMessagesProcessed} counted every message with an atomic increment on the reading thread) knows
 * which chunk each buffered record came from, and a drain counts each chunk's records handed out at once.
 *
 * <p>Delivered messages go into a ring of parallel arrays (no object per message, and the body is the array the
 * client read the message into, from its start: no copy); the topic's {@link ChangeNotifier}
 * is told only when the ring was empty (a reader that found nothing may be waiting; one that found something reads
 * again before it waits), and {@link #drain} hands out every consecutive event up to the read's bounds in one lock.
 *
 * <p>Thread safety: thread-safe; deliveries arrive on the client's dispatch thread, reads on a fetch thread.
 */
class Cursor implements AutoCloseable {
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
    // a ring of delivered messages, guarded by this: offsets, chunk times, the arrays holding the bodies (null: no data
    // section) and where each body starts in its array, the chunk each came in
    private long[] offsets = new long[256];
    private long[] times = new long[256];
    private byte[][] bodies = new byte[256][];
    private int[] starts = new int[256];
    private Chunk[] chunks = new Chunk[256];
    /** The chunk whose messages are being delivered: set and read on the client's dispatch thread of the cursor. */
    private volatile Chunk delivering;
    private int head;
    private int size;
    /** The offset the next record handed out must have. */
    private long next; // guarded by this
    private volatile long lastUsed = System.nanoTime();
    /** Whether a read is using this cursor; guarded by the topic's cursor list of the partition. */
    boolean claimed;

    /**
     * One chunk's credit, the cursor's flow strategy: the server may send one more chunk once half of this chunk's
     * messages were handed to the engine (at least one), as with the client's {@code creditWhenHalfMessagesProcessed}.
     * Counted per drain ({@link #done(long)}); the client itself reports the messages it skips (those before the
     * subscription's offset in its first chunk) one by one through {@link #processed}.
     */
    private static final class Chunk implements ConsumerFlowStrategy.MessageProcessedCallback {
        private final ConsumerFlowStrategy.Context flow;
        private final long half;
        private final AtomicLong done = new AtomicLong();

        Chunk(ConsumerFlowStrategy.Context flow) {
            this.flow = flow;
            this.half = Math.max(1, flow.messageCount() / 2);
        }

        @Override
        public void processed(MessageHandler.Context skipped) {
            done(1);
        }

        void done(long n) {
            long after = done.addAndGet(n);
            if (after >= half && after - n < half) {
                flow.credits(1);
            }
        }
    }

    /** The cursor's flow strategy: {@value #INITIAL_CREDITS} chunks, then one per chunk half handed out. */
    private final class Flow implements ConsumerFlowStrategy {
        @Override
        public int initialCredits() {
            return INITIAL_CREDITS;
        }

        @Override
        public MessageProcessedCallback start(Context context) {
            Chunk c = new Chunk(context);
            delivering = c; // the client delivers the chunk's messages next, on this thread
            return c;
        }
    }

    /**
     * What one {@link #drain} hands out: parallel arrays of {@code count} records from offset {@link #first}, the
     * body of record {@code k} being {@code bodies[k]} from {@code starts[k]} to its end.
     */
    static final class Drained {
        long first;
        int count;
        byte[][] bodies;
        int[] starts;
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
                .flow().strategy(new Flow()).builder()
                .messageHandler(this::delivered).build();
    }

    private void delivered(MessageHandler.Context ctx, com.rabbitmq.stream.Message message) {
        byte[] body = DataSectionCodec.array(message);
        int start = DataSectionCodec.start(message);
        Chunk chunk = delivering;
        boolean wasEmpty;
        synchronized (this) {
            if (size == offsets.length) {
                grow();
            }
            int i = (head + size) & (offsets.length - 1);
            offsets[i] = ctx.offset();
            times[i] = ctx.timestamp();
            bodies[i] = body;
            starts[i] = start;
            chunks[i] = chunk;
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
        int[] s = new int[n * 2];
        Chunk[] c = new Chunk[n * 2];
        for (int k = 0; k < size; k++) {
            int i = (head + k) & (n - 1);
            o[k] = offsets[i];
            t[k] = times[i];
            b[k] = bodies[i];
            s[k] = starts[i];
            c[k] = chunks[i];
        }
        offsets = o;
        times = t;
        bodies = b;
        starts = s;
        chunks = c;
        head = 0;
    }

    synchronized long next() {
        return next;
    }

    long lastUsed() {
        return lastUsed;
    }

    /**
     * Drops the first {@code count} records, counting them handed out to the chunks they came in (one count per run
     * of records of one chunk); caller holds the lock.
     */
    private void dropHeads(int count) {
        int mask = offsets.length - 1;
        Chunk run = null;
        long inRun = 0;
        for (int k = 0; k < count; k++) {
            Chunk c = chunks[head];
            if (c != run) {
                if (run != null) {
                    run.done(inRun);
                }
                run = c;
                inRun = 0;
            }
            inRun++;
            bodies[head] = null;
            chunks[head] = null;
            head = (head + 1) & mask;
        }
        if (run != null) {
            run.done(inRun);
        }
        size -= count;
    }

    /** Drops buffered records before the cursor's position (a chunk starts earlier); caller holds the lock. */
    private void skipBehind() {
        int mask = offsets.length - 1;
        int k = 0;
        while (k < size && offsets[(head + k) & mask] < next) {
            k++;
        }
        dropHeads(k);
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
     * @return a description of its body, for the error reporting it
     */
    synchronized String takeOne() {
        skipBehind();
        String body = Layout.describe(bodies[head], starts[head]);
        next = offsets[head] + 1;
        dropHeads(1);
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
                int s = starts[i];
                if (offsets[i] != next + n || body == null || Layout.kind(body, s) != Layout.KIND_EVENT) {
                    break;
                }
                long data = body.length - s - Layout.EVENT_HEADER;
                if (n > 0 && bytes + data > maxBytes) {
                    break;
                }
                bytes += data;
                md += Layout.metadataSize(body, s);
            }
            d.count = n;
            d.bytes = bytes;
            d.metadataBytes = md;
            d.bodies = new byte[n][];
            d.starts = new int[n];
            d.timesMs = new long[n];
            for (int k = 0; k < n; k++) {
                int i = (head + k) & mask;
                d.bodies[k] = bodies[i];
                d.starts[k] = starts[i];
                d.timesMs[k] = times[i];
            }
            dropHeads(n);
            next += n;
        }
        return d;
    }

    @Override
    public void close() {
        consumer.close();
    }
}
