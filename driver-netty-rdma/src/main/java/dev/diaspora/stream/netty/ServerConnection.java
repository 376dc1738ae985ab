package dev.diaspora.stream.netty;

import static dev.diaspora.stream.netty.protocol.Protocol.need;

import dev.diaspora.stream.DataDescriptor;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.InvalidSelectionException;
import dev.diaspora.stream.Ordering;
import dev.diaspora.stream.files.StoredDataSource;
import dev.diaspora.stream.files.storage.StoredData;
import dev.diaspora.stream.netty.protocol.Answers;
import dev.diaspora.stream.netty.protocol.AppendRequest;
import dev.diaspora.stream.netty.protocol.ConsumerRequests;
import dev.diaspora.stream.netty.protocol.Handshake;
import dev.diaspora.stream.netty.protocol.PartitionRequests;
import dev.diaspora.stream.netty.protocol.Protocol;
import dev.diaspora.stream.netty.protocol.ReadAnswer;
import dev.diaspora.stream.netty.protocol.Request;
import dev.diaspora.stream.netty.protocol.TopicRequests;
import dev.diaspora.stream.spi.Appender;
import dev.diaspora.stream.spi.AppenderConfig;
import dev.diaspora.stream.spi.DataRequest;
import dev.diaspora.stream.spi.IncomingBatch;
import dev.diaspora.stream.spi.OutgoingBatch;
import dev.diaspora.stream.spi.TopicNames;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.DefaultFileRegion;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection of a {@link PartitionServer}: authenticates the HELLO, then serves requests. APPEND and
 * CLOSE_APPENDER run on the event loop, in arrival order (the files appender is asynchronous, so order per
 * partition is the order of the frames); every other request runs on the server's worker pool, since storage calls
 * may block; topic administration is {@link AdminRequests}' and consumer groups are {@link ServerGroups}'. State the
 * connection owns (topic handles, leases, appenders, group members) is released when it closes.
 *
 * <p>Thread safety: the maps are concurrent; appenders are touched on the event loop only.
 */
final class ServerConnection extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(ServerConnection.class);
    /**
     * Selections at least this large go zero-copy (whole blocks) on plaintext connections, if widening them to whole
     * blocks adds at most a quarter: one block, so that a whole 64 KiB event (exactly one checksum block) leaves the
     * file by {@code sendfile} instead of being read, checked and copied here.
     */
    static final long ZERO_COPY_MIN = Protocol.BLOCK_SIZE;
    /** Selections at least this large may also be widened by up to two blocks (their unaligned ends). */
    static final long ZERO_COPY_WIDE = 256 << 10;

    private final PartitionServer server;
    private final Channel channel;
    private volatile boolean authenticated;
    private final AtomicInteger nextHandle = new AtomicInteger();
    private final AtomicLong nextLease = new AtomicLong();
    private final Map<Integer, ServerTopic> handles = new ConcurrentHashMap<>();
    private final Map<Long, AutoCloseable> leases = new ConcurrentHashMap<>();
    private final Map<Long, Appender> appenders = new HashMap<>(); // event loop only
    private final Map<Integer, long[]> pendingEnds = new ConcurrentHashMap<>();
    private final AtomicBoolean notifyScheduled = new AtomicBoolean();
    private long pendingAppendBytes; // event loop only
    private final Map<AssemblyKey, BatchAssembly> assemblies = new HashMap<>(); // event loop only
    private long assemblingBytes; // event loop only: bytes of the frames of incomplete batches
    private volatile boolean closing;

    ServerConnection(PartitionServer server, Channel channel) {
        this.server = server;
        this.channel = channel;
    }

    Channel channel() {
        return channel;
    }

    private String peer() {
        return String.valueOf(channel.remoteAddress());
    }

    // ------------------------------------------------------------------ dispatch

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf frame = (ByteBuf) msg;
        if (closing) {
            frame.release();
            return;
        }
        long reqId = 0;
        int type;
        try {
            need(frame, Protocol.HEADER, "frame header");
            type = frame.readByte();
            reqId = frame.readLong();
        } catch (RuntimeException e) {
            frame.release();
            badFrame(reqId, e);
            return;
        }
        if (!authenticated) {
            try {
                hello(reqId, type, frame);
            } catch (RuntimeException e) {
                badFrame(reqId, e);
            } finally {
                frame.release();
            }
            return;
        }
        if (type == Protocol.APPEND) {
            append(reqId, frame); // takes ownership of the frame
            return;
        }
        if (type == Protocol.CLOSE_APPENDER || type == Protocol.RELEASE) {
            // in arrival order: a lease released before a LEASE of the same connection must be free for it
            try {
                Request r = Request.decode(type, frame);
                if (r instanceof ConsumerRequests.Release rel) {
                    closeQuietly(leases.remove(rel.lease()));
                } else {
                    closeAppender((PartitionRequests.CloseAppender) r);
                }
                ok(reqId, null);
            } catch (RuntimeException e) {
                badFrame(reqId, e);
            } finally {
                frame.release();
            }
            return;
        }
        long id = reqId;
        try {
            server.workers().execute(() -> serve(id, type, frame));
        } catch (RejectedExecutionException e) {
            frame.release();
            error(reqId, new DiasporaException("the server is closing", null, true));
        }
    }

    private void serve(long reqId, int type, ByteBuf in) {
        try {
            ok(reqId, handle(Request.decode(type, in))); // decoding checks the whole frame before it acts
        } catch (Protocol.BadFrameException | IndexOutOfBoundsException e) {
            badFrame(reqId, e);
        } catch (RuntimeException e) {
            error(reqId, e);
        } finally {
            in.release();
        }
    }

    private Object handle(Request r) {
        if (r instanceof TopicRequests.OpenTopic o) {
            return openTopic(o.name());
        } else if (r instanceof TopicRequests.CloseTopic c) {
            ServerTopic t = handles.remove(c.handle());
            if (t != null) {
                t.unsubscribe(new ServerTopic.Subscriber(this, c.handle()));
                pendingEnds.remove(c.handle());
                server.releaseTopic(t);
            }
            return null;
        } else if (r instanceof PartitionRequests.Bounds q) {
            ServerTopic t = topic(q.handle());
            var b = t.local.bounds(partition(t, q.partition()));
            return answer(new Answers.BoundsAnswer(b.first(), b.next())::encode);
        } else if (r instanceof PartitionRequests.IdForTime q) {
            ServerTopic t = topic(q.handle());
            int p = partition(t, q.partition());
            long id = t.local.idForTime(p, Instant.ofEpochSecond(q.seconds(), q.nanos()));
            return answer(new Answers.LongValue(id)::encode);
        } else if (r instanceof PartitionRequests.Read q) {
            return read(q);
        } else if (r instanceof PartitionRequests.ReadData q) {
            return readData(q);
        } else if (r instanceof ConsumerRequests.Committed q) {
            ServerTopic t = topic(q.handle());
            return answer(new Answers.Positions(t.local.committed(q.consumer()))::encode);
        } else if (r instanceof ConsumerRequests.Commit q) {
            ServerTopic t = topic(q.handle());
            Map<Integer, Long> positions = new HashMap<>();
            q.positions().forEach((p, pos) -> positions.put(partition(t, p), pos));
            t.checkCommit(q.consumer(), positions.keySet(), this);
            t.local.commit(q.consumer(), positions);
            return null;
        } else if (r instanceof ConsumerRequests.Lease q) {
            ServerTopic t = topic(q.handle());
            AutoCloseable lease = t.lease(q.consumer(), partition(t, q.partition()), this);
            long id = 0;
            if (lease != null) {
                id = nextLease.incrementAndGet();
                leases.put(id, lease);
                if (closing) { // the connection closed meanwhile: do not keep the lease
                    closeQuietly(leases.remove(id));
                }
            }
            return answer(new Answers.LongValue(id)::encode);
        } else if (r instanceof ConsumerRequests.ConsumerNames q) {
            ServerTopic t = topic(q.handle());
            return answer(new Answers.Names(List.copyOf(t.backend.consumerNames()))::encode);
        } else if (r instanceof PartitionRequests.LostRanges q) {
            ServerTopic t = topic(q.handle());
            return answer(new Answers.LostRangeList(t.backend.lostRanges(partition(t, q.partition())))::encode);
        } else if (ServerGroups.isGroupRequest(r.type())) {
            return server.groups().serve(this, r);
        } else if (AdminRequests.isAdminRequest(r.type())) {
            return server.admin().serve(channel.alloc(), r);
        }
        throw new Protocol.BadFrameException("unknown request type " + r.type());
    }

    /** @return a new buffer of this channel's allocator holding what {@code encoder} writes */
    ByteBuf answer(java.util.function.Consumer<ByteBuf> encoder) {
        return Protocol.encode(channel.alloc(), encoder);
    }

    /** @return whether this connection is closing (its state is being released) */
    boolean isClosing() {
        return closing;
    }

    /** @return the topic of a handle of this connection */
    ServerTopic topic(int handle) {
        ServerTopic t = handles.get(handle);
        if (t == null) {
            throw new DiasporaException("unknown topic handle " + handle + " (closed, deleted, or never opened on"
                    + " this connection)");
        }
        if (t.deleted) {
            throw TopicNames.deleted(t.name, "deleted on partition server " + server.serverId());
        }
        return t;
    }

    private static int partition(ServerTopic t, int p) {
        if (p < 0 || p >= t.numPartitions()) {
            throw new Protocol.BadFrameException("partition " + p + " is not one of the " + t.numPartitions()
                    + " partitions of topic '" + t.name + "' on this server");
        }
        return p;
    }

    // ------------------------------------------------------------------ HELLO

    private void hello(long reqId, int type, ByteBuf in) {
        if (type != Protocol.HELLO) {
            throw new Protocol.BadFrameException("the first frame must be HELLO, got " + Protocol.typeName(type));
        }
        Handshake.Hello hello = Handshake.Hello.decode(in);
        int version = hello.version();
        byte[] token = hello.token().getBytes(StandardCharsets.UTF_8);
        if (version != Protocol.VERSION) {
            server.refusals().warn("version", peer(), "protocol version " + version + " (this server speaks "
                    + Protocol.VERSION + ")");
            errorAndClose(reqId, Protocol.E_VERSION, "protocol version " + version + " is not supported; this server"
                    + " speaks version " + Protocol.VERSION + ". Use a client of the same release");
            return;
        }
        if (!server.tokenMatches(token)) {
            server.refusals().warn("token", peer(), "wrong or missing token");
            errorAndClose(reqId, Protocol.E_AUTH, "wrong or missing token");
            return;
        }
        authenticated = true;
        FrameDecoder frames = channel.pipeline().get(FrameDecoder.class);
        if (frames != null) {
            frames.handshakeDone(); // on the event loop: before the next frame is decoded
        }
        ConnectionGuard guard = channel.pipeline().get(ConnectionGuard.class);
        if (guard != null) {
            guard.handshakeDone();
        }
        ok(reqId, answer(new Handshake.HelloAnswer(Protocol.VERSION, server.serverId(), server.maxFrame())::encode));
    }

    // ------------------------------------------------------------------ topics

    private ByteBuf openTopic(String name) {
        ServerTopic t = server.acquireTopic(name);
        int h = nextHandle.incrementAndGet();
        handles.put(h, t);
        if (closing) {
            handles.remove(h);
            server.releaseTopic(t);
            throw new DiasporaException("connection closed");
        }
        t.subscribe(new ServerTopic.Subscriber(this, h));
        long[] ends = t.ends();
        long[] firsts = new long[ends.length];
        for (int p = 0; p < ends.length; p++) {
            firsts[p] = t.local.bounds(p).first();
        }
        return answer(new Answers.OpenTopicAnswer(h, t.components.toString(), firsts, ends)::encode);
    }

    /** Called by a topic's notifier thread: sends the latest ends of a handle, coalescing while not writable. */
    void pushEnds(int handle, long[] ends) {
        pendingEnds.merge(handle, ends, (was, now) -> was.length == 0 ? was : now); // a deletion notice stays
        if (notifyScheduled.compareAndSet(false, true)) {
            channel.eventLoop().execute(this::flushNotifications);
        }
    }

    private void flushNotifications() {
        notifyScheduled.set(false);
        if (!channel.isActive()) {
            return;
        }
        if (!channel.isWritable()) {
            return; // channelWritabilityChanged sends the latest state
        }
        for (Integer h : List.copyOf(pendingEnds.keySet())) {
            long[] ends = pendingEnds.remove(h);
            if (ends == null) {
                continue;
            }
            Answers.Notify push = new Answers.Notify(h, ends);
            ByteBuf f = channel.alloc().buffer(4 + Protocol.HEADER + push.size());
            f.writeInt(Protocol.HEADER + push.size()).writeByte(Protocol.NOTIFY).writeLong(0);
            push.encode(f);
            channel.write(f, channel.voidPromise());
        }
        channel.flush();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            if (!pendingEnds.isEmpty()) {
                flushNotifications();
            }
            updateAutoRead();
        } else {
            ctx.channel().config().setAutoRead(false); // answers are not leaving: stop taking requests
        }
        ctx.fireChannelWritabilityChanged();
    }

    private void updateAutoRead() {
        channel.config().setAutoRead(channel.isWritable() && pendingAppendBytes <= server.maxPendingAppendBytes());
    }

    // ------------------------------------------------------------------ appends

    private void append(long reqId, ByteBuf in) {
        int frameBytes = in.readableBytes();
        AppendRequest req;
        Appender appender;
        ServerTopic t;
        int p;
        try {
            req = AppendRequest.decode(in);
            t = topic(req.handle);
            p = partition(t, req.partition);
            appender = appenders.get(req.appenderId());
            if (appender == null) {
                appender = t.backend.appender(new AppenderConfig("remote " + peer(), req.producerId,
                        Integer.MAX_VALUE, Ordering.STRICT));
                appenders.put(req.appenderId(), appender);
            }
        } catch (Protocol.BadFrameException | IndexOutOfBoundsException e) {
            in.release();
            badFrame(reqId, e);
            return;
        } catch (RuntimeException e) {
            in.release();
            error(reqId, e);
            return;
        }
        AssemblyKey key = new AssemblyKey(req.appenderId(), p);
        BatchAssembly assembly = assemblies.get(key);
        if (assembly == null && !req.more) { // the whole batch in one frame: the common case
            submit(t, appender, p, new OutgoingBatch(req.count, req.metadata, req.offsets, req.data,
                    req.timestampsNanos, req.producerId, req.sequence), frameBytes, in::release,
                    new long[] {reqId}, new int[] {0});
            return;
        }
        if (assembly == null) {
            assembly = new BatchAssembly(req);
            assemblies.put(key, assembly);
        }
        if (assembly.refusal() != null) {
            in.release();
            error(reqId, assembly.refusal());
        } else {
            try {
                assembly.add(reqId, req, in, frameBytes); // owns the frame from here
            } catch (Protocol.BadFrameException e) {
                dropAssembly(key);
                badFrame(reqId, e);
                return;
            }
            assemblingBytes += frameBytes;
            if (assemblingBytes > server.maxPendingAppendBytes()) {
                assemblingBytes -= assembly.bytes();
                DiasporaException refusal = new DiasporaException("A batch split over several APPEND frames"
                        + " would make this connection hold more than " + server.maxPendingAppendBytes() + " bytes of"
                        + " incomplete batches (the server's maxPendingAppendBytes); lower the producer's"
                        + " maxBatchBytes", null, false);
                for (long id : assembly.refuse(refusal)) {
                    error(id, refusal);
                }
            }
        }
        if (!req.more) {
            assemblies.remove(key);
            if (assembly.refusal() == null) {
                assemblingBytes -= assembly.bytes();
                BatchAssembly whole = assembly;
                submit(t, appender, p, whole.batch(), whole.bytes(), whole::release, whole.requestIds(),
                        whole.partStarts());
            }
        }
    }

    /**
     * Appends a whole batch (or finds it stored already: a retry), then answers each of its frames ({@code requestIds}, whose first events are at
     * {@code starts} in the batch) with the id of its first event, and runs {@code release}.
     */
    private void submit(ServerTopic t, Appender appender, int p, OutgoingBatch batch, long bytes, Runnable release,
            long[] requestIds, int[] starts) {
        pendingAppendBytes += bytes;
        updateAutoRead();
        CompletableFuture<Long> appended;
        try {
            appended = t.appends(p).submit(appender, batch); // deduplicated by producer id and sequence
        } catch (RuntimeException e) { // the partition's producer state cannot be read
            appended = CompletableFuture.failedFuture(e);
        }
        appended.whenComplete((id, err) -> {
            release.run();
            Throwable cause = err instanceof java.util.concurrent.CompletionException && err.getCause() != null
                    ? err.getCause() : err;
            for (int i = 0; i < requestIds.length; i++) {
                if (err != null) {
                    error(requestIds[i], cause);
                } else {
                    ok(requestIds[i], answer(new Answers.LongValue(id + starts[i])::encode));
                }
            }
            onLoop(() -> {
                pendingAppendBytes -= bytes;
                updateAutoRead();
            }, () -> { });
        });
    }

    private void dropAssembly(AssemblyKey key) {
        BatchAssembly a = assemblies.remove(key);
        if (a != null) {
            if (a.refusal() == null) {
                assemblingBytes -= a.bytes();
            }
            a.release();
        }
    }

    /** Names the batch a producer (files appender of the connection) is assembling for one partition. */
    private record AssemblyKey(long appender, int partition) {
    }

    private void closeAppender(PartitionRequests.CloseAppender req) {
        Appender a = appenders.remove(req.appenderId());
        if (a != null) {
            a.close();
        }
    }

    // ------------------------------------------------------------------ reads

    private ByteBuf read(PartitionRequests.Read req) {
        ServerTopic t = topic(req.handle());
        int p = partition(t, req.partition());
        long maxBytes = Math.min(req.maxBytes(), server.maxFrame() / 2);
        IncomingBatch b = t.local.read(p, req.from(), req.maxEvents(), maxBytes);
        try {
            return answer(new ReadAnswer(t.local.bounds(p).next(), b)::encode);
        } finally {
            if (b != null) {
                b.release();
            }
        }
    }

    /** An answer made of several parts (buffers and file regions), written as one frame without copying them. */
    record Reply(List<Object> parts, long length) {
        void release() {
            for (Object o : parts) {
                ReferenceCountUtil.release(o);
            }
        }
    }

    /**
     * READ_DATA. A selection of at least {@link #ZERO_COPY_MIN} bytes on a plaintext connection that whole blocks
     * cover with little waste (see {@link #zeroCopyWorthIt}) is sent as whole 64 KiB blocks straight from the data file (a zero-copy file-to-socket transfer) with their CRCs, which the
     * client verifies; smaller ones, or any on a TLS connection, are read here (checked against their CRCs) and only
     * the selected bytes are sent.
     */
    private Object readData(PartitionRequests.ReadData req) {
        ServerTopic t = topic(req.handle());
        int n = req.items().size();
        DiasporaException[] early = new DiasporaException[n];
        long[] sizes = new long[n];
        long[] baseSizes = new long[n];
        DataDescriptor[] descriptors = new DataDescriptor[n];
        int[] parts = new int[n];
        long[] ids = new long[n];
        for (int i = 0; i < n; i++) {
            PartitionRequests.ReadData.Item item = req.items().get(i);
            parts[i] = partition(t, item.partition());
            ids[i] = item.eventId();
            baseSizes[i] = item.baseSize();
            long[] bounds = item.ranges();
            int nr = bounds.length / 2;
            descriptors[i] = DataDescriptor.NONE;
            try { // a hostile range (negative, outside the data) fails this request only
                List<DataDescriptor.Range> ranges = new ArrayList<>(nr);
                for (int r = 0; r < nr; r++) {
                    ranges.add(new DataDescriptor.Range(bounds[2 * r], bounds[2 * r + 1]));
                }
                descriptors[i] = DataDescriptor.of(ids[i], baseSizes[i]).makeUnstructuredView(ranges);
                sizes[i] = descriptors[i].size();
            } catch (RuntimeException e) {
                early[i] = e instanceof DiasporaException ? (DiasporaException) e
                        : new InvalidSelectionException("bad selection: " + e.getMessage());
            }
        }
        // zero-copy candidates: whole blocks from the file, when widening costs little
        StoredData[] stored = new StoredData[n];
        long[][] spans = new long[n][];
        boolean plaintext = channel.pipeline().get("tls") == null;
        StoredDataSource source = t.backend instanceof StoredDataSource ? (StoredDataSource) t.backend : null;
        long wire = 0;
        for (int i = 0; i < n; i++) {
            if (early[i] != null) {
                continue;
            }
            if (plaintext && source != null && sizes[i] >= ZERO_COPY_MIN) {
                long[] sp = blockSpans(descriptors[i], baseSizes[i]);
                long widened = 0;
                for (int k = 1; k < sp.length; k += 2) {
                    widened += sp[k];
                }
                if (zeroCopyWorthIt(sizes[i], widened)) {
                    try {
                        stored[i] = source.storedData(parts[i], ids[i], baseSizes[i]);
                        spans[i] = sp;
                        wire += Math.min(widened, Integer.MAX_VALUE);
                        continue;
                    } catch (DiasporaException e) {
                        early[i] = e;
                        continue;
                    }
                }
            }
            // each term is capped so that the sum cannot wrap around (n <= 2^20); the check below refuses it
            wire += Math.min(sizes[i], Integer.MAX_VALUE);
        }
        if (wire > server.maxFrame() - 1024L - 64L * n) {
            throw new DiasporaException("READ_DATA asks for " + wire + " bytes, more than one frame ("
                    + server.maxFrame() + "); split the request");
        }
        long copied = 0;
        for (int i = 0; i < n; i++) {
            if (early[i] == null && stored[i] == null) {
                copied += sizes[i];
            }
        }
        ByteBuf data = channel.alloc().directBuffer((int) copied);
        data.writerIndex((int) copied);
        List<DataRequest> requests = new ArrayList<>();
        DataRequest[] byIndex = new DataRequest[n];
        long at = 0;
        for (int i = 0; i < n; i++) {
            if (early[i] == null && stored[i] == null) {
                DataView target = sizes[i] == 0 ? DataView.EMPTY
                        : DataView.of(data.nioBuffer((int) at, (int) sizes[i]));
                byIndex[i] = new DataRequest(parts[i], ids[i], descriptors[i], target);
                requests.add(byIndex[i]);
                at += sizes[i];
            }
        }
        try {
            if (!requests.isEmpty()) {
                t.local.readData(requests);
            }
        } catch (RuntimeException e) {
            data.release();
            throw e;
        }
        ByteBuf head = channel.alloc().buffer();
        List<Object> out = new ArrayList<>();
        out.add(head);
        RegionRun run = new RegionRun(out);
        long length = 0;
        at = 0;
        for (int i = 0; i < n; i++) {
            DiasporaException e = early[i] != null ? early[i] : byIndex[i] != null ? byIndex[i].error() : null;
            if (e != null) {
                head.writeByte(Protocol.kindOf(e));
                Protocol.writeString(head, Protocol.truncate(e.getMessage()));
            } else if (stored[i] != null) {
                StoredData sd = stored[i];
                long[] sp = spans[i];
                head.writeByte(Protocol.DATA_BLOCKS).writeInt(sp.length / 2);
                for (int k = 0; k < sp.length; k += 2) {
                    long off = sp[k];
                    long len = sp[k + 1];
                    int first = (int) (off / Protocol.BLOCK_SIZE);
                    int nb = (int) ((len + Protocol.BLOCK_SIZE - 1) / Protocol.BLOCK_SIZE);
                    head.writeLong(off).writeLong(len);
                    for (int b = 0; b < nb; b++) {
                        head.writeInt(sd.blockCrcs()[first + b]);
                    }
                    run.add(sd.file(), sd.position() + off, len);
                    length += len;
                }
            } else {
                head.writeByte(Protocol.DATA_SELECTED);
                if (sizes[i] > 0) {
                    run.flush();
                    out.add(data.retainedSlice((int) at, (int) sizes[i]));
                    length += sizes[i];
                }
            }
            if (byIndex[i] != null) {
                at += sizes[i];
            }
        }
        run.flush();
        data.release();
        server.countData(length - copied, copied);
        return new Reply(out, length + head.readableBytes());
    }

    /**
     * @return true if a selection of {@code size} bytes, {@code widened} bytes once widened to whole blocks, should go
     *     zero-copy: widening adds at most a quarter, and for selections of {@link #ZERO_COPY_WIDE} or more also up to
     *     two blocks (a large unaligned selection). A whole event or a block-aligned selection adds nothing.
     */
    static boolean zeroCopyWorthIt(long size, long widened) {
        if (size < ZERO_COPY_MIN) {
            return false;
        }
        return widened <= size + size / 4 + (size >= ZERO_COPY_WIDE ? 2L * Protocol.BLOCK_SIZE : 0);
    }

    /** @return the selection widened to whole blocks, as (offset, length) pairs in selection order, merged */
    private static long[] blockSpans(DataDescriptor d, long dataLen) {
        long bs = Protocol.BLOCK_SIZE;
        List<long[]> spans = new ArrayList<>();
        d.flatten((off, size) -> {
            if (size <= 0) {
                return;
            }
            long a = off / bs * bs;
            long b = Math.min((off + size + bs - 1) / bs * bs, dataLen);
            long[] last = spans.isEmpty() ? null : spans.get(spans.size() - 1);
            if (last != null && a >= last[0] && a <= last[1]) {
                last[1] = Math.max(last[1], b);
            } else {
                spans.add(new long[] {a, b});
            }
        });
        long[] out = new long[2 * spans.size()];
        for (int k = 0; k < spans.size(); k++) {
            out[2 * k] = spans.get(k)[0];
            out[2 * k + 1] = spans.get(k)[1] - spans.get(k)[0];
        }
        return out;
    }

    /** Coalesces adjacent ranges of one file into one file region (consecutive events are contiguous on disk). */
    private static final class RegionRun {
        private final List<Object> out;
        private java.nio.file.Path file;
        private long position;
        private long length;

        RegionRun(List<Object> out) {
            this.out = out;
        }

        void add(java.nio.file.Path f, long pos, long len) {
            if (file != null && file.equals(f) && position + length == pos) {
                length += len;
                return;
            }
            flush();
            file = f;
            position = pos;
            length = len;
        }

        void flush() {
            if (file != null && length > 0) {
                out.add(new DefaultFileRegion(file.toFile(), position, length));
            }
            file = null;
            length = 0;
        }
    }

    // ------------------------------------------------------------------ answers

    private void ok(long reqId, Object payload) {
        if (payload instanceof Reply) {
            Reply r = (Reply) payload;
            ByteBuf h = channel.alloc().buffer(4 + Protocol.HEADER).writeInt((int) (Protocol.HEADER + r.length()))
                    .writeByte(Protocol.OK).writeLong(reqId);
            onLoop(() -> {
                channel.write(h, channel.voidPromise());
                for (Object part : r.parts()) {
                    channel.write(part, channel.voidPromise());
                }
                channel.flush();
            }, () -> {
                h.release();
                r.release();
            });
            return;
        }
        ByteBuf buf = (ByteBuf) payload;
        int len = Protocol.HEADER + (buf == null ? 0 : buf.readableBytes());
        ByteBuf h = channel.alloc().buffer(4 + Protocol.HEADER).writeInt(len).writeByte(Protocol.OK)
                .writeLong(reqId);
        if (buf == null) {
            channel.writeAndFlush(h, channel.voidPromise());
        } else {
            onLoop(() -> {
                channel.write(h, channel.voidPromise());
                channel.writeAndFlush(buf, channel.voidPromise());
            }, () -> {
                h.release();
                buf.release();
            });
        }
    }

    /** Runs {@code task} on the channel's event loop, or {@code ifShutDown} when the server is closing. */
    private void onLoop(Runnable task, Runnable ifShutDown) {
        try {
            channel.eventLoop().execute(task);
        } catch (RejectedExecutionException e) {
            ifShutDown.run();
        }
    }

    private void error(long reqId, Throwable e) {
        writeError(reqId, Protocol.kindOf(e), String.valueOf(e.getMessage() == null ? e.toString()
                : e.getMessage()), false);
        if (!(e instanceof DiasporaException)) {
            LOG.warn("request from {} failed", peer(), e);
        }
    }

    private void badFrame(long reqId, Throwable e) {
        String m = e instanceof Protocol.BadFrameException ? e.getMessage()
                : "bad frame: truncated or malformed (" + e + ")";
        LOG.warn("closing connection {}: {}", peer(), m);
        writeError(reqId, Protocol.E_BAD_FRAME, m, true);
    }

    private void errorAndClose(long reqId, byte kind, String message) {
        writeError(reqId, kind, message, true);
    }

    private void writeError(long reqId, byte kind, String message, boolean close) {
        ByteBuf f = Protocol.errorFrame(channel.alloc(), reqId, kind, Protocol.truncate(message));
        if (close) {
            closing = true;
            channel.config().setAutoRead(false);
            channel.writeAndFlush(f).addListener(ChannelFutureListener.CLOSE);
        } else {
            channel.writeAndFlush(f, channel.voidPromise());
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Throwable c = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
        if (c instanceof SSLException) {
            // never log a NotSslRecordException's message: it dumps the record, which may hold the client's token
            LOG.warn("closing connection {}: TLS failed: {}", peer(), c instanceof NotSslRecordException
                    ? "not a TLS record" : c.getMessage());
            ctx.close();
        } else if (cause instanceof TooLongFrameException) {
            if (!authenticated) {
                server.refusals().warn("frame before handshake", peer(), cause.getMessage());
            }
            badFrame(0, new Protocol.BadFrameException(cause.getMessage()));
        } else if (cause instanceof DecoderException) {
            badFrame(0, new Protocol.BadFrameException(String.valueOf(c.getMessage())));
        } else {
            LOG.debug("connection {}: {}", peer(), cause.toString());
            ctx.close();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof IdleStateEvent) {
            if (authenticated && handles.isEmpty() && leases.isEmpty() && appenders.isEmpty()
                    && !server.groups().hasMembers(this)) { // before the handshake, its own timeout applies
                server.refusals().warn("idle", peer(), "silent for " + server.idleTimeoutMillis() + " ms while"
                        + " holding nothing (idleTimeout): closing the connection");
                ctx.close();
            }
            return;
        }
        ctx.fireUserEventTriggered(event);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closing = true;
        server.groups().connectionClosed(this);
        for (Long id : List.copyOf(leases.keySet())) {
            closeQuietly(leases.remove(id));
        }
        for (AssemblyKey k : List.copyOf(assemblies.keySet())) {
            dropAssembly(k);
        }
        for (Appender a : appenders.values()) {
            a.close();
        }
        appenders.clear();
        for (Integer h : List.copyOf(handles.keySet())) {
            ServerTopic t = handles.remove(h);
            if (t != null) {
                t.unsubscribe(new ServerTopic.Subscriber(this, h));
                server.releaseTopic(t);
            }
        }
        ctx.fireChannelInactive();
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c != null) {
            try {
                c.close();
            } catch (Exception e) {
                LOG.debug("closing {}: {}", c, e.toString());
            }
        }
    }
}
