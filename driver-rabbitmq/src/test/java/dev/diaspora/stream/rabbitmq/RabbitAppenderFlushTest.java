package dev.diaspora.stream.rabbitmq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Ordering;
import dev.diaspora.stream.spi.AppenderConfig;
import dev.diaspora.stream.spi.Backend;
import dev.diaspora.stream.spi.RecordAppender;
import dev.diaspora.stream.spi.TopicBackend;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link RabbitAppender#flush} waits for every send made before it, also when a later send of the same partition
 * completes first: here the first send is held in its completion callback (on the client's dispatch thread) while a
 * second one fails at once.
 */
@Timeout(60)
class RabbitAppenderFlushTest {
    @RegisterExtension
    static final RabbitServer.Topics TOPICS = new RabbitServer.Topics("rflush");

    @Test
    void flushWaitsForAnEarlierSendWhenALaterOneCompletedFirst() throws Exception {
        RabbitDriverProvider provider = new RabbitDriverProvider();
        String name = TOPICS.prefix + "order";
        try (Backend b = provider.open(provider.options().validate(Metadata.of(RabbitServer.options()),
                "driver options"))) {
            b.createTopic(name, provider.topicOptions().validate(Metadata.of("{}"), "topic options"),
                    Metadata.EMPTY);
            try (TopicBackend t = b.openTopic(name)) {
                RecordAppender a = (RecordAppender) t.appender(new AppenderConfig("p", 1, 16, Ordering.STRICT));
                CountDownLatch inCallback = new CountDownLatch(1);
                CountDownLatch release = new CountDownLatch(1);
                CompletableFuture<Long> first = new CompletableFuture<>();
                a.send(0, ByteBuffer.wrap("{}".getBytes()), DataView.EMPTY, (id, error) -> {
                    inCallback.countDown();
                    try {
                        release.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    first.complete(id);
                });
                assertTrue(inCallback.await(30, TimeUnit.SECONDS), "the first send was not seen within 30 s");

                CompletableFuture<Throwable> second = new CompletableFuture<>();
                a.send(0, ByteBuffer.wrap("{}".getBytes()), tooLarge(), (id, error) -> second.complete(error));
                assertInstanceOf(IllegalArgumentException.class, second.get(0, TimeUnit.SECONDS),
                        "a send over 2 GiB fails at once");

                CompletableFuture<Void> flush = a.flush();
                assertFalse(flush.isDone(), "flush completed while the first send was still in its callback");
                release.countDown();
                flush.get(30, TimeUnit.SECONDS);
                assertEquals(0L, first.getNow(-1L), "the first send got EventID 0");
                assertTrue(a.flush().isDone(), "a flush with nothing outstanding completes at once");
                a.close();
            }
        }
    }

    /** Data of more than 2 GiB, made of one small buffer repeated (no memory): {@code Layout.event} refuses it. */
    private static DataView tooLarge() {
        ByteBuffer chunk = ByteBuffer.allocate(1 << 20);
        List<ByteBuffer> parts = new ArrayList<>();
        for (int i = 0; i < 2049; i++) {
            parts.add(chunk.duplicate());
        }
        return DataView.of(parts);
    }
}
