package dev.diaspora.stream.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.CorruptDataException;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.StartAt;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.TopicNotFoundException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11: reserved names, topic incarnations (delete and re-create while others produce and consume) and the
 * integrity of {@code topic.json}.
 */
class TopicIncarnationTest {
    @TempDir
    Path root;

    private Driver open() {
        return Driver.open("files", Metadata.of("{\"root_path\":\"" + root + "\"}"));
    }

    /** A topic named like the driver's trash used to be wiped on the next open; the name is now refused. */
    @Test
    void aTopicNamedDotDeletedRunsIsRefusedInsteadOfWipedOnReopen() throws Exception {
        try (Driver d = open()) {
            for (String reserved : new String[] {".deleted-runs", ".tmp-runs", ".hidden"}) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> d.createTopic(reserved), reserved);
                assertTrue(e.getMessage().contains(reserved) && e.getMessage().contains("reserved"), e.getMessage());
                assertFalse(Files.exists(root.resolve(reserved)), reserved + " was created");
            }
            d.createTopic("deleted-runs");
            try (TopicHandle t = d.openTopic("deleted-runs"); Producer p = t.producer()) {
                for (int i = 0; i < 1000; i++) {
                    p.push(Metadata.of("{\"i\":" + i + "}"), DataView.EMPTY);
                }
                p.flush().join();
            }
        }
        try (Driver d = open(); TopicHandle t = d.openTopic("deleted-runs")) {
            assertEquals(1000, t.bounds(0).next(), "a topic survives reopening the driver");
        }
    }

    /**
     * Another driver instance produces while the topic is deleted and re-created: every push made after the delete
     * fails with TopicNotFoundException, and the re-created topic holds none of those events.
     */
    @Test
    @Timeout(120)
    void deleteAndRecreateWhileAnotherInstanceProducesFailsEveryLaterPush() throws Exception {
        try (Driver admin = open(); Driver other = open()) {
            admin.createTopic("runs", Metadata.of("{\"num_partitions\":2}"));
            TopicHandle old = other.openTopic("runs");
            Producer producer = old.producer();
            List<CompletableFuture<Long>> before = new ArrayList<>();
            for (int i = 0; i < 500; i++) {
                before.add(producer.push(Metadata.of("{\"i\":" + i + "}"), DataView.of(new byte[100])));
            }
            admin.deleteTopic("runs");
            admin.createTopic("runs", Metadata.of("{\"num_partitions\":2}"));
            List<CompletableFuture<Long>> after = new ArrayList<>();
            for (int i = 0; i < 500; i++) {
                after.add(producer.push(Metadata.of("{\"j\":" + i + "}"), DataView.of(new byte[100])));
            }
            for (CompletableFuture<Long> f : before) {
                f.handle((v, t) -> null).join(); // in flight during the delete: stored before it, or failed
            }
            for (int i = 0; i < after.size(); i++) {
                Throwable t = after.get(i).handle((v, x) -> x).join();
                if (t == null) {
                    fail("push " + i + " after the delete succeeded: EventID " + after.get(i).join());
                }
                Throwable cause = t instanceof CompletionException ? t.getCause() : t;
                assertTrue(cause instanceof TopicNotFoundException, "push " + i + ": " + cause);
                assertTrue(cause.getMessage().contains("'runs' was deleted"), cause.getMessage());
            }
            try (TopicHandle fresh = admin.openTopic("runs")) {
                assertEquals(0, fresh.bounds(0).next() + fresh.bounds(1).next(),
                        "the re-created topic holds events pushed to the deleted one");
            }
            assertThrows(TopicNotFoundException.class, () -> old.bounds(0), "admin call of the old handle");
            assertThrows(TopicNotFoundException.class, () -> old.positions("c"), "positions of the old handle");
            assertThrows(TopicNotFoundException.class, () -> old.resetPositions("c", StartAt.EARLIEST),
                    "resetPositions of the old handle");
            try {
                producer.close();
            } catch (DiasporaException expected) {
                // close reports the failed pushes
            }
        }
    }

    /** A consumer of another instance fails with TopicNotFoundException instead of waiting on a deleted topic. */
    @Test
    @Timeout(120)
    void deleteAndRecreateWhileAnotherInstanceConsumesFailsItsPolls() throws Exception {
        try (Driver admin = open(); Driver other = open()) {
            admin.createTopic("runs");
            try (TopicHandle t = admin.openTopic("runs"); Producer p = t.producer()) {
                p.push(Metadata.of("{\"old\":true}"), DataView.EMPTY).join();
            }
            TopicHandle old = other.openTopic("runs");
            Consumer c = old.consumer(ConsumerOptions.named("c"));
            assertTrue(c.poll(Duration.ofSeconds(10)).isPresent(), "the event before the delete");
            admin.deleteTopic("runs");
            admin.createTopic("runs");
            try (TopicHandle t = admin.openTopic("runs"); Producer p = t.producer()) {
                p.push(Metadata.of("{\"new\":true}"), DataView.EMPTY).join();
            }
            TopicNotFoundException e = assertThrows(TopicNotFoundException.class, () -> {
                long deadline = System.nanoTime() + 10_000_000_000L;
                while (System.nanoTime() < deadline) {
                    assertTrue(c.poll(Duration.ofMillis(200)).isEmpty(), "an event of the re-created topic");
                }
            });
            assertTrue(e.getMessage().contains("'runs' was deleted"), e.getMessage());
            try {
                c.close();
            } catch (DiasporaException expected) {
                // the last acknowledgements could not be stored: the topic is gone
            }
            try (TopicHandle fresh = admin.openTopic("runs")) {
                assertTrue(fresh.consumerNames().isEmpty(), "positions of the old consumer reached the new topic: "
                        + fresh.consumerNames());
            }
        }
    }

    /**
     * Another <em>process</em> produces, one push at a time, while this one deletes and re-creates the topic: once a
     * push fails every later one fails, and the re-created topic holds none of that process's events.
     */
    @Test
    @Timeout(240)
    void deleteAndRecreateWhileAnotherProcessProducesLosesNoCompletedPush() throws Exception {
        try (Driver d = open()) {
            d.createTopic("shared", Metadata.of("{\"num_partitions\":2}"));
        }
        int count = 400;
        ChildProcess child = ChildProcess.start(PushUntilFailureMain.class, root.toString(), "shared", "P", "" + count,
                "5");
        try {
            assertTrue(child.awaitLine("OK 50 25", 120_000) || child.lines().stream().anyMatch(
                    l -> l.startsWith("OK 5")), "the child pushes: " + child.lines() + child.errors());
            try (Driver d = open()) {
                d.deleteTopic("shared");
                d.createTopic("shared", Metadata.of("{\"num_partitions\":2}"));
            }
            assertEquals(0, child.waitFor(180_000), child.errors());
        } finally {
            child.close();
        }
        List<String> lines = child.lines();
        assertTrue(lines.contains("DONE"), lines.toString());
        int firstFail = -1;
        for (int i = 0; i < count; i++) {
            String l = lines.get(i + 1);
            if (l.startsWith("FAIL")) {
                assertTrue(l.endsWith("TopicNotFoundException"), l);
                firstFail = firstFail < 0 ? i : firstFail;
            } else {
                assertTrue(firstFail < 0, "push " + i + " succeeded after push " + firstFail + " failed: " + l);
            }
        }
        assertTrue(firstFail > 0 && firstFail < count, "pushes after the delete must fail: " + lines);
        try (Driver d = open(); TopicHandle t = d.openTopic("shared")) {
            assertEquals(0, t.bounds(0).next() + t.bounds(1).next(),
                    "the re-created topic received events pushed to the deleted one");
        }
    }

    /**
     * A consumer in another <em>process</em>, tailing the topic, fails with TopicNotFoundException once the topic is
     * deleted and created again, instead of waiting on the deleted files or reading the new topic.
     */
    @Test
    @Timeout(240)
    void deleteAndRecreateWhileAnotherProcessConsumesFailsItsPolls() throws Exception {
        try (Driver d = open()) {
            d.createTopic("tail");
        }
        ChildProcess child = ChildProcess.start(TailConsumerMain.class, root.toString(), "tail", "c", "6");
        try {
            assertTrue(child.awaitLine("READY", 120_000), "the child consumer starts: " + child.errors());
            try (Driver d = open()) {
                try (TopicHandle t = d.openTopic("tail"); Producer p = t.producer()) {
                    for (int i = 0; i < 5; i++) {
                        p.push(Content.metadata("A", i), DataView.of(Content.data("A", i)));
                    }
                    p.flush().join();
                }
                long deadline = System.nanoTime() + 60_000_000_000L;
                while (child.lines().stream().filter(l -> l.startsWith("EVENT ")).count() < 5) {
                    assertTrue(System.nanoTime() < deadline, "the child reads the 5 events: " + child.lines());
                    Thread.sleep(10);
                }
                d.deleteTopic("tail");
                d.createTopic("tail");
                try (TopicHandle t = d.openTopic("tail"); Producer p = t.producer()) {
                    p.push(Content.metadata("B", 0), DataView.of(Content.data("B", 0))).join();
                }
            }
            assertEquals(0, child.waitFor(120_000), child.errors());
        } finally {
            child.close();
        }
        List<String> lines = child.lines();
        assertEquals(5, lines.stream().filter(l -> l.startsWith("EVENT ")).count(), lines.toString());
        String last = lines.get(lines.size() - 1);
        assertTrue(last.startsWith("ERROR") && last.contains("TopicNotFoundException")
                && last.contains("'tail' was deleted"), lines.toString());
    }

    /** One flipped bit turned "num_partitions":3 into 1 and hid two partitions; it must be reported as damage. */
    @Test
    void topicJsonBitFlipInPartitionCountIsReportedNotUsed() throws Exception {
        try (Driver d = open()) {
            d.createTopic("flip", Metadata.of("{\"num_partitions\":3}"));
            try (TopicHandle t = d.openTopic("flip"); Producer p = t.producer()) {
                for (int i = 0; i < 300; i++) {
                    p.push(Metadata.of("{\"i\":" + i + "}"), DataView.EMPTY);
                }
                p.flush().join();
            }
        }
        Path file = root.resolve("flip").resolve("topic.json");
        byte[] b = Files.readAllBytes(file);
        String text = new String(b, StandardCharsets.UTF_8);
        int at = text.indexOf("\"num_partitions\":3") + "\"num_partitions\":".length();
        b[at] ^= 0x02; // '3' -> '1'
        Files.write(file, b);
        try (Driver d = open()) {
            CorruptDataException e = assertThrows(CorruptDataException.class, () -> d.openTopic("flip"));
            assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("checksum")
                    && e.getMessage().contains("backup"), e.getMessage());
        }
    }

    /** A topic.json that is not UTF-8 is damaged, not a permission problem. */
    @Test
    void nonUtf8TopicJsonIsReportedAsDamagedNotAsPermissions() throws Exception {
        try (Driver d = open()) {
            d.createTopic("bytes");
        }
        Path file = root.resolve("bytes").resolve("topic.json");
        byte[] b = Files.readAllBytes(file);
        b[b.length / 2] = (byte) 0xff;
        Files.write(file, b);
        try (Driver d = open()) {
            DiasporaException e = assertThrows(DiasporaException.class, () -> d.openTopic("bytes"));
            assertTrue(e.getMessage().contains("not valid UTF-8") && e.getMessage().contains("damaged")
                    && e.getMessage().contains(file.toString()), e.getMessage());
            assertFalse(e.getMessage().contains("permission"), e.getMessage());
        }
    }

    /** topic.json files written before checksums (FORMAT.md section 4) are still read. */
    @Test
    void topicJsonWithoutChecksumFromAnOlderVersionIsAccepted() throws Exception {
        try (Driver d = open()) {
            d.createTopic("legacy", Metadata.of("{\"num_partitions\":2}"));
        }
        Path file = root.resolve("legacy").resolve("topic.json");
        Files.writeString(file, "{\"format\":1,\"options\":{\"num_partitions\":2,\"segment_size\":268435456,"
                + "\"durability\":\"os\"},\"components\":{\"validator\":{\"type\":\"default\"},"
                + "\"partition_selector\":{\"type\":\"default\"},\"serializer\":{\"type\":\"default\"}}}");
        try (Driver d = open(); TopicHandle t = d.openTopic("legacy")) {
            assertEquals(2, t.partitions().size());
        }
        String edited = Files.readString(file).replace("\"format\":1,", "\"format\":1,\"id\":\"x\",");
        Files.writeString(file, edited);
        try (Driver d = open()) {
            CorruptDataException e = assertThrows(CorruptDataException.class, () -> d.openTopic("legacy"));
            assertTrue(e.getMessage().contains("crc32c"), e.getMessage());
        }
    }
}
