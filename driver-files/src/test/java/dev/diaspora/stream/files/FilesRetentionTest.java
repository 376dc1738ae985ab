package dev.diaspora.stream.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Retention on the files driver (issue 13) beyond the TCK: segments removed while a producer appends and a slow
 * consumer in another process tails the topic (it never receives torn or foreign data, and goes on at the first
 * retained event when it falls behind), and the first retained id recovered after a restart, with the files an
 * interrupted removal left behind.
 */
class FilesRetentionTest {
    private static final String P0 = "partitions/00000000/";

    @TempDir
    Path root;

    private Driver open() {
        return Driver.open("files", Metadata.of("{\"root_path\":\"" + root + "\"}"));
    }

    private List<Path> files(String suffix) throws Exception {
        try (Stream<Path> s = Files.list(root.resolve("ret").resolve(P0))) {
            return s.filter(f -> f.getFileName().toString().endsWith(suffix)).sorted().toList();
        }
    }

    @Test
    @Timeout(300)
    void segmentsAreRemovedWhileAProducerAppendsAndAConsumerTailsInAnotherProcess() throws Exception {
        int count = 800; // about 20 MB of events
        try (Driver d = open()) {
            d.createTopic("ret", Metadata.of("{\"segment_size\":1048576,\"retention.bytes\":4194304}"));
        }
        Path go = root.resolve("go");
        ChildProcess tail = ChildProcess.start(RetentionTailMain.class, root.toString(), "ret", "" + (count - 1), "1",
                go.toString());
        try {
            assertTrue(tail.awaitLine("READY", 120_000), "consumer: " + tail.lines() + "\n" + tail.errors());
            try (Driver d = open(); TopicHandle t = d.openTopic("ret"); Producer p = t.producer()) {
                for (int n = 0; n < count; n++) {
                    p.push(Content.metadata("r", n), DataView.of(Content.data("r", n)));
                    if (n == 0) {
                        p.flush().join();
                        assertTrue(tail.awaitLine("FIRST", 60_000), "consumer: " + tail.lines() + tail.errors());
                    }
                    if (n % 50 == 49) {
                        p.flush().join();
                    }
                }
                p.flush().join();
                // the consumer (1 MiB prefetched) waits while retention removes the segments it has not read
                long deadline = System.nanoTime() + 60_000_000_000L;
                while (t.bounds(0).first() < count / 2 && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertTrue(t.bounds(0).first() >= count / 2, "retention removed the old segments: " + t.bounds(0));
                Files.createFile(go);
                assertEquals(0, tail.waitFor(180_000), "consumer: " + tail.errors());
                long first = t.bounds(0).first();
                assertTrue(first > 0, "retention removed segments: " + t.bounds(0));
                assertEquals(count, t.bounds(0).next());
                assertEquals(String.format("%020d.index", first), files(".index").get(0).getFileName().toString(),
                        "bounds(0).first() is the base of the oldest index file");
                long bytes = 0;
                try (Stream<Path> s = Files.list(root.resolve("ret").resolve(P0))) {
                    for (Path f : s.filter(f -> f.toString().matches(".*\\.(index|meta|data)$")).toList()) {
                        bytes += Files.size(f);
                    }
                }
                assertTrue(bytes < 4194304 + 2 * 1048576 + 200_000, "the partition stays near retention.bytes, plus"
                        + " the newest segment and one batch larger than a segment: " + bytes + " bytes");
            }
        } finally {
            tail.close();
        }
        List<String> lines = tail.lines();
        long previous = -1;
        for (String line : lines) {
            assertFalse(line.startsWith("BAD") || line.startsWith("ERROR") || line.startsWith("TIMEOUT"),
                    "the consumer read damaged or foreign data, or failed: " + line + "\n" + tail.errors());
            if (line.startsWith("EVENT ")) {
                String[] f = line.split(" ");
                long id = Long.parseLong(f[1]);
                assertEquals(id, Long.parseLong(f[2]), "one producer, one partition: the id is the event's n");
                assertTrue(id > previous, "ids only increase: " + previous + " then " + id);
                previous = id;
            }
        }
        assertEquals(count - 1, previous, "the consumer reached the last event");
        assertTrue(lines.get(lines.size() - 1).startsWith("DONE "), lines.get(lines.size() - 1));
        long expired = Long.parseLong(lines.get(lines.size() - 1).substring(5));
        long received = lines.stream().filter(l -> l.startsWith("EVENT")).count();
        // it either read the removed segments through files it had open (POSIX unlink), or went on at the first
        // retained event (EARLIEST) counting what it passed over: every id is one or the other, exactly once
        assertEquals(count, received + expired, "events received (" + received + ") plus ids passed over ("
                + expired + ")");
        System.out.println("[retention] consumer received " + received + " of " + count + " events; eventsExpired "
                + expired);
    }

    @Test
    @Timeout(120)
    void theFirstRetainedIdIsRecoveredAfterARestartAndLeftoversOfAnInterruptedRemovalGo() throws Exception {
        try (Driver d = open()) {
            d.createTopic("ret", Metadata.of("{\"segment_size\":65536,\"retention.bytes\":131072}"));
            try (TopicHandle t = d.openTopic("ret"); Producer p = t.producer()) {
                for (int n = 0; n < 200; n++) {
                    p.push(Metadata.of("{\"n\":" + n + "}"), DataView.of(new byte[2048])).join();
                }
                long deadline = System.nanoTime() + 30_000_000_000L;
                while (t.bounds(0).first() == 0 && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                assertTrue(t.bounds(0).first() > 0, "retention removed segments: " + t.bounds(0));
            }
        }
        Path oldest = files(".index").get(0);
        long first = Long.parseLong(oldest.getFileName().toString().substring(0, 20));
        // an interrupted removal: the index of the oldest segment gone, its metadata and data still there
        Files.delete(oldest);
        long second = Long.parseLong(files(".index").get(0).getFileName().toString().substring(0, 20));
        try (Driver d = open(); TopicHandle t = d.openTopic("ret")) {
            assertEquals(second, t.bounds(0).first(), "the first retained id after a restart");
            assertEquals(200, t.bounds(0).next());
        }
        assertFalse(Files.exists(root.resolve("ret").resolve(P0).resolve(String.format("%020d.data", first))),
                "the data file left by the interrupted removal is deleted at open");
        assertFalse(Files.exists(root.resolve("ret").resolve(P0).resolve(String.format("%020d.meta", first))));
    }

    @Test
    @Timeout(60)
    void aTopicOnlyConsumedIsTrimmedToo() throws Exception {
        try {
            try (Driver d = open()) {
                d.createTopic("ret", Metadata.of("{\"segment_size\":65536,\"retention.ms\":600000}"));
                try (TopicHandle t = d.openTopic("ret"); Producer p = t.producer()) {
                    for (int n = 0; n < 100; n++) { // about four segments, none old yet
                        p.push(Metadata.of("{\"n\":" + n + "}"), DataView.of(new byte[2048])).join();
                    }
                }
            }
            StorageClock.advance(Duration.ofMinutes(20));
            // no producer in this process, and none anywhere: a handle with a consumer (here, on a partition server,
            // any client's handle) trims the segments whose events are older than retention.ms
            try (Driver d = open(); TopicHandle t = d.openTopic("ret");
                    Consumer c = t.consumer(ConsumerOptions.named("reader"))) {
                long deadline = System.nanoTime() + 30_000_000_000L;
                while (t.bounds(0).first() == 0 && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                assertTrue(t.bounds(0).first() > 0, "retention removed old segments: " + t.bounds(0));
                assertEquals(100, t.bounds(0).next(), "never the newest segment");
                // "reader" may have read events before the trim (they existed then, so it may deliver them); a
                // consumer that starts after the trim starts at the first retained event
                try (Consumer late = t.consumer(ConsumerOptions.named("late-reader"))) {
                    Event e = late.poll(Duration.ofSeconds(10)).orElseThrow();
                    assertEquals(t.bounds(0).first(), e.id(), "a consumer starts at the first retained event");
                }
            }
        } finally {
            StorageClock.reset();
        }
    }

    private static long retentionThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith("diaspora-files-retention-")).count();
    }

    @Test
    @Timeout(60)
    void theRetentionThreadEndsWhenItsTopicIsDeletedByAnotherDriverInstance() throws Exception {
        try (Driver a = open(); Driver b = open()) {
            a.createTopic("gone", Metadata.of("{\"retention.ms\":600000}"));
            TopicHandle t = a.openTopic("gone");
            try (Producer p = t.producer()) {
                p.push(Metadata.of("{}"), DataView.EMPTY).join();
                assertEquals(1, retentionThreads(), "a producing handle of a topic with retention runs one");
                b.deleteTopic("gone");
                long deadline = System.nanoTime() + 30_000_000_000L;
                while (retentionThreads() > 0 && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertEquals(0, retentionThreads(), "the retention thread of a deleted topic ends");
            }
        }
    }
}
