package dev.diaspora.stream.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.BatchSize;
import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.InvalidOptionException;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.ProducerOptions;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.files.storage.FailingWrites;
import dev.diaspora.stream.files.storage.FileHeaderDescriptor;
import dev.diaspora.stream.files.storage.IndexDescriptor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Appends the file system refuses (issue 13, item 5): an I/O error in the middle of a write (injected through the
 * storage's writer seam) and a really full file system (a small tmpfs, when this JVM may mount one). Each failed
 * push fails with a retriable error naming the partition and the file; nothing acknowledged is lost or damaged, no
 * part of a failed batch becomes visible, and the same producer stores again once the cause is gone.
 */
@Timeout(120)
class WriteFailureTest {
    @TempDir
    Path root;

    /** What the producer was told: the key number of every acknowledged event, in EventID order. */
    private final List<Long> acked = new ArrayList<>();

    private Driver open(Path rootPath) {
        return Driver.open("files", Metadata.of("{\"root_path\":\"" + rootPath + "\"}"));
    }

    @Test
    void anIoErrorInTheMiddleOfADataWriteFailsTheBatchRetriablyAndTheProducerGoesOn() {
        failMidWrite(".data", 1000);
    }

    @Test
    void anIoErrorInTheMiddleOfTheIndexWriteLeavesNoRecordOfTheBatchVisible() {
        // three whole index records and part of a fourth reach the file before the error
        failMidWrite(".index", 3 * IndexDescriptor.RECORD_SIZE + 10);
    }

    @Test
    void anIoErrorWhenForcingTheIndexOfAnFsyncTopicLeavesNoRecordOfTheBatchVisible() {
        // the index records are written whole, then fsync reports EIO: the batch is not stored, so they must go
        failMidWrite(".index", Integer.MAX_VALUE, "{\"durability\":\"fsync\"}");
    }

    private void failMidWrite(String suffix, int partialBytes) {
        failMidWrite(suffix, partialBytes, "{}");
    }

    private void failMidWrite(String suffix, int partialBytes, String topicOptions) {
        ProducerOptions batches = ProducerOptions.defaults().batchSize(BatchSize.of(8)).linger(Duration.ofSeconds(5));
        try (FailingWrites faults = FailingWrites.install(suffix, partialBytes)) {
            try (Driver d = open(root)) {
                d.createTopic("t", Metadata.of(topicOptions));
                try (TopicHandle t = d.openTopic("t"); Producer p = t.producer(batches)) {
                    pushBatch(p, 0, 8);
                    faults.arm();
                    List<CompletableFuture<Long>> failed = pushAsync(p, 100, 8);
                    p.flush().exceptionally(e -> null).join();
                    for (CompletableFuture<Long> f : failed) {
                        DiasporaException e = failure(f);
                        assertTrue(e.isRetriable(), "a write error is retriable: " + e);
                        assertTrue(e.getMessage().contains("partition 0"), e.getMessage());
                        assertTrue(e.getMessage().contains(suffix) && e.getMessage().contains(root.toString()),
                                "names the file: " + e.getMessage());
                        assertTrue(e.getMessage().contains("Input/output error"), e.getMessage());
                    }
                    assertTrue(faults.failures() > 0);
                    faults.disarm();
                    pushBatch(p, 200, 8); // the same producer, no restart
                    assertEquals(16, t.bounds(0).next(), "the failed batch holds no EventID");
                }
            }
        }
        checkStored(root, "t");
    }

    @Test
    @Timeout(180)
    void aFullFileSystemFailsPushesRetriablyAndTheyStoreAgainOnceSpaceIsFreed() throws Exception {
        Path mnt = Files.createDirectory(root.resolve("small"));
        Tmpfs.assumeMounted(mnt, "2m");
        try {
            Path ballast = mnt.resolve("ballast");
            Files.write(ballast, new byte[512 * 1024]);
            try (Driver d = open(mnt)) {
                d.createTopic("t", Metadata.of("{\"segment_size\":262144}"));
                try (TopicHandle t = d.openTopic("t"); Producer p = t.producer()) {
                    DiasporaException full = null;
                    for (long n = 0; n < 2000 && full == null; n++) {
                        CompletableFuture<Long> f = p.push(Content.metadata("k", n), DataView.of(Content.data("k", n)));
                        try {
                            assertEquals(acked.size(), f.join(), "ids follow each other");
                            acked.add(n);
                        } catch (CompletionException e) {
                            full = assertInstanceOf(DiasporaException.class, e.getCause());
                        }
                    }
                    assertTrue(full != null, "the file system never filled up");
                    assertTrue(full.isRetriable(), "a full disk is retriable: " + full);
                    String m = full.getMessage();
                    assertTrue(m.contains("partition 0") && m.contains(mnt.toString())
                            && m.contains("file system is full"), m);
                    p.flush().exceptionally(e -> null).join();
                    // still full: fails the same way, nothing breaks
                    DiasporaException again = failure(p.push(Content.metadata("k", 5000),
                            DataView.of(new byte[300_000])));
                    assertTrue(again.isRetriable(), again.toString());
                    p.flush().exceptionally(e -> null).join(); // the failures were seen: close need not report them
                    Files.delete(ballast);
                    for (long n = 10_000; n < 10_010; n++) {
                        assertEquals(acked.size(), p.push(Content.metadata("k", n), DataView.of(Content.data("k", n)))
                                .join(), "stored again once space came back, ids follow the acknowledged ones");
                        acked.add(n);
                    }
                }
            }
            checkStored(mnt, "t");
        } finally {
            Tmpfs.unmount(mnt);
        }
    }

    @Test
    void aReadOnlyRootPathIsRefusedAtDriverOpenNamingThePath() throws Exception {
        // tests run as root, which ignores permission bits: a read-only mount refuses writes to every user
        Path mnt = Files.createDirectory(root.resolve("ro"));
        Tmpfs.assumeMountedReadOnly(mnt);
        try {
            for (Path rootPath : List.of(mnt, mnt.resolve("sub/dir"))) {
                InvalidOptionException e = assertThrows(InvalidOptionException.class, () -> open(rootPath));
                assertTrue(e.getMessage().contains(rootPath.toString()) && e.getMessage().contains("root_path")
                        && e.getMessage().contains("read-only") && e.getMessage().contains("remount it read-write"),
                        e.getMessage());
            }
        } finally {
            Tmpfs.unmount(mnt);
        }
    }

    @Test
    void aRootPathThatBecameReadOnlyIsReportedByCreateTopicNamingThePath() throws Exception {
        Path mnt = Files.createDirectory(root.resolve("ro-later"));
        Tmpfs.assumeMounted(mnt, "1m");
        try {
            try (Driver d = open(mnt)) {
                Tmpfs.remount(mnt, "ro");
                DiasporaException e = assertThrows(DiasporaException.class, () -> d.createTopic("t"));
                assertTrue(e.getMessage().contains(mnt.toString()) && e.getMessage().contains("'t'")
                        && e.getMessage().contains("read-only"), e.getMessage());
                Tmpfs.remount(mnt, "rw");
                d.createTopic("t"); // nothing of the failed creation is in the way
                try (TopicHandle t = d.openTopic("t"); Producer p = t.producer()) {
                    pushBatch(p, 0, 3);
                }
            }
            checkStored(mnt, "t");
        } finally {
            Tmpfs.unmount(mnt);
        }
    }

    @Test
    void aSegmentWhoseCreationFailedIsPassedOverByOpenAndCreatedAgainByTheNextRoll() throws Exception {
        failRollToBase2(p -> assertEquals(2, p.push(Content.metadata("big", 3), DataView.of(bigData(3))).join(),
                "the next roll creates the segment again, at the same base"));
        assertBig(List.of(0L, 1L, 3L));
    }

    @Test
    void theFilesOfAFailedRollThatTheLogWentPastAreRemovedByTheNextOpen() throws Exception {
        Path part = failRollToBase2(p -> {
            // a small event still fits the segment at base 1, so the log goes past base 2; the next roll is at 3
            assertEquals(2, p.push(Content.metadata("big", 100), DataView.of(bigData(100))).join());
            assertEquals(3, p.push(Content.metadata("big", 4), DataView.of(bigData(4))).join());
        });
        assertTrue(Files.exists(part.resolve(String.format("%020d.index", 3))));
        assertTrue(Files.exists(part.resolve(String.format("%020d.data", 2))), "left by the failed roll");
        assertBig(List.of(0L, 1L, 100L, 4L));
        for (String f : List.of("data", "meta")) {
            assertFalse(Files.exists(part.resolve(String.format("%020d.%s", 2, f))),
                    "the open removed the failed roll's ." + f + " file, which no roll can complete any more");
        }
    }

    /**
     * 64 KiB segments and events of 40,000 bytes of data: every such event starts a segment, event n at base n. The
     * roll to base 2 fails while it writes the header of 00000000000000000002.meta (the disk filled up), after it
     * created the data file: a header-only data file and a cut metadata file stay, and no index. Another driver
     * opens the partition meanwhile and reads it; then the disk is repaired and {@code afterRepair} pushes more.
     *
     * @return the partition directory
     */
    private Path failRollToBase2(java.util.function.Consumer<Producer> afterRepair) throws Exception {
        String failing = String.format("%020d.meta", 2);
        Path part = root.resolve("t").resolve(FilesTopic.PARTITIONS_DIR).resolve(FilesTopic.partitionDirName(0));
        try (FailingWrites faults = FailingWrites.install(failing, 10); Driver d = open(root)) {
            d.createTopic("t", Metadata.of("{\"segment_size\":65536}"));
            try (TopicHandle t = d.openTopic("t");
                    Producer p = t.producer(ProducerOptions.defaults().batchSize(BatchSize.of(1)))) {
                for (long n = 0; n < 2; n++) {
                    assertEquals(n, p.push(Content.metadata("big", n), DataView.of(bigData(n))).join());
                }
                faults.arm();
                DiasporaException e = failure(p.push(Content.metadata("big", 2), DataView.of(bigData(2))));
                p.flush().exceptionally(x -> null).join();
                assertTrue(e.isRetriable() && e.getMessage().contains(failing), e.getMessage());
                assertEquals(FileHeaderDescriptor.LENGTH, Files.size(part.resolve(String.format("%020d.data", 2))),
                        "the failed roll left a header-only data file");
                assertFalse(Files.exists(part.resolve(String.format("%020d.index", 2))), "and no index");
                assertBig(List.of(0L, 1L)); // another driver opens the partition and reads it
                faults.disarm();
                afterRepair.accept(p);
            }
        }
        return part;
    }

    /** @return the data of event {@code n}: 40,000 bytes, or 100 for {@code n >= 100} */
    private static byte[] bigData(long n) {
        byte[] b = new byte[n >= 100 ? 100 : 40_000];
        new java.util.SplittableRandom(n).nextBytes(b);
        return b;
    }

    /** Opens the topic with a fresh driver and reads exactly the events {@code keys} of {@code "big"}, in order. */
    private void assertBig(List<Long> keys) {
        try (Driver d = open(root); TopicHandle t = d.openTopic("t");
                Consumer c = t.consumer(ConsumerOptions.named("check-" + keys.size()))) {
            assertEquals(keys.size(), t.bounds(0).next());
            for (int i = 0; i < keys.size(); i++) {
                Event e = c.poll(Duration.ofSeconds(10)).orElseThrow();
                assertEquals(i, e.id());
                assertEquals(Content.metadata("big", keys.get(i)).toString(), e.metadata().toString());
                org.junit.jupiter.api.Assertions.assertArrayEquals(bigData(keys.get(i)), e.data().toByteArray());
            }
        }
    }

    private void pushBatch(Producer p, long from, int n) {
        List<CompletableFuture<Long>> fs = pushAsync(p, from, n);
        p.flush().join();
        for (int i = 0; i < n; i++) {
            assertEquals(acked.size(), fs.get(i).join());
            acked.add(from + i);
        }
    }

    private static List<CompletableFuture<Long>> pushAsync(Producer p, long from, int n) {
        List<CompletableFuture<Long>> fs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            fs.add(p.push(Content.metadata("k", from + i), DataView.of(Content.data("k", from + i))));
        }
        return fs;
    }

    private static DiasporaException failure(CompletableFuture<Long> f) {
        try {
            long id = f.join();
            throw new AssertionError("the push was stored as " + id + " although the write failed");
        } catch (CompletionException e) {
            return assertInstanceOf(DiasporaException.class, e.getCause());
        }
    }

    /** Reopens the topic and reads it: exactly the acknowledged events, in order, with their content. */
    private void checkStored(Path rootPath, String topic) {
        try (Driver d = open(rootPath); TopicHandle t = d.openTopic(topic);
                Consumer c = t.consumer(ConsumerOptions.named("check"))) {
            assertEquals(acked.size(), t.bounds(0).next(), "events stored after reopening");
            for (int i = 0; i < acked.size(); i++) {
                Event e = c.poll(Duration.ofSeconds(10)).orElseThrow();
                assertEquals(i, e.id());
                Content.check(e, "k", acked.get(i));
            }
            Optional<Event> extra = c.poll(Duration.ofMillis(200));
            assertFalse(extra.isPresent(), () -> "an event that was not acknowledged: " + extra.get().metadata());
        }
    }
}
