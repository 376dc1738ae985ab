package dev.diaspora.stream.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Ordering;
import dev.diaspora.stream.files.storage.ProcLocks;
import dev.diaspora.stream.spi.AppenderConfig;
import dev.diaspora.stream.spi.Backend;
import dev.diaspora.stream.spi.BatchAppender;
import dev.diaspora.stream.spi.LocalTopic;
import dev.diaspora.stream.spi.OutgoingBatch;
import dev.diaspora.stream.spi.TopicBackend;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The topic's I/O thread ({@link AppendWorker}) answers the producer before it wakes the tailing readers: a stored
 * batch's future completes while the topic's change notifier still has the version it had before the append, so
 * waking readers (a {@code notifyAll}, and their threads competing for the cores) never stands between a stored batch
 * and its producer.
 */
class AppendWorkerTest {
    @Test
    void shouldCompleteTheFuturesOfAStoredBatchBeforeWakingTheReaders(@TempDir Path dir) throws Exception {
        Backend storage = storage(dir);
        try {
            TopicBackend topic = storage.openTopic("t");
            BatchAppender appender = appender(topic);
            var notifier = ((LocalTopic) topic).notifier();
            for (int s = 0; s < 3; s++) {
                long before = notifier.version();
                CompletableFuture<Long> stored = new CompletableFuture<>();
                // runs on the I/O thread, inside complete(): what the notifier says at that moment
                CompletableFuture<Long> versionAtCompletion = stored.thenApply(id -> notifier.version());
                appender.append(0, batch(s), stored);
                assertEquals((long) s, stored.get(10, TimeUnit.SECONDS), "first id of batch " + s);
                assertEquals(before, versionAtCompletion.get(10, TimeUnit.SECONDS), "batch " + s + ": the readers"
                        + " were woken before the producer's future completed");
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (notifier.version() == before && System.nanoTime() - deadline < 0) {
                    notifier.await(before, TimeUnit.MILLISECONDS.toNanos(100)); // and they are woken after it
                }
                assertTrue(notifier.version() > before, "batch " + s + ": the readers are woken after it");
            }
            appender.close();
            topic.close();
        } finally {
            storage.close();
        }
    }

    /**
     * Between rounds the I/O thread keeps the partition's file lock (so a producer flushing batch after batch appends
     * without re-reading the log's end), but never while idle: once no batch comes, other processes can lock the
     * partition again, and the parked thread uses no CPU.
     */
    @Test
    void anIdleIoThreadShouldHoldNoLockAndUseNoCpu(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(ProcLocks.supported(), "needs Linux's /proc/locks to see the process's locks");
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        Assumptions.assumeTrue(threads.isThreadCpuTimeSupported(), "needs per-thread CPU times");
        Backend storage = storage(dir);
        try {
            TopicBackend topic = storage.openTopic("t");
            BatchAppender appender = appender(topic);
            Path lockFile = dir.resolve("t").resolve("partitions").resolve("00000000").resolve("lock");
            for (int s = 0; s < 50; s++) { // batch after batch: the keep is in use
                CompletableFuture<Long> stored = new CompletableFuture<>();
                appender.append(0, batch(s), stored);
                assertEquals((long) s, stored.get(10, TimeUnit.SECONDS));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (ProcLocks.heldByThisProcess(lockFile) && System.nanoTime() - deadline < 0) {
                Thread.sleep(1);
            }
            assertFalse(ProcLocks.heldByThisProcess(lockFile), "the idle I/O thread still holds the partition lock");
            long io = -1;
            for (ThreadInfo t : threads.dumpAllThreads(false, false)) {
                if (t.getThreadName().startsWith("diaspora-files-io-")) {
                    io = t.getThreadId();
                }
            }
            assertTrue(io >= 0, "no I/O thread found");
            long before = threads.getThreadCpuTime(io);
            Thread.sleep(1000);
            long used = threads.getThreadCpuTime(io) - before;
            assertTrue(used < 10_000_000, "the idle I/O thread used " + used / 1000 + " us of CPU in one second");
            appender.close();
            topic.close();
        } finally {
            storage.close();
        }
    }

    /** @return the files driver's backend in {@code dir}, with topic "t" of one partition (ExclusiveWriterTest too) */
    static Backend storage(Path dir) {
        FilesDriverProvider files = new FilesDriverProvider();
        Backend storage = files.open(files.options().validate(Metadata.of("{\"root_path\":\"" + dir + "\"}"),
                "test"));
        storage.createTopic("t", files.topicOptions().validate(Metadata.of("{\"num_partitions\":1}"), "t"),
                Metadata.of("{}"));
        return storage;
    }

    static BatchAppender appender(TopicBackend topic) {
        return (BatchAppender) topic.appender(new AppenderConfig("test", 7, Integer.MAX_VALUE, Ordering.STRICT));
    }

    /** @return a batch of one event of 1 byte, producer 7, sequence {@code sequence} (ExclusiveWriterTest too) */
    static OutgoingBatch batch(long sequence) {
        byte[] md = "{}".getBytes(StandardCharsets.US_ASCII);
        return new OutgoingBatch(1, md, new int[] {0, 2}, new DataView[] {DataView.of(new byte[] {(byte) sequence})},
                null, 7, sequence);
    }
}
