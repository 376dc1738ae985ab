package dev.diaspora.stream.netty;

import dev.diaspora.stream.netty.protocol.Handshake;
import dev.diaspora.stream.netty.protocol.Protocol;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.timeout.IdleStateEvent;
import java.nio.charset.StandardCharsets;
import java.util.function.IntConsumer;

/**
 * The first handler of a server connection after the frame decoder (PROTOCOL.md, "Handshake"): authenticates the
 * HELLO (magic, version, token; versions {@link Protocol#MIN_VERSION} to {@link Protocol#VERSION}, answered with the
 * client's), tells the connection the version it speaks, then raises the frame limit of the {@link FrameDecoder} from the small pre-handshake
 * one, tells the {@link ConnectionGuard}, answers, and removes itself from the pipeline; the frames after it go to
 * the {@link ServerConnection}. A first frame other than a good HELLO is answered with an error and the connection is
 * closed; an oversized frame before the handshake is logged as a refusal.
 *
 * <p>Thread safety: used on the channel's event loop only.
 */
final class HandshakeHandler extends ChannelInboundHandlerAdapter {
    private final PartitionServer server;
    private final ServerReplies replies;
    private final IntConsumer version;

    /** @param version told the protocol version of a good HELLO, before any later frame is read */
    HandshakeHandler(PartitionServer server, ServerReplies replies, IntConsumer version) {
        this.server = server;
        this.replies = replies;
        this.version = version;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf frame = (ByteBuf) msg;
        if (replies.isClosing()) { // refused already: what follows is not read
            frame.release();
            return;
        }
        long reqId = 0;
        try {
            Protocol.need(frame, Protocol.HEADER, "frame header");
            int type = frame.readByte();
            reqId = frame.readLong();
            if (type != Protocol.HELLO) {
                throw new Protocol.BadFrameException("the first frame must be HELLO, got "
                        + Protocol.typeName(type));
            }
            hello(ctx, reqId, Handshake.Hello.decode(frame));
        } catch (RuntimeException e) {
            replies.badFrame(reqId, e);
        } finally {
            frame.release();
        }
    }

    private void hello(ChannelHandlerContext ctx, long reqId, Handshake.Hello hello) {
        if (hello.version() < Protocol.MIN_VERSION || hello.version() > Protocol.VERSION) {
            String speaks = Protocol.MIN_VERSION + " to " + Protocol.VERSION;
            server.refusals().warn("version", replies.peer(), "protocol version " + hello.version()
                    + " (this server speaks " + speaks + ")");
            replies.errorAndClose(reqId, Protocol.E_VERSION, "protocol version " + hello.version() + " is not"
                    + " supported; this server speaks versions " + speaks + ". Use a client of the same"
                    + " release or an older one");
            return;
        }
        if (!server.tokenMatches(hello.token().getBytes(StandardCharsets.UTF_8))) {
            server.refusals().warn("token", replies.peer(), "wrong or missing token");
            replies.errorAndClose(reqId, Protocol.E_AUTH, "wrong or missing token");
            return;
        }
        FrameDecoder frames = ctx.pipeline().get(FrameDecoder.class);
        if (frames != null) {
            frames.handshakeDone(); // on the event loop: before the next frame is decoded
        }
        ConnectionGuard guard = ctx.pipeline().get(ConnectionGuard.class);
        if (guard != null) {
            guard.handshakeDone();
        }
        version.accept(hello.version());
        ctx.pipeline().remove(this);
        replies.ok(reqId, Protocol.encode(ctx.alloc(), new Handshake.HelloAnswer(hello.version(),
                server.serverId(), server.maxFrame())::encode));
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof TooLongFrameException) {
            server.refusals().warn("frame before handshake", replies.peer(), cause.getMessage());
        }
        ctx.fireExceptionCaught(cause); // the connection handler answers and closes
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof IdleStateEvent) {
            return; // before the handshake, the guard's handshake timeout applies, not the idle timeout
        }
        ctx.fireUserEventTriggered(event);
    }
}
