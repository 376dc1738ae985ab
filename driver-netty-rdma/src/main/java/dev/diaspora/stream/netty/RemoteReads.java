package dev.diaspora.stream.netty;

import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.netty.protocol.InlineData;
import dev.diaspora.stream.netty.protocol.PartitionRequests;
import dev.diaspora.stream.netty.protocol.Protocol;
import dev.diaspora.stream.netty.protocol.ReadAnswer;
import dev.diaspora.stream.spi.Backoff;
import dev.diaspora.stream.spi.DataRequest;
import dev.diaspora.stream.spi.IncomingBatch;
import io.netty.buffer.ByteBuf;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.IntFunction;

/**
 * The reads of a {@link NettyTopic} from its servers. READ: the metadata of a partition's events, answered locally
 * at the known end (the servers push it), backed off for a moment after its server failed, and sent ahead of need
 * for {@link ReadAhead}. READ_DATA: requests split by server and in chunks of about {@link #READ_DATA_CHUNK}
 * selected bytes, {@link #READ_DATA_WINDOW} of them on the wire at once, and their answers verified and filled into
 * the requests' targets ({@link ReadDataCodec}).
 *
 * <p>Thread safety: thread-safe.
 */
final class RemoteReads {
    /**
     * Selected bytes per READ_DATA request: a batch's data is asked for in requests of about this size, all sent before
     * the first answer is awaited. It bounds the memory one answer holds on the server and the client (a 512-event
     * batch of 64 KiB events would otherwise be one 32 MiB frame).
     */
    static final long READ_DATA_CHUNK = 4 << 20;
    /**
     * READ_DATA requests of one {@link #readData} call on the wire at once. All at once, a batch of 64 events of 1 MiB
     * (the consumer's 64 MiB read-ahead) was 16 answers of 4 MiB arriving together: the client's receive buffers
     * then outgrew what its allocator keeps for reuse, and the event loop spent about half its time zeroing fresh
     * direct memory. Two in flight keep the transfer going while one answer is copied out.
     */
    static final int READ_DATA_WINDOW = 2;
    /**
     * How long reads of a partition whose server failed wait before trying that server again: 500 ms after the first
     * failure, doubling (jittered) up to 2 s while the failures go on; a read that works starts again at 500 ms.
     */
    static final Backoff READ_RETRY = Backoff.exponential(Duration.ofMillis(500), Duration.ofSeconds(2));

    private final NettyTopic topic;
    private final TopicHandles handles;
    /** Per global partition: when a read may go to its server again after failing (0: any time). */
    private final LongChunks retryReadAt;
    /** Per global partition: reads that failed retriably in a row (0 after one that worked). */
    private final LongChunks failedReads;

    RemoteReads(NettyTopic topic, TopicHandles handles, int partitions) {
        this.topic = topic;
        this.handles = handles;
        this.retryReadAt = new LongChunks(partitions);
        this.failedReads = new LongChunks(partitions);
    }

    /** Makes room for the partitions of a grown topic. */
    void ensure(int partitions) {
        retryReadAt.ensure(partitions);
        failedReads.ensure(partitions);
    }

    /** READ of global partition {@code p} (mapped by {@code m}), waiting for the answer; null at the end. */
    IncomingBatch read(PartitionMap m, int p, long fromId, int maxEvents, long maxBytes) {
        Answered a = read(m, p, fromId, maxEvents, maxBytes, 0);
        return a == null ? null : a.batch();
    }

    /**
     * READ of global partition {@code p} (mapped by {@code m}), waiting for the answer; with {@code maxInline} &gt; 0 a
     * READ_INLINE, whose answer also carries the data of the batch's first small events, up to that many bytes.
     *
     * @return the answer, or null at the end
     */
    Answered read(PartitionMap m, int p, long fromId, int maxEvents, long maxBytes, int maxInline) {
        Connection c = m.serverOf(p);
        topic.checkNotDeleted(c);
        long retryAt = retryReadAt.get(p);
        if (retryAt != 0 && System.nanoTime() - retryAt < 0) {
            return null; // its server failed a moment ago: let the session serve the other partitions meanwhile
        }
        if (fromId >= topic.knownEnd(p) && handles.current(c)) {
            return null; // the server pushes the end when it moves (a lost connection pushes nothing: ask)
        }
        ByteBuf a;
        try {
            a = handles.callOnHandle(c, readType(maxInline), h -> readRequest(h, m.localOf(p), fromId, maxEvents,
                    maxBytes, maxInline));
            if (retryAt != 0) {
                retryReadAt.set(p, 0);
                failedReads.set(p, 0);
            }
        } catch (DiasporaException e) {
            if (e.isRetriable()) {
                long n = failedReads.get(p) + 1; // one fetch thread per session: a race only blurs the pause
                failedReads.set(p, n);
                retryReadAt.set(p, System.nanoTime() + READ_RETRY.delayNanos((int) Math.min(n, 64),
                        ThreadLocalRandom.current()));
            }
            throw e;
        }
        return decodeRead(p, c, a, maxInline > 0);
    }

    /**
     * Sends a READ without waiting for its answer, for {@link ReadAhead}: only if the partition is known to hold
     * events from {@code fromId} and the topic's handle on its server is usable as is (a read ahead never
     * reconnects).
     *
     * @return the read in flight, or null if none was sent
     */
    PendingRead sendRead(PartitionMap m, int p, long fromId, int maxEvents, long maxBytes, int maxInline) {
        if (p < 0 || p >= m.size || fromId >= topic.knownEnd(p)) {
            return null;
        }
        Connection c = m.serverOf(p);
        TopicHandles.Handle h = handles.ifCurrent(c);
        if (h == null) {
            return null;
        }
        CompletableFuture<ByteBuf> f = c.call(readType(maxInline), readRequest(h.id(), m.localOf(p), fromId,
                maxEvents, maxBytes, maxInline), List.of(), h.generation());
        return new PendingRead(p, fromId, maxEvents, maxBytes, maxInline, c, f);
    }

    /**
     * @return the answer of a read sent by {@link #sendRead} (null at the end), waiting for it
     * @throws DiasporaException as the READ failed
     */
    Answered awaitRead(PendingRead r) {
        return decodeRead(r.partition(), r.connection(), r.connection().await(r.answer(), readType(r.maxInline())),
                r.maxInline() > 0);
    }

    /**
     * A READ answer: its batch (never null) and, for READ_INLINE, the data of its first events (null if none). The
     * holder releases both.
     */
    record Answered(IncomingBatch batch, InlineData inline) {
    }

    /**
     * A READ in flight (see {@link #sendRead}): of partition {@code partition} from {@code from}, with the limits it
     * was sent with.
     */
    record PendingRead(int partition, long from, int maxEvents, long maxBytes, int maxInline, Connection connection,
            CompletableFuture<ByteBuf> answer) {
        /** Drops the read: its answer is released when it arrives. */
        void discard() {
            answer.thenAccept(ByteBuf::release);
        }
    }

    private static byte readType(int maxInline) {
        return maxInline > 0 ? Protocol.READ_INLINE : Protocol.READ;
    }

    private ByteBuf readRequest(int handle, int local, long fromId, int maxEvents, long maxBytes, int maxInline) {
        long bytes = Math.max(1, maxBytes);
        return (maxInline > 0 ? new PartitionRequests.ReadInline(handle, local, fromId, maxEvents, bytes, maxInline)
                : new PartitionRequests.Read(handle, local, fromId, maxEvents, bytes)).encode(topic.backend().alloc());
    }

    /**
     * Decodes and releases READ (or READ_INLINE, if {@code inline}) answer {@code a} of partition {@code p} from
     * {@code c}; raises the known end.
     *
     * @return the answer, or null at the end
     */
    private Answered decodeRead(int p, Connection c, ByteBuf a, boolean inline) {
        try {
            ReadAnswer r = ReadAnswer.decode(a, p, c.address);
            topic.raiseEnd(p, r.end());
            if (r.batch() == null) {
                return null;
            }
            try {
                return new Answered(r.batch(), inline ? InlineData.decode(a, r.batch()) : null);
            } catch (RuntimeException e) {
                r.batch().release();
                throw e;
            }
        } finally {
            a.release();
        }
    }

    /**
     * Fills {@code requests} (partitions already checked against {@code m}) from their servers: in chunks of about
     * {@link #READ_DATA_CHUNK} selected bytes, the servers' chunks taken in turn, at most {@link #READ_DATA_WINDOW} of
     * them on the wire at once; a chunk's answer is filled in while the next ones arrive.
     */
    void readData(PartitionMap m, List<DataRequest> requests) {
        List<Connection> order = new ArrayList<>();
        List<List<DataRequest>> chunks = chunks(m, requests, order);
        inWindow(chunks.size(), READ_DATA_WINDOW, i -> send(m, order.get(i), chunks.get(i)), (i, call) -> {
            ByteBuf a = order.get(i).await(call, Protocol.READ_DATA);
            try {
                ReadDataCodec.fill(order.get(i).address, chunks.get(i), a);
            } finally {
                a.release();
            }
        });
    }

    /** What {@link #inWindow} does with the answer of call {@code i}: awaits it and releases it. */
    interface Take {
        void take(int i, CompletableFuture<ByteBuf> call);
    }

    /**
     * Makes calls {@code 0..n-1} with {@code send} and takes their answers in order, at most {@code window} calls
     * sent and not taken at once: while answer {@code i} is taken, calls {@code i + 1} to {@code i + window - 1} are
     * on the wire. If sending or taking fails, the answers of the calls sent and not taken are released whenever
     * they come.
     */
    static void inWindow(int n, int window, IntFunction<CompletableFuture<ByteBuf>> send, Take take) {
        List<CompletableFuture<ByteBuf>> calls = new ArrayList<>(Math.min(n, window));
        int taken = 0;
        boolean taking = false;
        try {
            for (; taken < n; taken++) {
                while (calls.size() < Math.min(n, taken + window)) {
                    calls.add(send.apply(calls.size()));
                }
                taking = true;
                take.take(taken, calls.get(taken));
                taking = false;
            }
        } catch (RuntimeException e) {
            NettyTopic.releaseLater(calls, taking ? taken + 1 : taken);
            throw e;
        }
    }

    /**
     * Splits {@code requests} by server and into chunks of at most {@link #READ_DATA_CHUNK} selected bytes (or half
     * a server's frame limit, if smaller), the servers' chunks interleaved so that the requests on the wire at once
     * go to different servers when there are several (the engine usually asks for one partition's data, one server).
     *
     * @param order receives the connection of each chunk
     * @return the chunks, in sending order
     */
    private static List<List<DataRequest>> chunks(PartitionMap m, List<DataRequest> requests, List<Connection> order) {
        Map<Connection, ServerChunks> split = new LinkedHashMap<>();
        for (DataRequest r : requests) {
            split.computeIfAbsent(m.serverOf(r.partition()), ServerChunks::new).add(r);
        }
        List<List<DataRequest>> chunks = new ArrayList<>();
        for (boolean any = true; any; ) {
            any = false;
            for (ServerChunks s : split.values()) {
                if (s.next < s.chunks.size()) {
                    chunks.add(s.chunks.get(s.next++));
                    order.add(s.server);
                    any = true;
                }
            }
        }
        return chunks;
    }

    /** The chunks of one server's requests, being cut. */
    private static final class ServerChunks {
        final Connection server;
        final long limit;
        final List<List<DataRequest>> chunks = new ArrayList<>();
        long lastBytes;
        int next;

        ServerChunks(Connection server) {
            this.server = server;
            this.limit = Math.min(server.maxFrame() / 2, READ_DATA_CHUNK);
        }

        void add(DataRequest r) {
            long size = r.descriptor().size();
            if (chunks.isEmpty() || lastBytes + size > limit) {
                chunks.add(new ArrayList<>());
                lastBytes = 0;
            }
            chunks.get(chunks.size() - 1).add(r);
            lastBytes += size;
        }
    }

    private CompletableFuture<ByteBuf> send(PartitionMap m, Connection c, List<DataRequest> chunk) {
        TopicHandles.Handle h = handles.handleOf(c);
        return c.call(Protocol.READ_DATA, ReadDataCodec.encode(topic.backend().alloc(), h.id(), m.localOf(), chunk),
                List.of(), h.generation());
    }
}
