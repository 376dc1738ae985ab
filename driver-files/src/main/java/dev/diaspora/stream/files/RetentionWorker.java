package dev.diaspora.stream.files;

import dev.diaspora.stream.files.storage.PartitionLog;
import dev.diaspora.stream.spi.Retention;
import dev.diaspora.stream.spi.StorageClock;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The retention thread of one open topic handle ({@code diaspora-files-retention-<n>}, a daemon): every {@link #PERIOD_MS} ms it asks each partition log to remove the whole segments that
 * {@code retention.ms} and {@code retention.bytes} no longer keep ({@link PartitionLog#applyRetention}). It takes no lock that appenders or
 * readers wait for, so a removal never stalls a push or a poll. Several processes may run one on the same topic:
 * removals are idempotent.
 *
 * <p>Thread safety: thread-safe; {@link #close()} joins the thread.
 */
final class RetentionWorker implements Runnable {
    /** How often the partitions are checked, in milliseconds of real time. */
    static final long PERIOD_MS = 200;
    private static final AtomicInteger THREADS = new AtomicInteger();

    private final Supplier<PartitionLog[]> logs; // the topic's current logs: partitions may be added
    private volatile Retention retention; // changed by Driver.alterTopic (FilesTopic.refreshChanges)
    private final Supplier<?> gone;
    private final Thread thread;
    private boolean stopping; // guarded by this

    /**
     * @param gone non-null once the topic this handle opened was deleted (in any process): the thread then ends, and
     *     the handle's next operation reports the deletion
     */
    RetentionWorker(Supplier<PartitionLog[]> logs, Retention retention, Supplier<?> gone) {
        this.logs = logs;
        this.retention = retention;
        this.gone = gone;
        this.thread = new Thread(this, "diaspora-files-retention-" + THREADS.incrementAndGet());
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public void run() {
        while (true) {
            synchronized (this) {
                if (stopping) {
                    return;
                }
            }
            if (gone.get() != null) {
                return;
            }
            long now = StorageClock.nowNanos();
            Retention r = retention;
            for (PartitionLog log : logs.get()) {
                log.applyRetention(r, now);
            }
            synchronized (this) {
                long deadline = System.nanoTime() + PERIOD_MS * 1_000_000L;
                long left;
                while (!stopping && (left = deadline - System.nanoTime()) > 0) {
                    try {
                        wait(Math.max(1, left / 1_000_000L));
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
        }
    }

    /** Applies new retention options from the next round on (within {@link #PERIOD_MS}). */
    void retention(Retention retention) {
        this.retention = retention;
        synchronized (this) {
            notifyAll();
        }
    }

    /** Stops the thread and waits for it (it finishes the removal under way). Idempotent. */
    void close() {
        synchronized (this) {
            stopping = true;
            notifyAll();
        }
        TailWatcher.joinUninterruptibly(thread);
    }
}
