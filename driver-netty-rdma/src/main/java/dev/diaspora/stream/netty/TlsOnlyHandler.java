package dev.diaspora.stream.netty;

import dev.diaspora.stream.netty.protocol.Protocol;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.ssl.SslHandler;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * First handler of a TLS server connection: it looks at the first record header. A TLS client goes on to the
 * {@link SslHandler} (this handler removes itself, handing the bytes over). A plaintext client, which the TLS handler
 * would cut off without a word, gets a plaintext {@code ERROR} saying to turn TLS on, and the connection closes. The
 * bytes it sent are never logged: they hold its token.
 *
 * <p>Thread safety: confined to the channel's event loop.
 */
final class TlsOnlyHandler extends ByteToMessageDecoder {
    private static final Logger LOG = LoggerFactory.getLogger(TlsOnlyHandler.class);
    /** A TLS record header: content type, version, length. */
    private static final int RECORD_HEADER = 5;

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (in.readableBytes() < RECORD_HEADER) {
            return;
        }
        if (SslHandler.isEncrypted(in, false)) {
            ctx.pipeline().remove(this);
            return;
        }
        in.skipBytes(in.readableBytes());
        LOG.warn("refused {}: not a TLS connection (a client without the driver option 'tls'?)",
                ctx.channel().remoteAddress());
        ctx.channel().config().setAutoRead(false);
        ctx.writeAndFlush(Protocol.errorFrame(ctx.alloc(), 0, Protocol.E_BAD_FRAME, "this server accepts TLS"
                + " connections only: set the driver option 'tls' to true")).addListener(ChannelFutureListener.CLOSE);
    }
}
