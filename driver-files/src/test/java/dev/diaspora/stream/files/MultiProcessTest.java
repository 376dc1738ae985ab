package dev.diaspora.stream.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerConflictException;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.TopicHandle;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Producers and consumers in several processes on one topic (real child JVMs, real files). */
class MultiProcessTest {
    @TempDir
    Path root;

    private Driver open() {
        return Driver.open("files", Metadata.of("{\"root_path\":\"" + root + "\"}"));
    }

    @Test
    @Timeout(240)
    void shouldStoreEveryEventOfTwoConcurrentProducerProcessesExactlyOnce() throws Exception {
        int count = 2000;
        try (Driver d = open()) {
            d.createTopic("shared", Metadata.of("{\"num_partitions\":2,\"segment_size\":1048576}"));
        }
        ChildProcess a = ChildProcess.start(ProducerMain.class, root.toString(), "shared", "A", "" + count);
        ChildProcess b = ChildProcess.start(ProducerMain.class, root.toString(), "shared", "B", "" + count);
        try {
            assertEquals(0, a.waitFor(180_000), "producer A: " + a.lines() + "\n" + a.errors());
            assertEquals(0, b.waitFor(180_000), "producer B: " + b.lines() + "\n" + b.errors());
        } finally {
            a.close();
            b.close();
        }
        assertTrue(a.lines().contains("DONE") && b.lines().contains("DONE"), "both producers finish");
        Map<String, List<Long>> seen = new HashMap<>();
        try (Driver d = open(); TopicHandle t = d.openTopic("shared");
                Consumer c = t.consumer(ConsumerOptions.named("check"))) {
            long total = t.bounds(0).next() + t.bounds(1).next();
            assertEquals(2L * count, total, "events stored by the two producers");
            long[] nextId = new long[2];
            Map<String, Long> lastPerPartition = new HashMap<>();
            for (long i = 0; i < total; i++) {
                Event e = c.poll(Duration.ofSeconds(20)).orElseThrow(() -> new AssertionError("missing events"));
                assertEquals(nextId[e.partition()]++, e.id(), "ids are contiguous");
                String key = e.metadata().json().get("k").asText();
                long n = e.metadata().json().get("n").asLong();
                Content.check(e, key, n);
                seen.computeIfAbsent(key, k -> new ArrayList<>()).add(n);
                Long last = lastPerPartition.put(key + "/" + e.partition(), n);
                assertTrue(last == null || last < n, "a producer's events keep their order within a partition");
            }
            assertTrue(c.poll(Duration.ofMillis(200)).isEmpty(), "no more events");
        }
        for (String key : List.of("A", "B")) {
            List<Long> ns = seen.get(key);
            Collections.sort(ns);
            assertEquals(count, ns.size(), "events of producer " + key);
            for (int i = 0; i < count; i++) {
                assertEquals(i, ns.get(i), "producer " + key + ": every event exactly once");
            }
        }
    }

    @Test
    @Timeout(180)
    void shouldDeliverEventsToAConsumerProcessTailingTheTopic() throws Exception {
        int count = 300;
        try (Driver d = open()) {
            // 64 KiB segments: the consumer process must follow the rolls this process makes while it tails
            d.createTopic("tail", Metadata.of("{\"num_partitions\":2,\"segment_size\":65536}"));
        }
        ChildProcess child = ChildProcess.start(TailConsumerMain.class, root.toString(), "tail", "tailer", "" + count);
        try (Driver d = open(); TopicHandle t = d.openTopic("tail")) {
            assertTrue(child.awaitLine("READY", 60_000), "the consumer process did not start: " + child.errors());
            assertThrows(ConsumerConflictException.class,
                    () -> t.consumer(ConsumerOptions.named("tailer").targets(0)).close(),
                    "the other process holds the leases of consumer 'tailer'");
            try (Producer p = t.producer()) {
                for (int i = 0; i < count; i++) {
                    p.push(Content.metadata("T", i), DataView.of(Content.data("T", i))).join();
                    Thread.sleep(2);
                }
            }
            assertEquals(0, child.waitFor(60_000), "consumer process: " + child.lines() + "\n" + child.errors());
            List<Long> latencies = new ArrayList<>();
            List<Long> ns = new ArrayList<>();
            for (String line : child.lines()) {
                assertFalse(line.startsWith("BAD") || line.startsWith("ERROR") || line.startsWith("TIMEOUT"), line);
                if (line.startsWith("EVENT ")) {
                    String[] f = line.split(" ");
                    ns.add(Long.parseLong(f[4]));
                    latencies.add(Long.parseLong(f[5]) - Long.parseLong(f[6]));
                }
            }
            assertEquals(count, ns.size(), "events the consumer process received");
            Collections.sort(ns);
            for (int i = 0; i < count; i++) {
                assertEquals(i, ns.get(i), "every event once");
            }
            Collections.sort(latencies);
            System.out.printf("tail latency across processes (receipt - storage time): median %.2f ms, p90 %.2f ms,"
                    + " max %.2f ms%n", latencies.get(count / 2) / 1e6, latencies.get(count * 9 / 10) / 1e6,
                    latencies.get(count - 1) / 1e6);
            // The child is gone: its leases died with it, and it stored its positions on close.
            try (Consumer c = t.consumer(ConsumerOptions.named("tailer").targets(0, 1))) {
                Optional<Event> e = c.poll(Duration.ofMillis(300));
                assertTrue(e.isEmpty(), "the consumer process acknowledged everything; got " + e);
            }
        } finally {
            child.close();
        }
    }
}
