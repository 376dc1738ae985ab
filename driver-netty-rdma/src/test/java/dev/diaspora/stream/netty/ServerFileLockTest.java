package dev.diaspora.stream.netty;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.TopicHandle;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The partition server opens its topics in the files engine's exclusive-writer mode (README, "The partition's file
 * lock"): after an append the partition's file lock stays with the server process, so the next append skips the
 * lock and the re-reads, and an idle partition lets it go.
 */
@Timeout(60)
class ServerFileLockTest {
    private static final Path LOCKS = Path.of("/proc/locks");

    @TempDir
    Path dir;

    @Test
    void theServerShouldKeepAPartitionsFileLockAfterAnAppendAndReleaseItWhenIdle() throws Exception {
        Assumptions.assumeTrue(Files.isReadable(LOCKS), "needs Linux's /proc/locks to see the process's locks");
        try (Servers servers = Servers.start(dir, 1); Driver client = Driver.open("netty", servers.driverOptions())) {
            client.createTopic("t", Metadata.of("{\"num_partitions\":1}"));
            Path lock = dir.resolve("server-0").resolve("topics").resolve("t").resolve("partitions")
                    .resolve("00000000").resolve("lock");
            try (TopicHandle t = client.openTopic("t"); Producer p = t.producer()) {
                assertTrue(keptAfterPush(p, lock), "the server keeps the partition's lock after the append");
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (heldByThisProcess(lock) && System.nanoTime() - deadline < 0) {
                    Thread.sleep(10);
                }
                assertFalse(heldByThisProcess(lock), "an idle partition releases it");
                assertTrue(keptAfterPush(p, lock), "the next append takes and keeps it again");
            }
        }
    }

    /**
     * Pushes a small event (the server's direct path) and looks whether the partition's lock is held. A look that
     * came 50 ms or more after the push started (a loaded machine) proves nothing, as the idle partition lets the
     * lock go 100 ms after its last append: it is tried again, up to 5 times.
     *
     * @return whether a timely look found the lock held
     */
    private static boolean keptAfterPush(Producer p, Path lock) throws IOException {
        for (int attempt = 0; attempt < 5; attempt++) {
            long start = System.nanoTime();
            p.push(Metadata.of("{\"n\":" + attempt + "}"), DataView.of(new byte[100])).join();
            boolean held = heldByThisProcess(lock);
            if (held || System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(50)) {
                return held;
            }
        }
        throw new AssertionError("the machine never let this thread look within 50 ms of a push");
    }

    /** @return whether this process holds a POSIX lock on {@code file}, by its inode in /proc/locks */
    private static boolean heldByThisProcess(Path file) throws IOException {
        String ino = ":" + Files.getAttribute(file, "unix:ino");
        String pid = Long.toString(ProcessHandle.current().pid());
        for (String line : Files.readAllLines(LOCKS)) {
            String[] f = line.trim().split("\\s+"); // "1: POSIX  ADVISORY  WRITE 12345 fd:01:1234567 0 EOF"
            if (f.length >= 6 && f[1].equals("POSIX") && f[4].equals(pid) && f[5].endsWith(ino)) {
                return true;
            }
        }
        return false;
    }
}
