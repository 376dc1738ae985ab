package dev.diaspora.stream.netty;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.netty.protocol.Protocol;
import dev.diaspora.stream.spi.OptionSchema;
import dev.diaspora.stream.spi.OptionSpec;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * A connection's requests belong to the socket they were sent on: when a lost socket's close is processed late, after
 * the connection has moved to a new socket, it fails its own requests and never those of its successor (which would
 * surface as a spurious retriable error on a healthy connection).
 */
class ConnectionSocketsTest {
    @Test
    void lateCloseOfAnOldSocketFailsOnlyItsOwnRequests() {
        NettyBackend backend = new NettyBackend(List.of(), OptionSchema.of(OptionSpec.string("unused"))
                .validate(Metadata.of("{}"), "test"));
        try {
            Connection c = new Connection(backend, "127.0.0.1:1");
            EmbeddedChannel old = new EmbeddedChannel(c.newSocketHandler());
            EmbeddedChannel now = new EmbeddedChannel(c.newSocketHandler());
            CompletableFuture<ByteBuf> onOld = c.send(old, Protocol.BOUNDS, Unpooled.buffer().writeInt(1), List.of());
            CompletableFuture<ByteBuf> onNow = c.send(now, Protocol.BOUNDS, Unpooled.buffer().writeInt(2), List.of());
            old.runPendingTasks();
            now.runPendingTasks();
            releaseAll(old);
            releaseAll(now);
            assertFalse(onOld.isDone());
            assertFalse(onNow.isDone());

            old.close(); // the old socket's close, processed after the new socket carries requests

            assertTrue(onOld.isCompletedExceptionally(), "the old socket's request fails with it");
            assertFalse(onNow.isDone(), "a request of the new socket must not fail when the old one closes");
            now.close();
            assertTrue(onNow.isCompletedExceptionally());
        } finally {
            backend.close();
        }
    }

    private static void releaseAll(EmbeddedChannel ch) {
        for (Object o; (o = ch.readOutbound()) != null;) {
            ((ByteBuf) o).release();
        }
    }
}
