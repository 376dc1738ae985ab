package dev.diaspora.stream.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.TooLongFrameException;
import org.junit.jupiter.api.Test;

/** {@link FrameDecoder} in an {@link EmbeddedChannel}: a small limit until the handshake, the connection's after. */
class FrameDecoderTest {
    @Test
    void shouldRefuseAFrameAboveTheLimitBeforeTheHandshakeWithoutWaitingForIt() {
        EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(64, 4096, "client"));
        ch.writeInbound(frame(64));
        ByteBuf f = ch.readInbound();
        assertEquals(64, f.readableBytes(), "a frame at the limit passes, without its length field");
        f.release();
        TooLongFrameException e = assertThrows(TooLongFrameException.class,
                () -> ch.writeInbound(Unpooled.buffer().writeInt(65).writeByte(1)));
        assertTrue(e.getMessage().contains("65 bytes from the client is above the limit of 64 bytes before the"
                + " handshake"), e.getMessage());
        ch.finishAndReleaseAll();
    }

    @Test
    void shouldAcceptTheConnectionsLimitAfterTheHandshake() {
        FrameDecoder decoder = new FrameDecoder(64, 4096, "partition server h:1");
        EmbeddedChannel ch = new EmbeddedChannel(decoder);
        ch.writeInbound(frame(10));
        ((ByteBuf) ch.readInbound()).release();
        decoder.handshakeDone();
        assertEquals(4096, decoder.limit());
        ByteBuf big = frame(4096);
        ch.writeInbound(big.readRetainedSlice(100)); // a partial frame waits for the rest
        assertNull(ch.readInbound());
        ch.writeInbound(big);
        ByteBuf f = ch.readInbound();
        assertEquals(4096, f.readableBytes());
        f.release();
        TooLongFrameException e = assertThrows(TooLongFrameException.class,
                () -> ch.writeInbound(Unpooled.buffer().writeInt(4097)));
        assertTrue(e.getMessage().contains("from the partition server h:1 is above the limit of 4096 bytes"),
                e.getMessage());
        ch.finishAndReleaseAll();
    }

    private static ByteBuf frame(int length) {
        ByteBuf b = Unpooled.buffer(4 + length).writeInt(length);
        b.writeZero(length);
        return b;
    }
}
