package dev.diaspora.stream.spi;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The wall clock that log-structured drivers (memory, files) read for storage timestamps, retention
 * ({@code retention.ms}) and segment age ({@code segment.ms}): the system clock plus an offset that tests move
 * forward ({@link #advance(Duration)}) instead of sleeping for retention periods. JVM-wide: an offset moves the clock
 * of every driver in the JVM, so only tests should set one, and {@link #reset()} after.
 *
 * <p>Thread safety: thread-safe.
 */
public final class StorageClock {
    private static final AtomicLong OFFSET_NANOS = new AtomicLong();

    private StorageClock() {
    }

    /** @return now, in nanoseconds since the Unix epoch: the system clock plus the test offset */
    public static long nowNanos() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano() + OFFSET_NANOS.get();
    }

    /** Moves the clock forward by {@code d} (tests only). */
    public static void advance(Duration d) {
        if (d.isNegative()) {
            throw new IllegalArgumentException("the storage clock only moves forward, got " + d);
        }
        OFFSET_NANOS.addAndGet(d.toNanos());
    }

    /** Removes the test offset (tests only; timestamps already stored ahead of the system clock stay). */
    public static void reset() {
        OFFSET_NANOS.set(0);
    }
}
