package dev.diaspora.stream.netty;

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
import dev.diaspora.stream.spi.StorageClock;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Retention beyond the TCK (issue 13): the server trims a topic that clients only read, with no producer open
 * anywhere (the server closed the topic when the producing client left, and opened it again for the reading client,
 * which only asks for bounds, then consumes).
 */
@Timeout(60)
class NettyRetentionTest {
    @TempDir
    Path base;

    @Test
    void theServerTrimsATopicThatClientsOnlyRead() throws Exception {
        try (Servers servers = Servers.start(base, 1)) {
            try (Driver d = Driver.open("netty", servers.driverOptions())) {
                d.createTopic("r", Metadata.of("{\"segment_size\":65536,\"retention.ms\":600000}"));
                try (TopicHandle t = d.openTopic("r"); Producer p = t.producer()) {
                    for (int n = 0; n < 100; n++) { // about four segments, none old yet
                        p.push(Metadata.of("{\"n\":" + n + "}"), DataView.of(new byte[2048])).join();
                    }
                }
            }
            StorageClock.advance(Duration.ofMinutes(20)); // the server runs in this JVM: it sees the test clock
            try (Driver d = Driver.open("netty", servers.driverOptions()); TopicHandle t = d.openTopic("r")) {
                long deadline = System.nanoTime() + 30_000_000_000L;
                while (t.bounds(0).first() == 0 && System.nanoTime() < deadline) {
                    Thread.sleep(20); // only this reading client has the topic open on the server
                }
                assertTrue(t.bounds(0).first() > 0, "the server removed old segments: " + t.bounds(0));
                assertEquals(100, t.bounds(0).next(), "never the newest segment");
                try (Consumer c = t.consumer(ConsumerOptions.named("reader"))) {
                    Event e = c.poll(Duration.ofSeconds(10)).orElseThrow();
                    assertEquals(t.bounds(0).first(), e.id(), "a new consumer starts at the first retained event");
                }
            }
        } finally {
            StorageClock.reset();
        }
    }
}
