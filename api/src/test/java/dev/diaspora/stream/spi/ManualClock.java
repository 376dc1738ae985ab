package dev.diaspora.stream.spi;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link Clock} for tests: its time stands still until the test moves it ({@link #advance}), and a pause
 * ({@link #sleepNanos}) does not block: it moves the time forward by the pause and records it ({@link #sleeps()}), so
 * that a test can check the pauses of a retry loop without waiting for them.
 *
 * <p>Thread safety: thread-safe.
 */
public final class ManualClock implements Clock {
    private final AtomicLong now;
    private final List<Long> sleeps = new ArrayList<>(); // guarded by itself

    /** A clock at an arbitrary origin, as {@link System#nanoTime()} is. */
    public ManualClock() {
        this(1_000_000_000L);
    }

    public ManualClock(long origin) {
        this.now = new AtomicLong(origin);
    }

    @Override
    public long nanoTime() {
        return now.get();
    }

    @Override
    public void sleepNanos(long nanos) throws InterruptedException {
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
        synchronized (sleeps) {
            sleeps.add(nanos);
        }
        if (nanos > 0) {
            now.addAndGet(nanos);
        }
        Thread.yield(); // a loop that pauses on this clock lets the test thread run
    }

    /** Moves the time forward by {@code d}. */
    public void advance(Duration d) {
        now.addAndGet(d.toNanos());
    }

    /** @return the pauses asked for so far, in nanoseconds, in order */
    public List<Long> sleeps() {
        synchronized (sleeps) {
            return List.copyOf(sleeps);
        }
    }
}
