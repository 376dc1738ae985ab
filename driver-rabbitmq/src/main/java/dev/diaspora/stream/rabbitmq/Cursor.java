package dev.diaspora.stream.rabbitmq;

import com.rabbitmq.stream.Consumer;
import com.rabbitmq.stream.ConsumerFlowStrategy;
import com.rabbitmq.stream.MessageHandler;
import com.rabbitmq.stream.OffsetSpecification;
import dev.diaspora.stream.spi.ChangeNotifier;
import java.util.Arrays;
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
 * <p>The work per message is done on the client's dispatch thread, as each chunk arrives, not on the reader's fetch
 * thread (which also runs the engine's per-event work): the cursor stages a chunk's messages as they are delivered
 * (no object per message; the body is the array the client read the message into, from its start: no copy), and
 * once the chunk's last message is in it checks each record's layout, lays the chunk's event metadata back to back
 * in one array (the batch format's one copy) and moves the chunk into a ring of parallel arrays under one lock. The
 * topic's {@link ChangeNotifier} is told only when the ring was empty (a reader that found nothing may be waiting;
 * one that found something reads again before it waits), and {@link #drain} hands out every consecutive event up to
 * the read's bounds in one lock, reading only the ring: a drain within one chunk hands out the chunk's metadata
 * array as it is.
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
    /** The ring of delivered messages, its capacity a power of two; guarded by this. */
    private CursorRecords ring = new CursorRecords(256, true);
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
    private final class Chunk implements ConsumerFlowStrategy.MessageProcessedCallback {
        private final ConsumerFlowStrategy.Context flow;
        private final long half;
        private final AtomicLong done = new AtomicLong();
        /**
         * The chunk's event metadata back to back, written while staging; the ring keeps the array each record's
         * metadata is in, and a staged array is never written again once it is there.
         */
        private byte[] metadata;
        /** Messages of the chunk neither delivered nor skipped yet: dispatch thread only. */
        private long left;
        /** The messages delivered and not in the ring yet: dispatch thread only; dropped once they are. */
        private CursorRecords staging;
        private int staged;
        /** Bytes of {@link #metadata} in use while the chunk is staged. */
        private int mdUsed;

        Chunk(ConsumerFlowStrategy.Context flow) {
            this.flow = flow;
            this.half = Math.max(1, flow.messageCount() / 2);
            this.left = flow.messageCount();
            restage((int) Math.max(1, Math.min(flow.messageCount(), 4096))); // grows past that
        }

        private void restage(int n) {
            staging = new CursorRecords(n, false);
            metadata = new byte[Math.min(n * 64, 1 << 16)];
        }

        @Override
        public void processed(MessageHandler.Context skipped) {
            done(1);
            arrived(this);
        }

        /**
         * Stages one delivered message, reading its layout and copying its metadata while the client's copy of it is
         * fresh in the cache.
         */
        void stage(long offset, long time, byte[] body, int start) {
            if (staging == null) { // more messages than the chunk announced, after it went into the ring
                restage(16);
                mdUsed = 0;
            }
            if (staged == staging.capacity()) {
                staging = staging.grown(staged * 2, staged);
            }
            CursorRecords r = staging;
            int k = staged++;
            r.offsets[k] = offset;
            r.times[k] = time;
            r.bodies[k] = body;
            r.starts[k] = start;
            r.mdStarts[k] = mdUsed;
            if (body != null && Layout.kind(body, start) == Layout.KIND_EVENT) {
                int m = Layout.metadataSize(body, start);
                if (mdUsed + m > metadata.length) {
                    metadata = Arrays.copyOf(metadata, Math.max(metadata.length * 2, mdUsed + m));
                }
                System.arraycopy(body, start + Layout.EVENT_HEADER, metadata, mdUsed, m);
                mdUsed += m;
                r.mdLengths[k] = m;
                r.dataSizes[k] = body.length - start - Layout.EVENT_HEADER - m;
            } else {
                r.mdLengths[k] = -1; // not an event of the layout: a read stops before it
                r.dataSizes[k] = 0;
            }
        }

        void done(long n) {
            long after = done.addAndGet(n);
            if (after >= half && after - n < half) {
                flow.credits(1);
            }
        }

        /** Drops the staging arrays once the chunk is in the ring. */
        void unstage() {
            staged = 0;
            staging = null;
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
            Chunk previous = delivering;
            if (previous != null && previous.staged > 0) { // not expected: the client delivers or skips every message
                handOver(previous);
            }
            Chunk c = new Chunk(context);
            delivering = c; // the client delivers the chunk's messages next, on this thread
            return c;
        }
    }

    /**
     * What one {@link #drain} hands out: parallel arrays of {@code count} records from offset {@link #first}, the
     * body of record {@code k} being {@code bodies[k]} from {@code starts[k]} to its end, its metadata
     * {@code metadata[metadataOffsets[k] .. metadataOffsets[k + 1])} (the format of the engine's batches).
     */
    static final class Drained {
        long first;
        int count;
        byte[][] bodies;
        int[] starts;
        long[] timesNanos;
        long[] dataSizes;
        byte[] metadata;
        int[] metadataOffsets;
        long bytes;
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
        Chunk chunk = delivering;
        chunk.stage(ctx.offset(), ctx.timestamp(), DataSectionCodec.array(message), DataSectionCodec.start(message));
        arrived(chunk);
    }

    /** One message of {@code chunk} was delivered or skipped: after its last one, the chunk goes into the ring. */
    private void arrived(Chunk chunk) {
        if (--chunk.left <= 0 && chunk.staged > 0) {
            handOver(chunk);
        }
    }

    /** Moves the staged messages of {@code chunk} into the ring under one lock (dispatch thread). */
    private void handOver(Chunk chunk) {
        int n = chunk.staged;
        boolean wasEmpty;
        synchronized (this) {
            if (size + n > ring.capacity()) {
                int capacity = ring.capacity();
                while (size + n > capacity) {
                    capacity *= 2;
                }
                ring = ring.grownRing(capacity, head, size);
                head = 0;
            }
            CursorRecords r = ring;
            int mask = r.capacity() - 1;
            for (int k = 0; k < n; k++) {
                int i = (head + size + k) & mask;
                r.copy(i, chunk.staging, k);
                r.chunks[i] = chunk;
                r.mdArrays[i] = chunk.metadata;
            }
            wasEmpty = size == 0;
            size += n;
        }
        chunk.unstage();
        if (wasEmpty) {
            notifier.changed();
        }
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
        CursorRecords r = ring;
        int mask = r.capacity() - 1;
        Chunk run = null;
        long inRun = 0;
        for (int k = 0; k < count; k++) {
            Chunk c = (Chunk) r.chunks[head];
            if (c != run) {
                if (run != null) {
                    run.done(inRun);
                }
                run = c;
                inRun = 0;
            }
            inRun++;
            r.clear(head);
            head = (head + 1) & mask;
        }
        if (run != null) {
            run.done(inRun);
        }
        size -= count;
    }

    /** Drops buffered records before the cursor's position (a chunk starts earlier); caller holds the lock. */
    private void skipBehind() {
        long[] offsets = ring.offsets;
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
        return size == 0 ? -1 : ring.offsets[head];
    }

    /**
     * Takes the record at the cursor's position whatever it holds (an unreadable one the reader reports).
     *
     * @return a description of its body, for the error reporting it
     */
    synchronized String takeOne() {
        skipBehind();
        String body = Layout.describe(ring.bodies[head], ring.starts[head]);
        next = ring.offsets[head] + 1;
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
            CursorRecords r = ring;
            int mask = r.capacity() - 1;
            int n = 0;
            long bytes = 0;
            byte[] firstMd = null;
            boolean oneChunk = true;
            for (; n < limit; n++) {
                int i = (head + n) & mask;
                if (r.offsets[i] != next + n || r.mdLengths[i] < 0) {
                    break;
                }
                long data = (long) r.mdLengths[i] + r.dataSizes[i]; // metadata and data, as the record is stored
                if (n > 0 && bytes + data > maxBytes) {
                    break;
                }
                bytes += data;
                if (n == 0) {
                    firstMd = r.mdArrays[i];
                } else if (r.mdArrays[i] != firstMd) {
                    oneChunk = false;
                }
            }
            d.count = n;
            d.bytes = bytes;
            d.bodies = new byte[n][];
            d.starts = new int[n];
            d.timesNanos = new long[n];
            d.dataSizes = new long[n];
            int[] mdOffsets = new int[n + 1];
            for (int k = 0; k < n; k++) {
                int i = (head + k) & mask;
                d.bodies[k] = r.bodies[i];
                d.starts[k] = r.starts[i];
                d.timesNanos[k] = r.times[i] * 1_000_000L;
                d.dataSizes[k] = r.dataSizes[i];
            }
            if (oneChunk) { // the chunk's metadata array as it is: the events' metadata lie back to back in it
                d.metadata = n == 0 ? new byte[0] : firstMd;
                int i = head;
                for (int k = 0; k < n; k++) {
                    i = (head + k) & mask;
                    mdOffsets[k] = r.mdStarts[i];
                }
                mdOffsets[n] = n == 0 ? 0 : r.mdStarts[i] + r.mdLengths[i];
            } else { // records of several chunks: their metadata copied back to back
                int total = 0;
                for (int k = 0; k < n; k++) {
                    total += r.mdLengths[(head + k) & mask];
                }
                byte[] md = new byte[total];
                for (int k = 0; k < n; k++) {
                    int i = (head + k) & mask;
                    System.arraycopy(r.mdArrays[i], r.mdStarts[i], md, mdOffsets[k], r.mdLengths[i]);
                    mdOffsets[k + 1] = mdOffsets[k] + r.mdLengths[i];
                }
                d.metadata = md;
            }
            d.metadataOffsets = mdOffsets;
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
