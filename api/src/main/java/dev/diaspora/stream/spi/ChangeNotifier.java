package dev.diaspora.stream.spi;

/**
 * A version counter that read sessions wait on: a log-structured driver calls {@link #changed()} after every append
 * (and, for cross-process drivers, when it sees another process append), and {@link LocalReadSession} waits for the
 * version to move. Waiting is a monitor wait: no busy polling.
 *
 * <p>Thread safety: thread-safe.
 */
public final class ChangeNotifier {
    private long version; // guarded by this
    private long wakeups; // guarded by this

    /** Records a change and wakes every waiter. */
    public synchronized void changed() {
        version++;
        notifyAll();
    }

    /** Wakes every waiter without recording a change (used by {@link ReadSession#wakeup()}). */
    public synchronized void wakeAll() {
        wakeups++;
        notifyAll();
    }

    /** @return the current version */
    public synchronized long version() {
        return version;
    }

    /**
     * Waits until the version differs from {@code seen}, {@link #wakeAll()} is called, or {@code timeoutNanos} pass.
     *
     * @return true if the version moved
     */
    public synchronized boolean await(long seen, long timeoutNanos) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutNanos;
        long w = wakeups;
        while (version == seen && wakeups == w) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            wait(left / 1_000_000, (int) (left % 1_000_000));
        }
        return version != seen;
    }
}
