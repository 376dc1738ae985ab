package dev.diaspora.stream.files.storage;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The exclusive-writer mode's keeper of partition file locks (FORMAT.md section 9, "Exclusive writer"): a process
 * that owns a partition's files (a partition server) keeps the partition's file lock between appends, even while it
 * is idle, so that each append skips re-reading the log's end. One daemon thread per JVM ({@code
 * diaspora-files-lock-keeper}) watches the kept locks while there are any: every {@link #CHECK_NANOS} it reads
 * {@code /proc/locks} once and releases a lock that another process is waiting for (that partition then appends as
 * without the mode, taking and releasing the lock per append, for {@link #CONTENDED_NANOS}), and it releases a lock
 * not used for {@link #IDLE_NANOS}. Where {@code /proc/locks} cannot be read (not Linux), nothing is kept.
 *
 * <p>So another process's append or delete waits for a kept lock at most about {@link #CHECK_NANOS} plus the append
 * in progress. The thread ends {@link #LINGER_NANOS} after the last kept lock went (so a closed driver leaves no
 * thread behind, TCK rule S10), and the next kept lock starts it again.
 *
 * <p>Thread safety: thread-safe.
 */
final class LockKeeper {
    /** How often the kept locks are checked for waiting processes and idleness: 2 ms. */
    static final long CHECK_NANOS = 2_000_000L;
    /** A kept lock not used for this long is released: 100 ms. */
    static final long IDLE_NANOS = 100_000_000L;
    /** After another process waited for a partition's lock, that partition keeps no lock for this long: 1 s. */
    static final long CONTENDED_NANOS = 1_000_000_000L;
    /** How long the thread waits for a new kept lock before it ends: 100 ms (the TCK waits for it after each test). */
    static final long LINGER_NANOS = 100_000_000L;
    private static final boolean SUPPORTED = LockWaiters.supported();
    private static final Logger LOG = LoggerFactory.getLogger(LockKeeper.class);
    private static final Object MONITOR = new Object();
    private static final Set<Keep> KEPT = new LinkedHashSet<>(); // guarded by MONITOR
    private static Thread thread; // guarded by MONITOR

    private LockKeeper() {
    }

    /**
     * The exclusive-writer state of one {@link PartitionLog}.
     *
     * <p>Thread safety: thread-safe (its fields are guarded by the keeper's monitor).
     */
    static final class Keep {
        private final PartitionLog log;
        private String key; // the lock file's /proc/locks key, found at the first keep
        private boolean keyKnown;
        private long lastUse;
        private long contendedUntil;
        private boolean contended;

        Keep(PartitionLog log) {
            this.log = log;
        }

        /** @return whether an append of the log may keep the file lock now (no waiter seen lately; Linux) */
        boolean allowed() {
            if (!SUPPORTED) {
                return false;
            }
            synchronized (MONITOR) {
                if (contended && System.nanoTime() - contendedUntil >= 0) {
                    contended = false;
                }
                return !contended && (!keyKnown || key != null);
            }
        }

        /**
         * Hands the file lock the caller kept after an append to the keeper, which releases it when another process
         * waits for it or when it has been idle for {@link #IDLE_NANOS}.
         *
         * @return false if the keeper cannot watch it (the lock file has no device and inode numbers, or a waiter was
         *     seen lately): the caller releases the lock itself
         */
        boolean kept() {
            String k;
            synchronized (MONITOR) {
                k = key;
                if (!keyKnown) {
                    k = LockWaiters.keyOf(log.dir().resolve(PartitionLog.LOCK_FILE));
                    key = k;
                    keyKnown = true;
                }
                if (k == null || contended) {
                    return false;
                }
                lastUse = System.nanoTime();
                if (KEPT.add(this)) {
                    startOrWake();
                }
                return true;
            }
        }

        /** Stops watching the log (it is closing); the caller releases its kept lock. */
        void forget() {
            synchronized (MONITOR) {
                KEPT.remove(this);
            }
        }
    }

    private static void startOrWake() { // holds MONITOR
        if (thread == null) {
            thread = new Thread(LockKeeper::run, "diaspora-files-lock-keeper");
            thread.setDaemon(true);
            thread.start();
        } else {
            MONITOR.notifyAll();
        }
    }

    private static void run() {
        List<Keep> release = new ArrayList<>();
        try (LockWaiters locks = new LockWaiters()) { // kept open while the thread runs
            run(locks, release);
        }
    }

    private static void run(LockWaiters locks, List<Keep> release) {
        while (true) {
            synchronized (MONITOR) {
                long idleSince = System.nanoTime();
                while (KEPT.isEmpty()) {
                    long left = LINGER_NANOS - (System.nanoTime() - idleSince);
                    if (left <= 0) {
                        thread = null; // under MONITOR: the next kept lock starts a new thread
                        return;
                    }
                    try {
                        TimeUnit.NANOSECONDS.timedWait(MONITOR, left);
                    } catch (InterruptedException e) {
                        // nobody interrupts this thread; keep serving
                    }
                }
            }
            LockSupport.parkNanos(CHECK_NANOS);
            Set<String> waited;
            try {
                waited = locks.waitedFor();
            } catch (IOException | RuntimeException e) {
                LOG.debug("cannot read /proc/locks ({}); releasing the kept partition locks", e.toString());
                waited = null; // cannot tell: release everything, as if every lock were wanted
            }
            long now = System.nanoTime();
            synchronized (MONITOR) {
                for (Iterator<Keep> it = KEPT.iterator(); it.hasNext(); ) {
                    Keep k = it.next();
                    boolean wanted = waited == null || waited.contains(k.key);
                    if (wanted) {
                        k.contended = true;
                        k.contendedUntil = now + CONTENDED_NANOS;
                    }
                    if (wanted || now - k.lastUse >= IDLE_NANOS) {
                        it.remove();
                        release.add(k);
                    }
                }
            }
            for (Keep k : release) {
                k.log.releaseKeptLock(); // waits for an append in progress, then releases the file lock
            }
            release.clear();
        }
    }
}
