package dev.diaspora.stream.files.storage;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The JVM-wide registry of the driver's lock files: the only place that opens a channel on one.
 *
 * <p>Two traps of {@link FileChannel#lock()} (POSIX record locks under the hood) make a registry necessary: a second
 * lock on the same file from the same JVM throws {@code OverlappingFileLockException}, and closing <em>any</em>
 * channel of the process on a locked file silently drops the lock. So each lock file is opened once per JVM (keyed
 * by the file's identity, {@link BasicFileAttributes#fileKey()}: device and inode), that channel is the only one,
 * and it is closed only when its last user is gone and no lock is held.
 *
 * <p>Two uses: {@link #openShared} for a partition's append lock (an in-JVM lock plus the file lock, taken by every
 * appender of the partition in this JVM in turn; the file lock may be kept for a short while after the in-JVM lock
 * is released, see {@link Shared#unlockKeepingFileLock}), and {@link #tryExclusive} for consumer leases (held by one
 * session; the OS releases it when the process dies).
 *
 * <p>Never interrupt a thread that is inside {@link Shared#lock()}: an interrupt closes the channel, which drops
 * the lock for every user in the JVM.
 *
 * <p>Thread safety: thread-safe.
 */
public final class FileLocks {
    private static final Object MONITOR = new Object();
    private static final Map<Object, Entry> ENTRIES = new HashMap<>(); // guarded by MONITOR

    private static final class Entry {
        final Object key;
        final FileChannel channel;
        final ReentrantLock jvmLock = new ReentrantLock();
        final boolean exclusive;
        int refs; // guarded by MONITOR
        FileLock held; // guarded by jvmLock; may outlive a hold when kept (Shared.unlockKeepingFileLock)
        long epoch; // guarded by jvmLock: counts every lock() call, reentrant ones included
        long generation; // guarded by jvmLock: counts the acquisitions of the file lock itself

        Entry(Object key, FileChannel channel, boolean exclusive) {
            this.key = key;
            this.channel = channel;
            this.exclusive = exclusive;
        }
    }

    private FileLocks() {
    }

    /**
     * A handle on a shared lock file: {@link #lock()} takes the in-JVM lock and then the file lock, {@link #unlock()}
     * releases both. Closing the handle releases this user's reference; the channel closes with the last one.
     *
     * <p>Thread safety: thread-safe.
     */
    public static final class Shared implements AutoCloseable {
        private final Entry entry;
        private boolean closed; // guarded by MONITOR

        private Shared(Entry entry) {
            this.entry = entry;
        }

        /**
         * Takes the in-JVM lock, then the exclusive file lock (blocking while another process holds it), unless this
         * JVM kept the file lock after the last hold ({@link #unlockKeepingFileLock}). Reentrant: a thread that holds
         * it already only counts one more hold.
         */
        public void lock() throws IOException {
            entry.jvmLock.lock();
            entry.epoch++;
            if (entry.jvmLock.getHoldCount() > 1) {
                return; // the file lock is ours already; a second FileChannel.lock() in one JVM would throw
            }
            FileLock kept = entry.held;
            if (kept != null && kept.isValid()) {
                return; // kept by the last holder in this JVM: still this process's lock
            }
            try {
                entry.held = entry.channel.lock();
                entry.generation++;
            } catch (IOException | RuntimeException | Error e) {
                entry.held = null;
                entry.jvmLock.unlock();
                throw e;
            }
        }

        /** Releases the file lock (on the last hold), then the in-JVM lock. */
        public void unlock() throws IOException {
            if (entry.jvmLock.getHoldCount() > 1) {
                entry.jvmLock.unlock();
                return;
            }
            try {
                releaseFileLock();
            } finally {
                entry.jvmLock.unlock();
            }
        }

        private void releaseFileLock() throws IOException { // holds jvmLock
            FileLock l = entry.held;
            entry.held = null;
            if (l != null && l.isValid()) {
                l.release();
            }
        }

        /**
         * Releases the in-JVM lock but keeps the file lock (on the last hold): other processes still wait, threads of
         * this JVM take the lock without a system call. The caller must end the keep soon with
         * {@link #releaseKeptFileLock} (or any thread's {@link #unlock}); closing the last handle also drops it.
         */
        public void unlockKeepingFileLock() {
            entry.jvmLock.unlock();
        }

        /** Releases a file lock kept by {@link #unlockKeepingFileLock}, if still kept; waits for a current holder. */
        public void releaseKeptFileLock() throws IOException {
            entry.jvmLock.lock();
            try {
                if (entry.jvmLock.getHoldCount() == 1) {
                    releaseFileLock();
                }
            } finally {
                entry.jvmLock.unlock();
            }
        }

        /**
         * @return the number of {@link #lock} calls on this file in this JVM so far (call while holding it): a holder
         *     that finds its own last value plus one knows that nobody else locked it in between
         */
        public long epoch() {
            return entry.epoch;
        }

        /**
         * @return the number of times this JVM acquired the file lock so far (call while holding it): unchanged
         *     between two holds means the file lock stayed held by this process in between, so no other process
         *     appended, rolled or deleted meanwhile
         */
        public long generation() {
            return entry.generation;
        }

        /** @return true if the calling thread holds the lock */
        public boolean isHeldByCurrentThread() {
            return entry.jvmLock.isHeldByCurrentThread();
        }

        @Override
        public void close() throws IOException {
            synchronized (MONITOR) {
                if (closed) {
                    return;
                }
                closed = true;
                release(entry);
            }
        }
    }

    /** Opens (creating if needed) a shared lock file. */
    public static Shared openShared(Path file) throws IOException {
        synchronized (MONITOR) {
            Object key = keyOf(file);
            Entry e = ENTRIES.get(key);
            if (e == null) {
                e = new Entry(key, FileChannel.open(file, StandardOpenOption.WRITE), false);
                ENTRIES.put(key, e);
            } else if (e.exclusive) {
                throw new IOException(file + " is used as a lease file in this JVM, not as a shared lock");
            }
            e.refs++;
            return new Shared(e);
        }
    }

    /**
     * Tries to take an exclusive lock on {@code file} (created if needed) for one holder.
     *
     * @return the lease, to close when done; null if this JVM or another process holds it
     */
    public static AutoCloseable tryExclusive(Path file) throws IOException {
        synchronized (MONITOR) {
            Object key = keyOf(file);
            if (ENTRIES.containsKey(key)) {
                return null; // held in this JVM (leases are the only users of their files)
            }
            FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (IOException | RuntimeException e) {
                ch.close(); // we hold no lock on this file, so closing drops nothing
                throw e;
            }
            if (lock == null) {
                ch.close();
                return null;
            }
            Entry e = new Entry(key, ch, true);
            e.held = lock;
            e.refs = 1;
            ENTRIES.put(key, e);
            boolean[] closed = {false};
            return () -> {
                synchronized (MONITOR) {
                    if (closed[0]) {
                        return;
                    }
                    closed[0] = true;
                    try {
                        if (e.held.isValid()) {
                            e.held.release();
                        }
                    } finally {
                        release(e);
                    }
                }
            };
        }
    }

    private static void release(Entry e) throws IOException { // holds MONITOR
        if (--e.refs == 0) {
            ENTRIES.remove(e.key);
            e.channel.close();
        }
    }

    /** @return the file's identity; creates the file first, which opens no channel that could drop a lock */
    private static Object keyOf(Path file) throws IOException { // holds MONITOR
        if (!Files.exists(file)) {
            try {
                Files.createFile(file); // nobody in this JVM can hold a lock on a file that did not exist
            } catch (FileAlreadyExistsException e) {
                // created meanwhile by another process: fine
            }
        }
        BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
        Object k = a.fileKey();
        return k != null ? k : file.toRealPath().toString();
    }
}
