package dev.diaspora.stream.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.TopicHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@code command_timeout_ms} below the tail watcher's server-side block time ({@code XREAD BLOCK}, 2 s) must not
 * turn idle tailing into timeouts: the watcher's blocked read is not a command that should answer within the
 * command timeout. On a private server, so that every connection the server accepts is the driver's.
 */
class RedisIdleTailTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void idleTailingWithACommandTimeoutBelowTheBlockTimeNeitherTimesOutNorReconnects() throws Exception {
        try (RedisServerProcess server = RedisServerProcess.start(dir);
                Driver driver = server.openDriver("\"command_timeout_ms\":1000")) {
            driver.createTopic("idle", Metadata.of("{}"));
            try (TopicHandle topic = driver.openTopic("idle");
                    Consumer consumer = topic.consumer(ConsumerOptions.named("tail"))) {
                // the consumer's session starts the watcher; wait until it has opened its connection
                assertTrue(consumer.poll(Duration.ofMillis(500)).isEmpty(), "the topic is empty");
                long before = server.stat("total_connections_received");
                // idle for more than two block periods: each XREAD BLOCK 2000 outlives the 1 s command timeout
                assertTrue(consumer.poll(Duration.ofMillis(4500)).isEmpty(), "nothing was pushed");
                long after = server.stat("total_connections_received");
                assertEquals(before, after, "the tail watcher reconnected while idle (" + (after - before)
                        + " new connections): its blocked XREAD timed out after command_timeout_ms");
                try (Producer p = topic.producer()) {
                    p.push(Metadata.of("{\"n\":1}"), DataView.of(java.nio.ByteBuffer.wrap(
                            "after idle".getBytes(StandardCharsets.UTF_8))));
                    p.flush().get(10, TimeUnit.SECONDS);
                }
                Event e = consumer.poll(Duration.ofSeconds(10)).orElseThrow();
                assertEquals("after idle", new String(e.data().toByteArray(), StandardCharsets.UTF_8));
            }
        }
    }
}
