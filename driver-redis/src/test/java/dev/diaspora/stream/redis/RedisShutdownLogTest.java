package dev.diaspora.stream.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.tck.LogCapture;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Closing a driver logs no ERROR line (Lettuce's or Netty's), also when its server went away and the client is
 * reconnecting at that moment: what a dead server means is reported by the failed operations, and a close is a normal
 * end.
 */
class RedisShutdownLogTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void closingWhileTheServerIsDownLogsNoError() throws Exception {
        try (RedisServerProcess server = RedisServerProcess.start(dir); LogCapture log = new LogCapture()) {
            Driver driver = Driver.open("redis", Metadata.of("{\"uri\":\"" + server.uri()
                    + "\",\"command_timeout_ms\":1000,\"connect_timeout_ms\":500}"));
            try {
                driver.createTopic("t", Metadata.of("{\"num_partitions\":2}"));
                TopicHandle topic = driver.openTopic("t");
                Consumer consumer = topic.consumer(ConsumerOptions.named("c"));
                Producer producer = topic.producer();
                producer.push(Metadata.of("{\"i\":0}"), DataView.of(new byte[] {1}), 0).get(10, TimeUnit.SECONDS);
                assertTrue(consumer.poll(Duration.ofSeconds(10)).isPresent(), "the event was not read");
                server.kill();
                // the client notices: a push fails once command_timeout_ms has passed, and the connections are
                // reconnecting when the driver closes
                assertTrue(producer.push(Metadata.of("{\"i\":1}"), DataView.of(new byte[] {2}), 1)
                        .handle((id, err) -> err).get(30, TimeUnit.SECONDS) != null, "a push to a dead server"
                        + " completed");
            } finally {
                try {
                    driver.close();
                } catch (RuntimeException e) {
                    // pushes that failed may be reported by the close: the log is what this test checks
                }
            }
            // errors of a shutdown come from tasks the client scheduled before it (a reconnection, a timer): give
            // them the time of a reconnection attempt to run
            Thread.sleep(1500);
            List<String> errors = log.text().lines().filter(l -> l.contains(" ERROR ") || l.startsWith("ERROR"))
                    .toList();
            assertEquals(List.of(), errors, "ERROR lines logged by a driver closed while its server is down");
        }
    }
}
