package dev.diaspora.stream.files;

import dev.diaspora.stream.spi.ChangeNotifier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;

/**
 * Sees appends made by other processes: while a topic has read sessions, a daemon thread
 * ({@code diaspora-files-watch-<n>}) checks the newest index file of every partition (one {@code fstat} each) about
 * every millisecond, and bumps the topic's {@link ChangeNotifier} when one grew or rolled, so that a waiting
 * {@code pull()} is served within a few milliseconds of another process's append. (Appends made in this JVM bump
 * the notifier directly.) Topics with many partitions are checked less often: one round takes at most about 64
 * checks per millisecond.
 *
 * <p>Thread safety: started and stopped by its topic's {@link SessionWatch}; the loop runs on its own thread.
 */
final class TailWatcher implements Runnable {
    private static final AtomicInteger THREADS = new AtomicInteger();

    /** What a watcher watches: a topic whose partitions it checks for growth. */
    interface Watched {
        /** Looks once per round for changes of the topic itself (partitions another process added). */
        default void refresh() {
        }

        /** @return the number of partitions to watch now (may grow between rounds) */
        int partitionCount();

        /** @return true if partition {@code p} grew or rolled since the last call (one {@code fstat}) */
        boolean pollGrowth(int p);
    }

    private final Watched topic;
    private final ChangeNotifier notifier;
    private final Predicate<TailWatcher> keepRunning;
    private final Thread thread;
    private final long intervalNanos;

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
        thread.start();
    }

    @Override
    public void run() {
        while (keepRunning.test(this)) {
            boolean grew = false;
            topic.refresh();
            int partitions = topic.partitionCount();
            for (int p = 0; p < partitions; p++) {
                grew |= topic.pollGrowth(p);
            }
            if (grew) {
                notifier.changed();
            }
            LockSupport.parkNanos(intervalNanos);
        }
    }

    boolean isAlive() {
        return thread.isAlive();
    }

    /** Waits for the thread to end (it ends within one interval once the topic closes or has no session). */
    void join() {
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
