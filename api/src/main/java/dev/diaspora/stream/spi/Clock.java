package dev.diaspora.stream.spi;

/**
 * The monotonic time source of the engine and of drivers' timing rules and retries: elapsed time
 * ({@link #nanoTime()}, never the wall clock) and a pause ({@link #sleepNanos(long)}). Production code uses
 * {@link #system()}; a test passes a clock that it moves itself, so that a rule such as "process() returns after its
 * idle timeout" or "a failed read is retried after 100 ms, then 200 ms" is tested without sleeping for it, and a
 * pause can be counted.
 *
 * <p>The wall clock of stored timestamps and retention is {@link StorageClock}, not this one.
 *
 * <p>Implementations must be cheap: {@link #nanoTime()} is read on hot paths (once per push for the latency
 * histogram), so it must not allocate or lock.
 *
 * <p>Thread safety: implementations are thread-safe; {@link #system()} is immutable.
 */
public interface Clock {
    /**
     * @return the current value of this clock's monotonic time, in nanoseconds, from an arbitrary origin: only
     *     differences mean anything, compared as {@code a - b < 0} (the value may overflow), as with
     *     {@link System#nanoTime()}
     */
    long nanoTime();

    /**
     * Pauses the calling thread for {@code nanos} nanoseconds of this clock. The system clock sleeps the thread; a
     * test clock may instead move its time forward and return at once.
     *
     * @param nanos how long; zero or less returns at once
     * @throws InterruptedException if the thread is interrupted while it pauses (its interrupt status is cleared)
     */
    void sleepNanos(long nanos) throws InterruptedException;

    /** @return the clock of the running JVM: {@link System#nanoTime()} and {@link Thread#sleep} */
    static Clock system() {
        return SystemClock.INSTANCE;
    }
}
