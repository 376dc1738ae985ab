package dev.diaspora.stream.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.CorruptDataException;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.InvalidOptionException;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.PartitionBounds;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.spi.StorageClock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Topic changes on the files driver (issue 13) beyond the TCK: a producer in another process learns the new partition
 * count, a crash in the middle of addPartitions leaves a topic that opens with the old count, a damaged
 * {@code changes.json} is reported by name, and alterTopic made by another driver instance reaches a running
 * retention thread.
 */
class FilesTopicChangeTest {
    @TempDir
    Path root;

    private Driver open() {
        return Driver.open("files", Metadata.of("{\"root_path\":\"" + root + "\"}"));
    }

    @Test
    @Timeout(120)
    void aProducerInAnotherProcessLearnsTheNewPartitionCount() throws Exception {
        try (Driver d = open()) {
            d.createTopic("grow");
        }
        Path go = root.resolve("go");
        try (ChildProcess child = ChildProcess.start(GrowingTopicProducerMain.class, root.toString(), "grow", "30",
                go.toString())) {
            assertTrue(child.awaitLine("READY 1", 60_000), "child: " + child.lines() + "\n" + child.errors());
            try (Driver d = open()) {
                d.addPartitions("grow", 3);
            }
            Files.createFile(go);
            assertTrue(child.awaitLine("PARTITIONS 3 USED [0, 1, 2]", 60_000),
                    "the producer opened before addPartitions should spread events over the 3 partitions: "
                            + child.lines() + "\n" + child.errors());
        }
        try (Driver d = open(); TopicHandle t = d.openTopic("grow")) {
            long total = 0;
            for (int p = 0; p < 3; p++) {
                total += t.bounds(p).next();
            }
            assertEquals(30, total, "every event of the other process is stored");
        }
    }

    @Test
    void aCrashInTheMiddleOfAddPartitionsLeavesTheOldCount() throws Exception {
        try (Driver d = open()) {
            d.createTopic("crash", Metadata.of("{\"num_partitions\":2}"));
        }
        Path topic = root.resolve("crash");
        // what a process killed before its rename leaves: a directory for partition 2 (half made) and a temporary file
        Path half = Files.createDirectories(topic.resolve("partitions").resolve("00000002"));
        Files.write(half.resolve("00000000000000000000.index"), new byte[] {1, 2, 3});
        Files.write(topic.resolve(".changes-abc.tmp"), "{\"format\":1,\"top".getBytes(StandardCharsets.UTF_8));
        try (Driver d = open(); TopicHandle t = d.openTopic("crash")) {
            assertEquals(2, t.partitions().size(), "the topic opens with the count before the interrupted change");
            assertEquals(2, d.listTopics().get("crash").json().get("num_partitions").asInt());
            d.addPartitions("crash", 3);
            assertEquals(3, t.partitions().size(), "an open handle of the process that added them sees them");
            assertEquals(new PartitionBounds(0, 0), t.bounds(2), "the new partition starts empty");
            try (Producer p = t.producer()) {
                assertEquals(0L, p.push(Content.metadata("c", 0), DataView.of(Content.data("c", 0)), 2).join());
            }
        }
        try (Driver d = open(); TopicHandle t = d.openTopic("crash")) {
            assertEquals(3, t.partitions().size(), "after the rename, the topic opens with the new count");
            assertEquals(new PartitionBounds(0, 1), t.bounds(2));
        }
    }

    @Test
    void aDamagedChangesFileIsReportedByName() throws Exception {
        try (Driver d = open()) {
            d.createTopic("dmg");
            d.addPartitions("dmg", 2);
        }
        Path file = root.resolve("dmg").resolve(TopicChangesFile.FILE);
        String text = Files.readString(file);
        Files.writeString(file, text.replace("\"num_partitions\":2", "\"num_partitions\":7"));
        try (Driver d = open()) {
            CorruptDataException e = assertThrows(CorruptDataException.class, () -> d.openTopic("dmg"));
            assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("crc32c"),
                    "the error names the file and the failed checksum: " + e.getMessage());
        }
    }

    @Test
    @Timeout(60)
    void alterTopicByAnotherInstanceReachesTheRunningRetentionThread() throws Exception {
        try {
            try (Driver d = open()) {
                d.createTopic("ret", Metadata.of("{\"segment_size\":65536,\"segment.ms\":1000,"
                        + "\"retention.ms\":86400000}"));
            }
            try (Driver d = open(); TopicHandle t = d.openTopic("ret"); Producer p = t.producer()) {
                for (int n = 0; n < 20; n++) {
                    p.push(Content.metadata("r", n), DataView.of(Content.data("r", n)));
                }
                p.flush().join();
                StorageClock.advance(Duration.ofMinutes(20));
                p.push(Content.metadata("r", 20), DataView.of(Content.data("r", 20))).join(); // rolls (segment.ms)
                Thread.sleep(3 * RetentionWorker.PERIOD_MS);
                assertEquals(0, t.bounds(0).first(), "20 minutes old events are kept under a day of retention");
                try (Driver other = open()) {
                    other.alterTopic("ret", Metadata.of("{\"retention.ms\":600000}"));
                }
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (t.bounds(0).first() < 20 && System.nanoTime() < deadline) {
                    p.push(Content.metadata("r", 21), DataView.of(Content.data("r", 21))).join();
                    Thread.sleep(50);
                }
                assertEquals(20, t.bounds(0).first(), "the running retention thread applies the changed retention.ms");
                assertEquals(600000, d.listTopics().get("ret").json().get("retention.ms").asLong());
            }
        } finally {
            StorageClock.reset();
        }
    }

    private static long segments(Path partitionDir) throws Exception {
        try (java.util.stream.Stream<Path> files = Files.list(partitionDir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".index")).count();
        }
    }

    /**
     * segment_size and segment.ms changed by another driver instance (as another process would) reach an open
     * producer's partition log at its next append, and a reopened topic rolls by them too; durability stays fixed.
     */
    @Test
    @Timeout(60)
    void segmentOptionsChangeFromTheNextRollAndSurviveARestart() throws Exception {
        byte[] kib = new byte[1024];
        Path part = root.resolve("seg").resolve(FilesTopic.PARTITIONS_DIR).resolve(FilesTopic.partitionDirName(0));
        try {
            try (Driver d = open()) {
                d.createTopic("seg", Metadata.of("{\"segment_size\":1048576}"));
            }
            try (Driver d = open(); TopicHandle t = d.openTopic("seg"); Producer p = t.producer()) {
                for (int n = 0; n < 8; n++) {
                    p.push(Content.metadata("s", n), DataView.of(kib), 0).join();
                }
                StorageClock.advance(Duration.ofMinutes(20));
                p.push(Content.metadata("s", 8), DataView.EMPTY, 0).join();
                assertEquals(1, segments(part), "no segment.ms yet: old events do not roll the segment");

                try (Driver other = open()) {
                    InvalidOptionException e = assertThrows(InvalidOptionException.class,
                            () -> other.alterTopic("seg", Metadata.of("{\"durability\":\"fsync\"}")));
                    assertTrue(e.getMessage().contains("durability") && e.getMessage().contains("segment_size")
                            && e.getMessage().contains("segment.ms"), e.getMessage());
                    other.alterTopic("seg", Metadata.of("{\"segment_size\":65536}"));
                }
                // the handle looks at changes.json at most every CHECK_NANOS: after that, its next push applies it
                // (bounding the wait by bytes pushed instead made the test depend on how fast pushes run)
                Thread.sleep(TimeUnit.NANOSECONDS.toMillis(TopicChangesFile.CHECK_NANOS) + 50);
                long pushed = 9 * 1024;
                while (segments(part) < 3) {
                    assertTrue(pushed < 1000 * 1024, "segments should roll at 64 KiB, not 1 MiB, once the handle"
                            + " sees the change: " + segments(part) + " segment(s) after " + pushed + " bytes");
                    p.push(Content.metadata("s", 9), DataView.of(kib), 0).join();
                    pushed += kib.length;
                }

                try (Driver other = open()) {
                    other.alterTopic("seg", Metadata.of("{\"segment.ms\":60000}"));
                }
                long before = segments(part);
                StorageClock.advance(Duration.ofMinutes(20));
                long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                while (segments(part) == before) { // metadata only: the data file cannot reach 64 KiB
                    assertTrue(System.nanoTime() < deadline, "segment.ms should roll a 20 minutes old segment");
                    p.push(Content.metadata("s", 10), DataView.EMPTY, 0).join();
                }
                assertEquals(before + 1, segments(part), "one roll by age");
            }

            try (Driver d = open(); TopicHandle t = d.openTopic("seg"); Producer p = t.producer()) {
                Metadata listed = d.listTopics().get("seg");
                assertEquals(65536, listed.json().get("segment_size").asLong(), "listTopics: " + listed);
                assertEquals(60000, listed.json().get("segment.ms").asLong(), "listTopics: " + listed);
                long before = segments(part);
                StorageClock.advance(Duration.ofMinutes(20));
                p.push(Content.metadata("s", 11), DataView.EMPTY, 0).join();
                assertEquals(before + 1, segments(part), "after a restart, segment.ms rolls the old segment");
                for (int n = 0; n < 200; n++) {
                    p.push(Content.metadata("s", 12), DataView.of(kib), 0).join();
                }
                assertTrue(segments(part) >= before + 4, "after a restart, 200 KiB make at least 3 segments of"
                        + " 64 KiB: " + (segments(part) - before) + " new segments");
            }
        } finally {
            StorageClock.reset();
        }
    }
}
