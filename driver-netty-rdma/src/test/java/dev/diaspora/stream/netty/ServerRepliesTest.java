package dev.diaspora.stream.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.diaspora.stream.netty.protocol.Protocol;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

/**
 * The answers of a server connection: a small answer (an APPEND's first id) written on the event loop goes out at
 * once, as one buffer, without a task queued behind the rest of the loop's work; a large one keeps its payload
 * buffer (no copy).
 */
class ServerRepliesTest {

    @Test
    void shouldWriteASmallAnswerAtOnceAsOneBuffer() {
        EmbeddedChannel ch = new EmbeddedChannel();
        ServerReplies replies = new ServerReplies(ch);
        replies.ok(7, Unpooled.buffer(8).writeLong(42));
        ByteBuf frame = ch.readOutbound(); // pending tasks not run: only what was written at once
        assertNotNull(frame, "the answer was not written on the loop at once");
        try {
            assertEquals(4 + Protocol.HEADER + 8, frame.readableBytes(), "header and payload in one buffer");
            assertEquals(Protocol.HEADER + 8, frame.readInt());
            assertEquals(Protocol.OK, frame.readByte());
            assertEquals(7, frame.readLong());
            assertEquals(42, frame.readLong());
        } finally {
            frame.release();
        }
        assertNull(ch.readOutbound());
        ch.finishAndReleaseAll();
    }

    @Test
    void shouldKeepALargePayloadBufferUncopied() {
        EmbeddedChannel ch = new EmbeddedChannel();
        ServerReplies replies = new ServerReplies(ch);
        ByteBuf payload = Unpooled.buffer(ServerReplies.SMALL_ANSWER + 1).writeZero(ServerReplies.SMALL_ANSWER + 1);
        replies.ok(9, payload);
        ch.runPendingTasks();
        ByteBuf header = ch.readOutbound();
        ByteBuf body = ch.readOutbound();
        try {
            assertEquals(4 + Protocol.HEADER, header.readableBytes());
            assertEquals(Protocol.HEADER + ServerReplies.SMALL_ANSWER + 1, header.getInt(0));
            assertSame(payload, body, "the payload buffer itself follows the header");
        } finally {
            header.release();
            body.release();
        }
        ch.finishAndReleaseAll();
    }
}
