package dev.diaspora.stream.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Ordering;
import dev.diaspora.stream.spi.AppenderConfig;
import dev.diaspora.stream.spi.Backend;
import dev.diaspora.stream.spi.BatchAppender;
import dev.diaspora.stream.spi.OutgoingBatch;
import dev.diaspora.stream.spi.TopicBackend;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A batch sent again (as Lettuce does after a reconnect, for commands that had no answer) is stored once: the append
 * script answers the re-sent batch with the ids it got the first time. Driven through the SPI, so the re-send is
 * exact and deterministic instead of depending on when a server dies.
 */
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class RedisResendTest {
    private static final String PREFIX = RedisTestServers.uniquePrefix("resend");

    @BeforeAll
    static void needsRedis() {
        RedisTestServers.assumeSharedServer();
    }

    @AfterAll
    static void cleanUp() {
        RedisTestServers.deletePrefix(RedisTestServers.SHARED_URI, PREFIX);
    }

    private static OutgoingBatch batch(long producerId, long sequence, String... texts) {
        StringBuilder all = new StringBuilder();
        int[] offsets = new int[texts.length + 1];
        DataView[] data = new DataView[texts.length];
        for (int i = 0; i < texts.length; i++) {
            all.append(texts[i]);
            offsets[i + 1] = all.toString().getBytes(StandardCharsets.UTF_8).length;
            data[i] = DataView.of(texts[i].getBytes(StandardCharsets.UTF_8));
        }
        return new OutgoingBatch(texts.length, all.toString().getBytes(StandardCharsets.UTF_8), offsets, data, null,
                producerId, sequence);
    }

    private static OutgoingBatch largeBatch(long producerId, long sequence, byte[] data) {
        byte[] md = "{}".getBytes(StandardCharsets.UTF_8);
        return new OutgoingBatch(1, md, new int[] {0, md.length}, new DataView[] {DataView.of(data)}, null, producerId,
                sequence);
    }

    private static long append(BatchAppender a, OutgoingBatch batch) throws Exception {
        CompletableFuture<Long> done = new CompletableFuture<>();
        a.append(0, batch, done);
        return done.get(10, TimeUnit.SECONDS);
    }

    /** What a test does with a new topic of its own, through the SPI. */
    private interface TopicTest {
        void run(TopicBackend topic) throws Exception;
    }

    private static void withTopic(String name, TopicTest test) throws Exception {
        RedisDriverProvider provider = new RedisDriverProvider();
        try (Backend b = provider.open(provider.options().validate(Metadata.of("{\"key_prefix\":\"" + PREFIX
                + "\"}"), "driver options"))) {
            b.createTopic(name, provider.topicOptions().validate(Metadata.of("{}"), "topic options"),
                    Metadata.of("{}"));
            try (TopicBackend t = b.openTopic(name)) {
                test.run(t);
            }
        }
    }

    @Test
    void aResentBatchIsStoredOnceAndAnsweredWithItsIds() throws Exception {
        withTopic("resend", t -> {
            BatchAppender a = (BatchAppender) t.appender(new AppenderConfig("p", 42, 4, Ordering.STRICT));
            BatchAppender other = (BatchAppender) t.appender(new AppenderConfig("q", 43, 4, Ordering.STRICT));
            assertEquals(0, append(a, batch(42, 0, "{\"a\":0}", "{\"a\":1}")));
            assertEquals(2, append(other, batch(43, 0, "{\"b\":0}")));
            assertEquals(3, append(a, batch(42, 1, "{\"a\":2}")));
            // both of a's batches sent again, in order, as after a reconnect
            assertEquals(0, append(a, batch(42, 0, "{\"a\":0}", "{\"a\":1}")));
            assertEquals(3, append(a, batch(42, 1, "{\"a\":2}")));
            assertEquals(4, t.bounds(0).next(), "a re-sent batch was stored twice");
            assertEquals(4, append(a, batch(42, 2, "{\"a\":3}")));
            assertEquals(5, t.bounds(0).next());
        });
    }

    @Test
    void aResentBatchOfLargeValuesIsStoredOnceAndLeavesNoTemporaryKey() throws Exception {
        byte[] large = new byte[RedisReads.INLINE_MAX + 1];
        new java.util.Random(5).nextBytes(large);
        withTopic("large", t -> {
            BatchAppender a = (BatchAppender) t.appender(new AppenderConfig("p", 42, 4, Ordering.STRICT));
            assertEquals(0, append(a, largeBatch(42, 0, large)));
            // sent again, as after a reconnect: its value is written ahead again, and must not stay behind
            assertEquals(0, append(a, largeBatch(42, 0, large)));
            assertEquals(1, t.bounds(0).next(), "a re-sent batch was stored twice");
            try (io.lettuce.core.api.StatefulRedisConnection<String, String> c = RedisTestServers.client(
                    RedisTestServers.SHARED_URI).connect()) {
                assertEquals(java.util.List.of(), RedisLargeValueWriteTest.scan(c.sync(), PREFIX + ":{large}:*:u:*"),
                        "temporary keys left");
                assertEquals(1, RedisLargeValueWriteTest.scan(c.sync(), PREFIX + ":{large}:*:v:*").size(),
                        "value keys");
            }
        });
    }
}
