package dev.diaspora.stream.netty;

import static dev.diaspora.stream.netty.protocol.Protocol.need;

import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.netty.protocol.Answers;
import dev.diaspora.stream.netty.protocol.ConsumerRequests;
import dev.diaspora.stream.netty.protocol.PartitionRequests;
import dev.diaspora.stream.netty.protocol.Protocol;
import dev.diaspora.stream.netty.protocol.Request;
import dev.diaspora.stream.netty.protocol.TopicRequests;
import dev.diaspora.stream.spi.TopicNames;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.timeout.IdleStateEvent;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The requests of one client connection of a {@link PartitionServer} once its {@link HandshakeHandler} authenticated
 * it: decodes each frame into its typed {@link Request} and dispatches it. APPEND and CLOSE_APPENDER go to the
 * connection's {@link AppendPath} on the event loop, in arrival order (the files appender is asynchronous, so order
 * per partition is the order of the frames), as does RELEASE; every other request runs on the server's worker pool,
 * since storage calls may block: reads are the {@link DataPull}'s, topic administration {@link AdminRequests}' and
 * consumer groups {@link ServerGroups}'. End notifications leave through the {@link EndsPublisher}. State the
 * connection owns (topic handles, leases, appenders, group members) is released when it closes.
 *
 * <p>Thread safety: the maps are concurrent; the append path is used on the event loop only.
 */
final class ServerConnection extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(ServerConnection.class);

    private final PartitionServer server;
    private final Channel channel;
    private final ServerReplies replies;
    private final AppendPath appends;
    private final DataPull data;
    private final EndsPublisher publisher;
    private final AtomicInteger nextHandle = new AtomicInteger();
    private final AtomicLong nextLease = new AtomicLong();
    private final Map<Integer, ServerTopic> handles = new ConcurrentHashMap<>();
    private final Map<Long, AutoCloseable> leases = new ConcurrentHashMap<>();
    /** The protocol version the client's HELLO named (PROTOCOL.md, "Versions"); set before any other request. */
    private volatile int version = Protocol.VERSION;

    /** A connection whose HELLO is yet to come: add {@link #handshake()} before it in the pipeline. */
    ServerConnection(PartitionServer server, Channel channel) {
        this.server = server;
        this.channel = channel;
        this.replies = new ServerReplies(channel);
        this.appends = new AppendPath(server, this, replies);
        this.data = new DataPull(server, this);
        this.publisher = new EndsPublisher(channel);
    }

    /** @return the handler authenticating this connection's HELLO, which shares its answers (and closing state) */
    HandshakeHandler handshake() {
        return new HandshakeHandler(server, replies, v -> version = v);
    }

    /** @return the protocol version the client's HELLO named (PROTOCOL.md, "Versions") */
    int version() {
        return version;
    }

    Channel channel() {
        return channel;
    }

    private String peer() {
        return replies.peer();
    }

    // ------------------------------------------------------------------ dispatch

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf frame = (ByteBuf) msg;
        if (replies.isClosing()) {
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
            replies.badFrame(reqId, e);
            return;
        }
        if (type == Protocol.APPEND) {
            appends.append(reqId, frame); // takes ownership of the frame
            return;
        }
        if (type == Protocol.CLOSE_APPENDER || type == Protocol.RELEASE) {
            // in arrival order: a lease released before a LEASE of the same connection must be free for it
            try {
                Request r = Request.decode(type, frame);
                if (r instanceof ConsumerRequests.Release rel) {
                    closeQuietly(leases.remove(rel.lease()));
                } else {
                    appends.closeAppender((PartitionRequests.CloseAppender) r);
                }
                replies.ok(reqId, null);
            } catch (RuntimeException e) {
                replies.badFrame(reqId, e);
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
            replies.error(reqId, new DiasporaException("the server is closing", null, true));
        }
    }

    private void serve(long reqId, int type, ByteBuf in) {
        try {
            replies.ok(reqId, handle(Request.decode(type, in))); // decoding checks the whole frame before it acts
        } catch (Protocol.BadFrameException | IndexOutOfBoundsException e) {
            replies.badFrame(reqId, e);
        } catch (RuntimeException e) {
            replies.error(reqId, e);
        } finally {
            in.release();
        }
    }

    private Object handle(Request r) {
        if (r instanceof TopicRequests.OpenTopic o) {
            return openTopic(o.name());
        } else if (r instanceof TopicRequests.Subscribe s) {
            ServerTopic t = topic(s.handle());
            t.subscribe(new ServerTopic.Subscriber(this, s.handle()));
            return answer(new Answers.Notify(s.handle(), t.ends())::encode); // read after subscribing: nothing lost
        } else if (r instanceof TopicRequests.CloseTopic c) {
            ServerTopic t = handles.remove(c.handle());
            if (t != null) {
                t.unsubscribe(new ServerTopic.Subscriber(this, c.handle()));
                publisher.forget(c.handle());
                server.topics().release(t);
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
            return data.read(q);
        } else if (r instanceof PartitionRequests.ReadInline q) {
            if (version < 3) {
                throw new Protocol.BadFrameException("READ_INLINE needs protocol version 3; this connection's HELLO"
                        + " named version " + version);
            }
            return data.readInline(q);
        } else if (r instanceof PartitionRequests.ReadData q) {
            return data.readData(q);
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
                if (replies.isClosing()) { // the connection closed meanwhile: do not keep the lease
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
        return replies.isClosing();
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

    /** @return {@code p} if it is a partition of {@code t} on this server */
    static int partition(ServerTopic t, int p) {
        if (p < 0 || p >= t.numPartitions()) {
            throw new Protocol.BadFrameException("partition " + p + " is not one of the " + t.numPartitions()
                    + " partitions of topic '" + t.name + "' on this server");
        }
        return p;
    }

    // ------------------------------------------------------------------ topics

    private ByteBuf openTopic(String name) {
        ServerTopic t = server.topics().acquire(name);
        int h = nextHandle.incrementAndGet();
        handles.put(h, t);
        if (replies.isClosing()) {
            handles.remove(h);
            server.topics().release(t);
            throw new DiasporaException("connection closed");
        }
        ServerTopic.Subscriber s = new ServerTopic.Subscriber(this, h);
        if (version == 1) {
            t.subscribe(s); // a version 1 client expects the ends of every handle it opens (it cannot SUBSCRIBE)
        } else {
            t.opened(s); // told of a deletion or added partitions only, until it subscribes (SUBSCRIBE)
        }
        long[] ends = t.ends();
        long[] firsts = new long[ends.length];
        for (int p = 0; p < ends.length; p++) {
            firsts[p] = t.local.bounds(p).first();
        }
        return answer(new Answers.OpenTopicAnswer(h, t.components.toString(), firsts, ends)::encode);
    }

    /** Called by a topic's notifier thread: sends the latest ends of a handle, coalescing while not writable. */
    void pushEnds(int handle, long[] ends) {
        publisher.push(handle, ends);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            publisher.flush();
            appends.updateAutoRead();
        } else {
            ctx.channel().config().setAutoRead(false); // answers are not leaving: stop taking requests
        }
        ctx.fireChannelWritabilityChanged();
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
            replies.badFrame(0, new Protocol.BadFrameException(cause.getMessage()));
        } else if (cause instanceof DecoderException) {
            replies.badFrame(0, new Protocol.BadFrameException(String.valueOf(c.getMessage())));
        } else {
            LOG.debug("connection {}: {}", peer(), cause.toString());
            ctx.close();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof IdleStateEvent) {
            if (handles.isEmpty() && leases.isEmpty() && !appends.hasAppenders()
                    && !server.groups().hasMembers(this)) { // before the handshake, the HandshakeHandler drops it
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
        replies.closing();
        server.groups().connectionClosed(this);
        for (Long id : List.copyOf(leases.keySet())) {
            closeQuietly(leases.remove(id));
        }
        appends.close();
        for (Integer h : List.copyOf(handles.keySet())) {
            ServerTopic t = handles.remove(h);
            if (t != null) {
                t.unsubscribe(new ServerTopic.Subscriber(this, h));
                server.topics().release(t);
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
