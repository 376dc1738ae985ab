package dev.diaspora.stream.netty;

import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.netty.protocol.Protocol;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.util.ReferenceCountUtil;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The answers of one server connection (PROTOCOL.md, "Frames" and "Errors"): OK frames, ERROR frames, and the
 * errors after which the server closes the connection (a bad frame, a refused handshake). Answers of requests served
 * on the worker pool are written on the channel's event loop; once a closing error is written the connection reads
 * nothing more ({@link #isClosing()}).
 *
 * <p>Thread safety: thread-safe (writes go through the channel).
 */
final class ServerReplies {
    private static final Logger LOG = LoggerFactory.getLogger(ServerReplies.class);

    /**
     * An answer payload up to this size is copied behind its header into one buffer and written at once (on the
     * event loop, no task): an APPEND's answer is 8 bytes, and a round trip waits for it.
     */
    static final int SMALL_ANSWER = 256;

    private final Channel channel;
    private volatile boolean closing;

    ServerReplies(Channel channel) {
        this.channel = channel;
    }

    /** An answer made of several parts (buffers and file regions), written as one frame without copying them. */
    record Reply(List<Object> parts, long length) {
        void release() {
            for (Object o : parts) {
                ReferenceCountUtil.release(o);
            }
        }
    }

    /** @return whether the connection is closing: after a closing error, or once it closed */
    boolean isClosing() {
        return closing;
    }

    /** Marks the connection closing (it closed): requests still arriving are dropped. */
    void closing() {
        closing = true;
    }

    String peer() {
        return String.valueOf(channel.remoteAddress());
    }

    /**
     * Writes an OK answer to request {@code reqId}, taking ownership of the payload.
     *
     * @param payload a {@link ByteBuf}, a {@link Reply}, or null for none
     */
    void ok(long reqId, Object payload) {
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
        if (buf == null || buf.readableBytes() <= SMALL_ANSWER) { // one buffer, one write: no task, one iovec
            ByteBuf f = channel.alloc().buffer(4 + len).writeInt(len).writeByte(Protocol.OK).writeLong(reqId);
            if (buf != null) {
                f.writeBytes(buf);
                buf.release();
            }
            channel.writeAndFlush(f, channel.voidPromise());
            return;
        }
        ByteBuf h = channel.alloc().buffer(4 + Protocol.HEADER).writeInt(len).writeByte(Protocol.OK)
                .writeLong(reqId);
        onLoop(() -> {
            channel.write(h, channel.voidPromise());
            channel.writeAndFlush(buf, channel.voidPromise());
        }, () -> {
            h.release();
            buf.release();
        });
    }

    /** Runs {@code task} on the channel's event loop, or {@code ifShutDown} when the server is closing. */
    void onLoop(Runnable task, Runnable ifShutDown) {
        try {
            channel.eventLoop().execute(task);
        } catch (RejectedExecutionException e) {
            ifShutDown.run();
        }
    }

    /** Answers request {@code reqId} with the error kind of {@code e}; the connection stays open. */
    void error(long reqId, Throwable e) {
        writeError(reqId, Protocol.kindOf(e), String.valueOf(e.getMessage() == null ? e.toString()
                : e.getMessage()), false);
        if (!(e instanceof DiasporaException)) {
            LOG.warn("request from {} failed", peer(), e);
        }
    }

    /** Answers a frame that breaks the protocol with {@code E_BAD_FRAME}, then closes the connection. */
    void badFrame(long reqId, Throwable e) {
        String m = e instanceof Protocol.BadFrameException ? e.getMessage()
                : "bad frame: truncated or malformed (" + e + ")";
        LOG.warn("closing connection {}: {}", peer(), m);
        writeError(reqId, Protocol.E_BAD_FRAME, m, true);
    }

    /** Answers with an error of {@code kind}, then closes the connection. */
    void errorAndClose(long reqId, byte kind, String message) {
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
}
