package dev.diaspora.stream.files.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.DataView;
import dev.diaspora.stream.TopicNotFoundException;
import dev.diaspora.stream.spi.IncomingBatch;
import dev.diaspora.stream.spi.OutgoingBatch;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * An append that keeps the partition's file lock ({@link PartitionLog#append(List, boolean)}): the next append of the
 * same log skips the end re-read and the incarnation check only while nobody else took the lock in between, and the
 * kept lock still excludes other processes until it is released.
 */
@Timeout(60)
class KeptAppendLockTest {
    @TempDir
    Path dir;

    private PartitionLog open() {
        return PartitionLog.open(dir, "t", 0, new LogConfig(1 << 20, false));
    }

    private static OutgoingBatch batch(String... metadata) {
        int[] offsets = new int[metadata.length + 1];
        byte[][] md = new byte[metadata.length][];
        for (int i = 0; i < metadata.length; i++) {
            md[i] = metadata[i].getBytes(StandardCharsets.UTF_8);
            offsets[i + 1] = offsets[i] + md[i].length;
        }
        byte[] all = new byte[offsets[metadata.length]];
        DataView[] data = new DataView[metadata.length];
        for (int i = 0; i < metadata.length; i++) {
            System.arraycopy(md[i], 0, all, offsets[i], md[i].length);
            data[i] = DataView.of(md[i]); // the metadata again as data: each event's bytes are its own
        }
        return new OutgoingBatch(metadata.length, all, offsets, data, null, 1, 0);
    }

    private static long append(PartitionLog log, boolean keep, String... metadata) {
        AppendResult r = log.append(List.of(batch(metadata)), keep);
        assertNull(r.error());
        return r.firstIds()[0];
    }

    private static void assertLog(PartitionLog log, String... expected) {
        IncomingBatch b = log.read(0, 1000, Long.MAX_VALUE);
        assertEquals(expected.length, b == null ? 0 : b.count(), "events in the log");
        for (int i = 0; i < expected.length; i++) {
            byte[] md = new byte[b.metadata(i).remaining()];
            b.metadata(i).get(md);
            assertArrayEquals(expected[i].getBytes(StandardCharsets.UTF_8), md, "event " + i);
        }
    }

    @Test
    void aKeptLockShouldLetTheNextAppendSkipTheChecksUntilItIsReleased() throws IOException {
        PartitionLog.create(dir, 0);
        PartitionLog log = open();
        AtomicInteger checks = new AtomicInteger();
        log.appendGuard(() -> {
            checks.incrementAndGet();
            return null;
        });
        assertEquals(0, append(log, true, "a"));
        assertEquals(1, append(log, true, "b"));
        assertEquals(2, append(log, true, "c"));
        assertEquals(1, checks.get(), "appends under a kept lock check the incarnation once");
        log.releaseKeptLock();
        assertEquals(3, append(log, false, "d"));
        assertEquals(2, checks.get(), "after a release, the next append checks again");
        assertEquals(4, append(log, false, "e"));
        assertEquals(3, checks.get(), "an append that did not keep the lock makes the next one check");
        assertLog(log, "a", "b", "c", "d", "e");
        log.close();
    }

    @Test
    void anotherHolderInThisJvmBetweenKeptAppendsShouldMakeTheNextAppendReReadTheEnd() throws Exception {
        PartitionLog.create(dir, 0);
        PartitionLog a = open();
        PartitionLog b = open(); // a second handle on the same partition: shares the JVM's lock entry
        assertEquals(0, append(a, true, "a0"));
        assertEquals(1, append(b, false, "b1")); // takes the lock a kept, appends, releases it
        assertEquals(2, append(a, true, "a2")); // must re-read the end: not id 1, not over b's records
        assertEquals(3, append(a, true, "a3"));
        Thread other = new Thread(() -> append(b, true, "b4")); // another thread: keeps the lock a kept
        other.start();
        other.join();
        assertEquals(5, append(a, true, "a5"));
        b.releaseKeptLock();
        assertEquals(6, append(b, false, "b6"));
        assertEquals(7, append(a, false, "a7"));
        assertLog(a, "a0", "b1", "a2", "a3", "b4", "a5", "b6", "a7");
        assertLog(b, "a0", "b1", "a2", "a3", "b4", "a5", "b6", "a7");
        a.close();
        b.close();
    }

    @Test
    void aDeleteInThisJvmBetweenKeptAppendsShouldBeSeenByTheNextAppend() throws Exception {
        PartitionLog.create(dir, 0);
        PartitionLog log = open();
        AtomicReference<TopicNotFoundException> gone = new AtomicReference<>();
        log.appendGuard(gone::get);
        append(log, true, "a");
        // what FilesBackend.deleteTopic does: the partition's append lock, then the topic goes
        FileLocks.Shared lock = FileLocks.openShared(dir.resolve(PartitionLog.LOCK_FILE));
        lock.lock();
        gone.set(new TopicNotFoundException("t was deleted"));
        lock.unlock();
        lock.close();
        AppendResult r = log.append(List.of(batch("b")), true);
        assertSame(gone.get(), r.error(), "the append after the delete is refused");
        assertEquals(0, r.committed());
        log.close();
    }

    @Test
    void aKeptLockShouldStillBeHeldByTheProcessUntilReleased() throws IOException {
        Assumptions.assumeTrue(ProcLocks.supported(), "needs Linux's /proc/locks to see the process's locks");
        PartitionLog.create(dir, 0);
        PartitionLog log = open();
        Path lockFile = dir.resolve(PartitionLog.LOCK_FILE);
        append(log, false, "a");
        assertFalse(ProcLocks.heldByThisProcess(lockFile), "a plain append releases the file lock");
        append(log, true, "b");
        assertTrue(ProcLocks.heldByThisProcess(lockFile), "a kept lock excludes other processes");
        log.releaseKeptLock();
        assertFalse(ProcLocks.heldByThisProcess(lockFile), "released");
        append(log, true, "c");
        log.close();
        assertFalse(ProcLocks.heldByThisProcess(lockFile), "closing the log releases a kept lock");
    }
}
