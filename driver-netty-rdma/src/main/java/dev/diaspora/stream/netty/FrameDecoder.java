package dev.diaspora.stream.netty;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.TooLongFrameException;

/**
 * Splits the byte stream into frames (PROTOCOL.md, "Frames"), with a limit that can grow once: small until the
 * handshake succeeds (a stranger cannot make a peer buffer more), then the limit of the connection. A frame announcing more than the current limit fails with {@link TooLongFrameException} before any
 * of its payload is buffered. Received bytes are gathered into a composite buffer, not copied.
 *
 * <p>Thread safety: confined to the channel's event loop.
 */
final class FrameDecoder extends LengthFieldBasedFrameDecoder {
    private final String peer;
    private int limit;
    private final int afterHandshake;

    /**
     * @param beforeHandshake the frame limit until {@link #handshakeDone()} (the length field not counted)
     * @param afterHandshake the frame limit once {@link #handshakeDone()} is called
     * @param peer who sends the frames, for the error message ("client", "partition server host:port")
     */
    FrameDecoder(int beforeHandshake, int afterHandshake, String peer) {
        super((int) Math.min(Integer.MAX_VALUE, afterHandshake + 4L), 0, 4, 0, 4);
        this.limit = beforeHandshake;
        this.afterHandshake = afterHandshake;
        this.peer = peer;
        setCumulator(COMPOSITE_CUMULATOR);
    }

    /** Raises the limit to the one after the handshake. Call on the event loop. */
    void handshakeDone() {
        limit = afterHandshake;
    }

    /** @return the current frame limit (the length field not counted) */
    int limit() {
        return limit;
    }

    @Override
    protected Object decode(ChannelHandlerContext ctx, ByteBuf in) throws Exception {
        if (in.readableBytes() >= 4) {
            long length = in.getUnsignedInt(in.readerIndex());
            if (length > limit) {
                in.skipBytes(in.readableBytes()); // the stream is lost: the connection closes
                throw new TooLongFrameException("a frame of " + length + " bytes from the " + peer + " is above the"
                        + " limit of " + limit + " bytes" + (limit == afterHandshake ? ""
                        : " before the handshake (HELLO) succeeds"));
            }
        }
        return super.decode(ctx, in);
    }
}
