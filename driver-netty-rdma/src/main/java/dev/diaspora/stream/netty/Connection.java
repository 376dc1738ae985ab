package dev.diaspora.stream.netty;

import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.InterruptException;
import dev.diaspora.stream.netty.protocol.Answers;
import dev.diaspora.stream.netty.protocol.Handshake;
import dev.diaspora.stream.netty.protocol.Protocol;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.util.concurrent.EventExecutor;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLException;

/**
 * The client's connection to one partition server: request/answer correlation by request id, frames written whole
 * (a frame's parts go out contiguously from the event loop), NOTIFY pushes routed to the open topics. A lost
 * connection fails every pending request with a retriable error; the next request reconnects (a new generation:
 * topic handles are re-opened, leases of the old connection are gone). Pending requests and the last error belong to
 * one socket ({@link Handler}), so that the late close of a lost socket never fails requests of its successor.
 *
 * <p>Thread safety: thread-safe. Never call {@link #callSync} from an event-loop thread.
 */
final class Connection {
    /** Receives NOTIFY pushes for a topic handle of this connection. */
    interface EndsListener {
        void ends(Connection c, long[] ends);
    }

    private final NettyBackend backend;
    final String address;
    private final String host;
    private final int port;
    private final AtomicLong ids = new AtomicLong();
    private final Map<Integer, EndsListener> listeners = new ConcurrentHashMap<>();
    private volatile Channel channel; // guarded by this for changes
    private volatile Handler current; // the handler of channel, or of the last channel tried
    private volatile String serverId;
    private volatile int maxFrame = Protocol.DEFAULT_MAX_FRAME;
    private volatile int generation;
    private volatile DiasporaException reconnectError; // of the last reconnect, if it failed
    private volatile boolean closed;

    Connection(NettyBackend backend, String address) {
        this.backend = backend;
        this.address = address;
        int colon = address.lastIndexOf(':');
        this.host = address.substring(0, colon);
        this.port = Integer.parseInt(address.substring(colon + 1));
    }

    String serverId() {
        return serverId;
    }

    int maxFrame() {
        return maxFrame;
    }

    int generation() {
        return generation;
    }

    void listen(int handle, EndsListener l) {
        listeners.put(handle, l);
    }

    void unlisten(int handle) {
        listeners.remove(handle);
    }

    /** @return true if the connection is up (a call needs no reconnect) */
    boolean isActive() {
        Channel ch = channel;
        return ch != null && ch.isActive();
    }

    /** @return true on one of the driver's event-loop threads, which must never wait for an answer */
    boolean inEventLoop() {
        for (EventExecutor e : backend.group()) {
            if (e.inEventLoop()) {
                return true;
            }
        }
        return false;
    }

    /**
     * Connects (or reconnects) and authenticates, unless connected.
     *
     * @throws DiasporaException (retriable) on an event-loop thread when a reconnect is needed: it would wait there
     */
    Channel connect() {
        Channel ch = channel;
        if (ch != null && ch.isActive()) {
            return ch;
        }
        if (inEventLoop()) { // e.g. a producer's next batch sent from the completion of one that failed
            throw closedError(current);
        }
        try {
            Channel c = reconnect();
            reconnectError = null;
            return c;
        } catch (DiasporaException e) {
            reconnectError = e;
            throw e;
        }
    }

    private synchronized Channel reconnect() {
        Channel ch = channel;
        if (ch != null && ch.isActive()) {
            return ch;
        }
        if (closed) {
            throw new DiasporaException("the driver is closed");
        }
        Bootstrap b = new Bootstrap().group(backend.group()).channel(Transport.get().channel())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, backend.connectTimeoutMillis())
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel c) {
                        if (backend.ssl() != null) {
                            c.pipeline().addLast("tls", backend.ssl().newHandler(c.alloc(), host, port));
                        }
                        // bounds what a server (or whatever answers at that address) can make this client buffer
                        c.pipeline().addLast("frames", new FrameDecoder(Protocol.MAX_HELLO_ANSWER,
                                Protocol.DEFAULT_MAX_FRAME, "partition server " + address));
                        c.pipeline().addLast("client", newSocketHandler());
                    }
                });
        ChannelFuture f = b.connect(host, port);
        if (!f.awaitUninterruptibly(backend.connectTimeoutMillis() + 1000L) || !f.isSuccess()) {
            f.channel().close();
            Throwable cause = f.cause();
            throw new LostException("Cannot connect to the partition server " + address + " within "
                    + backend.connectTimeoutMillis() + " ms: " + (cause == null ? "timed out" : cause.toString())
                    + ". Check the 'servers' option and that the server runs (diaspora-ctl server)", cause);
        }
        Channel nc = f.channel();
        try {
            ByteBuf hello = Handshake.Hello.of(backend.token()).encode(nc.alloc());
            ByteBuf answer = await(send(nc, Protocol.HELLO, hello, List.of()), Protocol.HELLO);
            try {
                Handshake.HelloAnswer a = Handshake.HelloAnswer.decode(answer);
                int version = a.version();
                serverId = a.serverId();
                maxFrame = Math.min(a.maxFrame(), Protocol.DEFAULT_MAX_FRAME);
                if (version != Protocol.VERSION) {
                    throw new DiasporaException("server " + address + " speaks protocol version " + version);
                }
            } finally {
                answer.release();
            }
            FrameDecoder frames = nc.pipeline().get(FrameDecoder.class);
            if (frames != null) {
                nc.eventLoop().submit(frames::handshakeDone).syncUninterruptibly();
            }
        } catch (RuntimeException e) {
            nc.close();
            throw e;
        }
        // published only now, with its generation first: a request never goes out on a connection that has not
        // authenticated, nor with a topic handle of an earlier connection (see call(..., generation))
        generation++;
        channel = nc;
        return nc;
    }

    /** Sends a request frame made of {@code payload} (may be null); takes ownership of it. */
    CompletableFuture<ByteBuf> call(byte type, ByteBuf payload) {
        return call(type, payload, List.of());
    }

    /**
     * Sends one frame: header, {@code payload}, then {@code tail} buffers (gathered by the socket write, not copied);
     * takes ownership of all buffers.
     *
     * @return the answer's payload, which the caller releases
     */
    CompletableFuture<ByteBuf> call(byte type, ByteBuf payload, List<ByteBuf> tail) {
        return call(type, payload, tail, -1);
    }

    /**
     * Like {@link #call(byte, ByteBuf, List)}, for a request that names state of one connection (a topic handle):
     * if the connection is not the one of {@code generation} any more (it was lost and re-established meanwhile),
     * the request is not sent and fails with a retriable error, instead of reaching a server that would not know
     * the handle.
     *
     * @param generation the {@link #generation()} the request's handle belongs to, or -1 for any
     */
    CompletableFuture<ByteBuf> call(byte type, ByteBuf payload, List<ByteBuf> tail, int generation) {
        Channel ch;
        try {
            ch = connect();
            if (generation >= 0 && generation != this.generation) {
                throw new StaleHandleException("The connection to partition server " + address + " was"
                        + " re-established while " + Protocol.typeName(type) + " was prepared; retry it");
            }
        } catch (RuntimeException e) {
            release(payload, tail);
            return CompletableFuture.failedFuture(e);
        }
        return send(ch, type, payload, tail);
    }

    /** @return the handler of a new socket of this connection: it holds the socket's pending requests */
    ChannelInboundHandlerAdapter newSocketHandler() {
        Handler h = new Handler();
        current = h;
        return h;
    }

    /** Sends a frame on {@code ch}, a socket set up with {@link #newSocketHandler()}; see {@link #call}. */
    CompletableFuture<ByteBuf> send(Channel ch, byte type, ByteBuf payload, List<ByteBuf> tail) {
        long len = Protocol.HEADER + (payload == null ? 0 : payload.readableBytes());
        for (ByteBuf t : tail) {
            len += t.readableBytes();
        }
        if (len > maxFrame) {
            release(payload, tail);
            return CompletableFuture.failedFuture(new DiasporaException("request " + Protocol.typeName(type)
                    + " of " + len + " bytes exceeds the server's frame limit of " + maxFrame + " bytes"));
        }
        Handler h = ch.pipeline().get(Handler.class);
        if (h == null) { // the pipeline is torn down: the channel closed
            release(payload, tail);
            return CompletableFuture.failedFuture(closedError(current));
        }
        long id = ids.incrementAndGet();
        CompletableFuture<ByteBuf> f = new CompletableFuture<>();
        h.pending.put(id, f);
        ByteBuf head = ch.alloc().buffer(4 + Protocol.HEADER).writeInt((int) len).writeByte(type).writeLong(id);
        try {
            ch.eventLoop().execute(() -> {
                if (!ch.isActive()) {
                    release(payload, tail);
                    head.release();
                    h.fail(id, closedError(h));
                    return;
                }
                ch.write(head, ch.voidPromise());
                if (payload != null) {
                    ch.write(payload, ch.voidPromise());
                }
                for (ByteBuf t : tail) {
                    ch.write(t, ch.voidPromise());
                }
                ch.flush();
            });
        } catch (java.util.concurrent.RejectedExecutionException e) { // the driver is closing
            release(payload, tail);
            head.release();
            h.fail(id, closedError(h));
            return f;
        }
        if (!ch.isActive()) { // closed before the task ran, or the loop is shut down
            h.fail(id, closedError(h));
        }
        return f;
    }

    private static void release(ByteBuf payload, List<ByteBuf> tail) {
        if (payload != null) {
            payload.release();
        }
        for (ByteBuf t : tail) {
            t.release();
        }
    }

    /** @return the answer of a request, waiting at most the request timeout; the caller releases it */
    ByteBuf callSync(byte type, ByteBuf payload) {
        return await(call(type, payload), type);
    }

    ByteBuf await(CompletableFuture<ByteBuf> f, byte type) {
        try {
            return f.get(backend.requestTimeoutMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            f.thenAccept(ByteBuf::release);
            throw new InterruptException("waiting for server " + address, e);
        } catch (TimeoutException e) {
            f.thenAccept(ByteBuf::release);
            throw new DiasporaException("Server " + address + " did not answer " + Protocol.typeName(type)
                    + " within " + backend.requestTimeoutMillis() + " ms (option request_timeout_ms)", e, true);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof DiasporaException) {
                DiasporaException d = (DiasporaException) c;
                throw withCallerStack(d);
            }
            throw new DiasporaException("request " + Protocol.typeName(type) + " to " + address + " failed: " + c,
                    c);
        }
    }

    private static DiasporaException withCallerStack(DiasporaException d) {
        d.addSuppressed(new Exception("waited here"));
        return d;
    }

    /** @return the error of a call that found the connection lost (retriable unless the driver is closed) */
    DiasporaException closedError() {
        return closedError(current);
    }

    /** @return the error of a call that found the socket of {@code h} (may be null) lost */
    private DiasporaException closedError(Handler h) {
        DiasporaException e = h == null ? null : h.lastError;
        if (e != null) {
            return e;
        }
        if (closed) {
            return new DiasporaException("The connection to partition server " + address + " closed (driver closed)",
                    null, false);
        }
        DiasporaException r = reconnectError;
        return new LostException("The connection to partition server " + address + " is lost; "
                + (r == null ? "the next call reconnects" : "reconnecting failed: " + r.getMessage()), r);
    }

    void close() {
        closed = true;
        Channel ch;
        synchronized (this) {
            ch = channel;
        }
        if (ch != null) {
            ch.close().awaitUninterruptibly(2000);
        }
        Handler h = current;
        if (h != null) {
            h.failAll(closedError(h));
        }
    }

    @Override
    public String toString() {
        return address;
    }

    /**
     * The connection to the server was lost, or could not be made: a request failing with it may succeed on the
     * next connection (a producer's appends are retried with it, NettyAppender). Retriable.
     */
    static class LostException extends DiasporaException {
        private static final long serialVersionUID = 1L;

        LostException(String message, Throwable cause) {
            super(message, cause, true);
        }
    }

    /** A request named state of an earlier connection to the server: not sent; retriable. */
    static final class StaleHandleException extends LostException {
        private static final long serialVersionUID = 1L;

        StaleHandleException(String message) {
            super(message, null);
        }
    }

    /** Inbound frames of one socket of this connection, and the requests waiting for them. */
    private final class Handler extends ChannelInboundHandlerAdapter {
        final Map<Long, CompletableFuture<ByteBuf>> pending = new ConcurrentHashMap<>();
        volatile DiasporaException lastError;

        void fail(long id, DiasporaException e) {
            CompletableFuture<ByteBuf> f = pending.remove(id);
            if (f != null) {
                f.completeExceptionally(e);
            }
        }

        void failAll(DiasporaException e) {
            for (Long id : List.copyOf(pending.keySet())) {
                fail(id, e);
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf frame = (ByteBuf) msg;
            boolean handedOver = false;
            try {
                int type = frame.readByte();
                long id = frame.readLong();
                if (type == Protocol.OK) {
                    CompletableFuture<ByteBuf> f = pending.remove(id);
                    if (f != null) {
                        handedOver = true;
                        if (!f.complete(frame)) {
                            frame.release();
                        }
                    }
                } else if (type == Protocol.ERROR) {
                    Answers.ErrorAnswer error = Answers.ErrorAnswer.decode(frame);
                    int kind = error.kind();
                    DiasporaException e = Protocol.toException(kind, error.message(), address);
                    CompletableFuture<ByteBuf> f = pending.remove(id);
                    if (f != null) {
                        f.completeExceptionally(e);
                    }
                    if (kind == Protocol.E_BAD_FRAME || kind == Protocol.E_AUTH || kind == Protocol.E_VERSION
                            || f == null) {
                        lastError = e; // the server closes the connection after these
                    }
                } else if (type == Protocol.NOTIFY) {
                    Answers.Notify push = Answers.Notify.decode(frame);
                    EndsListener l = listeners.get(push.handle());
                    if (l != null) {
                        l.ends(Connection.this, push.ends());
                    }
                } else {
                    lastError = new DiasporaException("server " + address + " sent an unknown frame type " + type);
                    ctx.close();
                }
            } catch (RuntimeException e) {
                lastError = new DiasporaException("server " + address + " sent a malformed frame: " + e, e);
                ctx.close();
            } finally {
                if (!handedOver) {
                    frame.release();
                }
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            failAll(closedError(this));
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            Throwable c = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
            if (c instanceof NotSslRecordException) { // its message dumps the bytes: not worth showing
                lastError = new DiasporaException("partition server " + address + " does not speak TLS: remove the"
                        + " driver option 'tls', or start the server with --tls-cert and --tls-key", c);
            } else if (c instanceof SSLException) {
                lastError = new DiasporaException("TLS with partition server " + address + " failed: "
                        + c.getMessage() + ". Check the driver option '" + NettyDriverProvider.TLS_TRUST
                        + "' (the certificates to trust) and the server's certificate", c);
            } else {
                lastError = new LostException("connection to partition server " + address + " failed: " + cause,
                        cause);
            }
            ctx.close();
        }
    }
}
