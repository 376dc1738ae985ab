package dev.diaspora.stream.files;

import dev.diaspora.stream.spi.ChangeNotifier;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import org.slf4j.LoggerFactory;

/**
 * Sees appends made by other processes: while a topic has read sessions, a daemon thread
 * ({@code diaspora-files-watch-<n>}) looks at the newest index file of every partition (one {@code fstat} each) and
 * bumps the topic's {@link ChangeNotifier} when one grew or rolled, so that a waiting {@code pull()} is served.
 * (Appends made in this JVM bump the notifier directly.)
 *
 * <p>How it learns of appends without spending CPU while nothing happens:
 * <ul>
 *   <li><b>File change events</b> (Linux, local file systems: {@link DirectoryEvents}): the partition directories
 *       are watched; a write to an index file (or a new index or lost-range link) bumps the notifier at once from the
 *       JVM's event thread, without waking this thread. The topic's directory is watched too: a new
 *       {@code changes.json} wakes this thread, which applies it (and watches partitions another process added).
 *       Otherwise the thread only runs a check every {@value #BACKSTOP_MS} ms, which catches anything an event could
 *       have missed: an idle consumer costs about one round a second.</li>
 *   <li><b>Polling</b> elsewhere (network file systems, other platforms, events turned off or unavailable): a round
 *       every millisecond while partitions grow and for {@value #ACTIVE_MS} ms after the last growth, then every
 *       {@value #IDLE_POLL_MS} ms until the next growth. Topics with many partitions are checked less often: one round
 *       takes at most about 64 checks per millisecond.</li>
 * </ul>
 *
 * <p>Thread safety: started and stopped by its topic's {@link SessionWatch}; the loop runs on its own thread;
 * {@link #rounds()} and {@link #signals()} may be read from any thread.
 */
final class TailWatcher implements Runnable {
    private static final AtomicInteger THREADS = new AtomicInteger();
    /** Period of the check that runs beside file change events. */
    static final long BACKSTOP_MS = 1000;
    /** Polling without events: how long after the last growth rounds stay at the fast interval. */
    static final long ACTIVE_MS = 1000;
    /** Polling without events: the interval once partitions have been idle for {@link #ACTIVE_MS}. */
    static final long IDLE_POLL_MS = 20;
    /** The watchers running in this JVM (for tests and diagnostics). */
    private static final Set<TailWatcher> LIVE = ConcurrentHashMap.newKeySet();

    /** What a watcher watches: a topic whose partitions it checks for growth. */
    interface Watched {
        /**
         * Looks once per round for changes of the topic itself (partitions another process added): at most every
         * 100 ms or so, unless {@code force}.
         */
        default void refresh(boolean force) {
        }

        /** @return the file whose creation announces a change of the topic itself, or null if there is none */
        default Path changesFile() {
            return null;
        }

        /** @return the topic's name (for diagnostics) */
        String topicName();

        /** @return the number of partitions to watch now (may grow between rounds) */
        int partitionCount();

        /** @return true if partition {@code p} grew or rolled since the last call (one {@code fstat}) */
        boolean pollGrowth(int p);

        /** @return the directory that holds partition {@code p}'s files */
        Path partitionDir(int p);

        /** @return true if a write to, or the creation of, the file {@code name} of a partition directory may commit
         *     events (an index file, a lost-range link); writes of other files (data, metadata, locks) wake nobody */
        boolean commitFile(String name);
    }

    private final Watched topic;
    private final ChangeNotifier notifier;
    private final Predicate<TailWatcher> keepRunning;
    private final Thread thread;
    private final long intervalNanos;
    private final AtomicLong rounds = new AtomicLong();
    private final AtomicLong signals = new AtomicLong();
    private final List<DirectoryEvents.Subscription> subscriptions = new ArrayList<>(); // watcher thread only
    private volatile boolean evented; // true while file change events cover every partition
    private volatile boolean changesPending; // set by the event thread: the topic's changes file was (re)written

    /**
     * @param keepRunning asked before every round; the watcher ends when it says false (see {@link SessionWatch})
     */
    TailWatcher(Watched topic, ChangeNotifier notifier, Predicate<TailWatcher> keepRunning) {
        this.topic = topic;
        this.notifier = notifier;
        this.keepRunning = keepRunning;
        this.thread = new Thread(this, "diaspora-files-watch-" + THREADS.incrementAndGet());
        thread.setDaemon(true);
        this.intervalNanos = TimeUnit.MILLISECONDS.toNanos(Math.min(20, Math.max(1, topic.partitionCount() / 64)));
    }

    void start() {
        LIVE.add(this);
        thread.start();
    }

    @Override
    public void run() {
        try {
            boolean events = topic.partitionCount() > 0 && DirectoryEvents.covers(topic.partitionDir(0));
            long lastGrowth = System.nanoTime();
            while (keepRunning.test(this)) {
                boolean force = changesPending;
                changesPending = false;
                topic.refresh(force);
                int partitions = topic.partitionCount();
                if (events && subscriptions.size() < partitions + 1) {
                    subscribe(partitions); // at start, and for partitions added meanwhile
                    events = evented;
                }
                rounds.incrementAndGet(); // after the first subscription: evented() is settled once rounds() > 0
                boolean grew = false;
                for (int p = 0; p < partitions; p++) {
                    grew |= topic.pollGrowth(p);
                }
                long now = System.nanoTime();
                if (grew) {
                    notifier.changed();
                    lastGrowth = now;
                }
                LockSupport.parkNanos(pauseNanos(now - lastGrowth));
            }
        } finally {
            unsubscribe();
            LIVE.remove(this);
        }
    }

    /** @return how long to wait before the next round, {@code idleNanos} after the last growth seen */
    private long pauseNanos(long idleNanos) {
        if (evented) {
            return TimeUnit.MILLISECONDS.toNanos(BACKSTOP_MS);
        }
        return idleNanos < TimeUnit.MILLISECONDS.toNanos(ACTIVE_MS) ? intervalNanos
                : Math.max(intervalNanos, TimeUnit.MILLISECONDS.toNanos(IDLE_POLL_MS));
    }

    /**
     * Watches the topic's directory for its changes file (first), then partitions {@code subscriptions.size() - 1} to
     * {@code partitions - 1}; on failure polls every partition instead.
     */
    private void subscribe(int partitions) {
        DirectoryEvents.Listener appends = new DirectoryEvents.Listener() {
            @Override
            public boolean wants(String name) {
                return topic.commitFile(name);
            }

            @Override
            public void signal() {
                signals.incrementAndGet();
                notifier.changed();
            }
        };
        try {
            if (subscriptions.isEmpty()) {
                Path changes = topic.changesFile();
                subscriptions.add(changes == null ? null : DirectoryEvents.subscribe(changes.getParent(),
                        new DirectoryEvents.Listener() {
                            @Override
                            public boolean wants(String name) {
                                return name.equals(changes.getFileName().toString());
                            }

                            @Override
                            public void signal() {
                                changesPending = true;
                                LockSupport.unpark(thread); // a round applies it now
                            }
                        }));
            }
            for (int p = subscriptions.size() - 1; p < partitions; p++) {
                subscriptions.add(DirectoryEvents.subscribe(topic.partitionDir(p), appends));
            }
            evented = true;
        } catch (IOException | RuntimeException e) {
            LoggerFactory.getLogger(TailWatcher.class).warn("topic '{}': cannot watch its directories for changes"
                    + " ({}); polling them instead", topic.topicName(), e.toString());
            evented = false;
            unsubscribe();
        }
    }

    private void unsubscribe() {
        for (DirectoryEvents.Subscription s : subscriptions) {
            if (s != null) {
                s.close();
            }
        }
        subscriptions.clear();
    }

    /** @return the rounds this watcher's thread has run (each one a wake-up): for tests */
    long rounds() {
        return rounds.get();
    }

    /** @return the file change events that woke this topic's readers: for tests */
    long signals() {
        return signals.get();
    }

    /** @return true while file change events cover every partition (the thread then runs only its backstop check) */
    boolean evented() {
        return evented;
    }

    /** @return the name of the topic watched */
    String topicName() {
        return topic.topicName();
    }

    /** @return the watchers running in this JVM */
    static List<TailWatcher> live() {
        return List.copyOf(LIVE);
    }

    boolean isAlive() {
        return thread.isAlive();
    }

    /** Wakes the thread and waits for it to end (once the topic closes, it ends at its next round). */
    void join() {
        LockSupport.unpark(thread);
        joinUninterruptibly(thread);
    }

    /** Waits for {@code t} to end; an interrupt meanwhile is kept (the flag is set again) but does not stop the wait. */
    static void joinUninterruptibly(Thread t) {
        boolean interrupted = false;
        while (t.isAlive()) {
            try {
                t.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
