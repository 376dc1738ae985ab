package dev.diaspora.stream.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.PartitionBounds;
import dev.diaspora.stream.files.storage.ProcLocks;
import dev.diaspora.stream.spi.Backend;
import dev.diaspora.stream.spi.BatchAppender;
import dev.diaspora.stream.spi.LocalTopic;
import dev.diaspora.stream.spi.TopicBackend;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The exclusive-writer mode ({@link DirectAppends#exclusiveWriter}, FORMAT.md section 9): a topic's appends keep the
 * partition's file lock between appends, idle or not, yet another process that wants the lock gets it while this one
 * goes on appending, and an idle partition's lock is released.
 */
@Timeout(120)
class ExclusiveWriterTest {
    @TempDir
    Path dir;

    private Path lockFile() {
        return lockFile(dir);
    }

    /** @return the lock file of partition 0 of topic "t" in the storage at {@code root} */
    private static Path lockFile(Path root) {
        return root.resolve("t").resolve("partitions").resolve("00000000").resolve("lock");
    }

    private interface Condition {
        boolean holds() throws Exception;
    }

    /** Waits up to 10 s while {@code condition} holds (the caller then asserts it no longer does). */
    private static void waitWhile(Condition condition) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (condition.holds() && System.nanoTime() - deadline < 0) {
            Thread.sleep(5);
        }
    }

    @Test
    void anExclusiveWriterShouldKeepTheLockAfterAnAppendAndReleaseItOnceIdle() throws Exception {
        Assumptions.assumeTrue(ProcLocks.supported(), "needs Linux's /proc/locks to see the process's locks");
        Backend storage = AppendWorkerTest.storage(dir);
        try {
            TopicBackend topic = storage.openTopic("t");
            DirectAppends direct = (DirectAppends) topic;
            direct.exclusiveWriter(true);
            long start = System.nanoTime();
            assertEquals(0, direct.appendNow(0, AppendWorkerTest.batch(0)));
            assertEquals(1, direct.appendNow(0, AppendWorkerTest.batch(1)));
            boolean held = ProcLocks.heldByThisProcess(lockFile());
            // a look 50 ms or more after the appends (a loaded machine) may come after the idle release (100 ms)
            assertTrue(held || System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(50),
                    "the lock is kept after the appends returned");
            waitWhile(() -> ProcLocks.heldByThisProcess(lockFile()));
            assertFalse(ProcLocks.heldByThisProcess(lockFile()), "an idle partition's lock is released");
            assertEquals(2, direct.appendNow(0, AppendWorkerTest.batch(2)), "the next append takes it again");
            direct.exclusiveWriter(false);
            assertEquals(3, direct.appendNow(0, AppendWorkerTest.batch(3)));
            assertFalse(ProcLocks.heldByThisProcess(lockFile()), "without the mode, each append releases it");
            direct.exclusiveWriter(true);
            start = System.nanoTime();
            assertEquals(4, direct.appendNow(0, AppendWorkerTest.batch(4)));
            held = ProcLocks.heldByThisProcess(lockFile());
            assertTrue(held || System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(50), "kept again");
            topic.close();
            assertFalse(ProcLocks.heldByThisProcess(lockFile()), "closing the topic releases it");
        } finally {
            storage.close();
        }
        // with nothing kept the keeper's thread ends (TCK rule S10: a closed driver leaves no thread behind)
        waitWhile(ExclusiveWriterTest::keeperAlive);
        assertFalse(keeperAlive(), "the lock keeper's thread ends once no lock is kept");
        theNextKeptLockStartsTheKeeperAgain();
    }

    private static boolean keeperAlive() {
        return Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.isAlive() && t.getName().equals("diaspora-files-lock-keeper"));
    }

    /** After the keeper's thread ended, the next kept lock starts it again, and it releases that lock when idle. */
    private void theNextKeptLockStartsTheKeeperAgain() throws Exception {
        Path root = java.nio.file.Files.createDirectories(dir.resolve("again"));
        Path lock = lockFile(root);
        Backend storage = AppendWorkerTest.storage(root);
        try {
            TopicBackend topic = storage.openTopic("t");
            DirectAppends direct = (DirectAppends) topic;
            direct.exclusiveWriter(true);
            assertEquals(0, direct.appendNow(0, AppendWorkerTest.batch(0)));
            assertTrue(keeperAlive(), "a kept lock starts the keeper's thread again");
            waitWhile(() -> ProcLocks.heldByThisProcess(lock));
            assertFalse(ProcLocks.heldByThisProcess(lock), "a new keeper thread releases the idle lock");
            topic.close();
        } finally {
            storage.close();
        }
    }

    /**
     * Batches through the topic's I/O thread: in the mode, the thread going idle hands its kept lock to the keeper
     * instead of releasing it (without the mode it releases it, {@link AppendWorkerTest}).
     */
    @Test
    void theIoThreadShouldLeaveItsKeptLockToTheKeeperWhenItGoesIdle() throws Exception {
        Assumptions.assumeTrue(ProcLocks.supported(), "needs Linux's /proc/locks to see the process's locks");
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        Backend storage = AppendWorkerTest.storage(dir);
        try {
            TopicBackend topic = storage.openTopic("t");
            ((DirectAppends) topic).exclusiveWriter(true);
            BatchAppender appender = AppendWorkerTest.appender(topic);
            boolean checked = false;
            for (int attempt = 0; attempt < 5 && !checked; attempt++) {
                CompletableFuture<Long> stored = new CompletableFuture<>();
                appender.append(0, AppendWorkerTest.batch(attempt), stored);
                assertEquals(attempt, (long) stored.get(10, TimeUnit.SECONDS));
                long idleSince = awaitParked(threads, "diaspora-files-io-");
                boolean held = ProcLocks.heldByThisProcess(lockFile());
                if (System.nanoTime() - idleSince < TimeUnit.MILLISECONDS.toNanos(50)) { // before the idle release
                    assertTrue(held, "the idle I/O thread's kept lock is still held");
                    checked = true;
                }
            }
            assertTrue(checked, "the machine never let this thread look within 50 ms of the I/O thread parking");
            appender.close();
            topic.close();
            assertFalse(ProcLocks.heldByThisProcess(lockFile()), "closing the topic releases it");
        } finally {
            storage.close();
        }
    }

    /** @return System.nanoTime() once the newest thread named {@code prefix}... waits (parked, idle) */
    private static long awaitParked(ThreadMXBean threads, String prefix) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() - deadline < 0) {
            ThreadInfo newest = null;
            for (ThreadInfo t : threads.dumpAllThreads(false, false)) {
                boolean newer = newest == null || t.getThreadId() > newest.getThreadId();
                if (t.getThreadName().startsWith(prefix) && newer) {
                    newest = t;
                }
            }
            if (newest != null && newest.getThreadState() == Thread.State.WAITING) {
                return System.nanoTime();
            }
            Thread.sleep(1);
        }
        throw new AssertionError("the I/O thread did not go idle within 10 s");
    }

    /**
     * While this process appends without a pause (its lock never idle), a producer in another process still gets
     * the lock: the keeper sees it waiting in {@code /proc/locks} and lets go. Without that, the child would wait
     * for as long as this process appends.
     */
    @Test
    void anotherProcessShouldAppendWhileTheExclusiveWriterKeepsAppending() throws Exception {
        Assumptions.assumeTrue(ProcLocks.supported(), "needs Linux's /proc/locks to see waiting processes");
        Backend storage = AppendWorkerTest.storage(dir);
        long mine = 0;
        int theirs = 20;
        try {
            TopicBackend topic = storage.openTopic("t");
            DirectAppends direct = (DirectAppends) topic;
            direct.exclusiveWriter(true);
            direct.appendNow(0, AppendWorkerTest.batch(mine++));
            assertTrue(ProcLocks.heldByThisProcess(lockFile()), "the lock is kept");
            try (ChildProcess child = ChildProcess.start(ProducerMain.class, dir.toString(), "t", "child",
                    Integer.toString(theirs))) {
                assertTrue(child.awaitLine("READY", 60_000), "the child started: " + child.errors());
                // from here on, this process appends without a pause, so only a seen waiter lets the child in; the
                // bound is far above the child's 20 appends (milliseconds) and far below the time this process's
                // appends leave the lock idle for 100 ms now and then on a loaded machine (tens of seconds)
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                boolean done = false;
                while (!done && System.nanoTime() - deadline < 0) {
                    direct.appendNow(0, AppendWorkerTest.batch(mine++));
                    done = (mine & 63) == 0 && child.lines().contains("DONE");
                }
                assertTrue(done, "the other process could not append within 10 s while this one kept appending"
                        + " (its stderr: " + child.errors() + ")");
                assertEquals(0, child.waitFor(30_000), "the child exits cleanly: " + child.errors());
            }
            direct.appendNow(0, AppendWorkerTest.batch(mine++));
            PartitionBounds b = ((LocalTopic) topic).bounds(0);
            assertEquals(mine + theirs, b.next(), "every event of both processes is stored once, ids dense");
            topic.close();
        } finally {
            storage.close();
        }
    }
}
