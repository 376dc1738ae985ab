package dev.diaspora.stream.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.InvalidOptionException;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.TopicNotFoundException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Topic changes on the netty driver beyond the TCK's R26 (issue 13), through the public API only: a second client
 * (another driver, as another process would be) sees partitions added by the first without reopening anything, the
 * new partitions are placed by the ring rule (partition p on the server of partition p mod S), and the grown count
 * and the changed options survive a restart of every server; bad requests fail with errors that say what is wrong.
 */
@Timeout(60)
class NettyTopicChangeTest {
    @TempDir
    Path base;

    @Test
    void aSecondClientSeesAddedPartitionsAndTheyOutliveARestart() throws Exception {
        Map<Integer, String> serverOf = new HashMap<>();
        try (Servers servers = Servers.start(base, 3);
                Driver admin = Driver.open("netty", servers.driverOptions());
                Driver other = Driver.open("netty", servers.driverOptions())) {
            admin.createTopic("grow", Metadata.of("{\"num_partitions\":3}"));
            try (TopicHandle t = other.openTopic("grow"); Producer p = t.producer();
                    Consumer c = t.consumer(ConsumerOptions.named("all"))) {
                assertEquals(3, t.partitions().size());
                admin.addPartitions("grow", 5);
                await(() -> t.partitions().size() == 5, "the other client's open handle lists 5 partitions, lists "
                        + t.partitions().size());
                for (int part = 0; part < 5; part++) {
                    serverOf.put(part, t.partitions().get(part).metadata().json().get("server").asText());
                }
                assertEquals(serverOf.get(0), serverOf.get(3), "partition 3 on the server of partition 0 (3 mod 3)");
                assertEquals(serverOf.get(1), serverOf.get(4), "partition 4 on the server of partition 1 (4 mod 3)");
                assertEquals(0L, p.push(Metadata.of("{\"n\":3}"), DataView.of(new byte[] {3}), 3).join(),
                        "the first event of new partition 3");
                assertEquals(0L, p.push(Metadata.of("{\"n\":4}"), DataView.of(new byte[] {4}), 4).join(),
                        "the first event of new partition 4");
                List<Integer> got = new ArrayList<>();
                long deadline = System.nanoTime() + 20_000_000_000L;
                while (got.size() < 2 && System.nanoTime() < deadline) {
                    c.poll(Duration.ofMillis(200)).ifPresent(e -> got.add(e.partition()));
                }
                got.sort(null);
                assertEquals(List.of(3, 4), got, "the other client's open consumer reads the new partitions");
            }
            admin.alterTopic("grow", Metadata.of("{\"retention.bytes\":1048576}"));
        }
        // every server restarted on its root (on new ports: the topic names its servers by id)
        try (Servers again = Servers.start(base, 3); Driver d = Driver.open("netty", again.driverOptions());
                TopicHandle t = d.openTopic("grow")) {
            assertEquals(5, t.partitions().size(), "the grown count after a restart");
            JsonDescription listed = new JsonDescription(d.listTopics().get("grow"));
            assertEquals(5, listed.integer("num_partitions"), "listTopics after a restart");
            assertEquals(1048576, listed.integer("retention.bytes"), "the changed option after a restart");
            for (int part = 3; part < 5; part++) {
                assertEquals(1, t.bounds(part).next(), "the event of partition " + part + " is kept");
            }
            try (Consumer c = t.consumer(ConsumerOptions.named("late").targets(3))) {
                Event e = c.poll(Duration.ofSeconds(10)).orElseThrow();
                assertEquals(3, e.metadata().json().get("n").asInt(), "partition 3 read after the restart");
            }
        }
    }

    @Test
    void badChangesSayWhatIsWrong() {
        try (Servers servers = Servers.start(base, 3); Driver d = Driver.open("netty", servers.driverOptions())) {
            d.createTopic("t", Metadata.of("{\"num_partitions\":4}"));
            TopicNotFoundException unknown = assertThrows(TopicNotFoundException.class,
                    () -> d.alterTopic("nope", Metadata.of("{\"retention.ms\":1000}")));
            assertTrue(unknown.getMessage().contains("nope"), unknown.getMessage());
            assertThrows(TopicNotFoundException.class, () -> d.addPartitions("nope", 3));
            IllegalArgumentException fewer = assertThrows(IllegalArgumentException.class,
                    () -> d.addPartitions("t", 3));
            assertTrue(fewer.getMessage().contains("'t'") && fewer.getMessage().contains("4"), fewer.getMessage());
            InvalidOptionException option = assertThrows(InvalidOptionException.class,
                    () -> d.alterTopic("t", Metadata.of("{\"no.such.option\":1}")));
            assertTrue(option.getMessage().contains("no.such.option"), option.getMessage());
            InvalidOptionException fixed = assertThrows(InvalidOptionException.class,
                    () -> d.alterTopic("t", Metadata.of("{\"segment_size\":1048576}")));
            assertTrue(fixed.getMessage().contains("segment_size") && fixed.getMessage().contains("retention.ms"),
                    fixed.getMessage());
            assertEquals(4, d.openTopic("t").partitions().size(), "refused changes change nothing");
        }
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 20 s: " + what);
            }
            Thread.sleep(10);
        }
    }

    /** A topic description's numbers. */
    private record JsonDescription(Metadata m) {
        long integer(String key) {
            assertTrue(m.json().has(key), () -> key + " in " + m);
            return m.json().get(key).asLong();
        }
    }
}
