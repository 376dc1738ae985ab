package dev.diaspora.stream.tck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.spi.Backoff;
import dev.diaspora.stream.spi.Clock;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A {@link Clock} for a driver's tests of its retry loops: the JVM's time, but a pause does not wait, it is recorded
 * ({@link #pauses()}), so that a test checks the pauses of a loop against its {@link Backoff} policy
 * ({@link #assertPausesFollow}) without sleeping through them. Pass it where the driver class takes a clock.
 *
 * <p>Thread safety: thread-safe.
 */
public final class RecordingClock implements Clock {
    private final List<Long> pauses = new CopyOnWriteArrayList<>();

    @Override
    public long nanoTime() {
        return System.nanoTime();
    }

    @Override
    public void sleepNanos(long nanos) throws InterruptedException {
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
        pauses.add(nanos);
    }

    /** @return the pauses asked for so far, in nanoseconds, in order */
    public List<Long> pauses() {
        return List.copyOf(pauses);
    }

    /**
     * Asserts that {@code count} pauses were asked for, and that pause {@code k} lies within what {@code policy}
     * allows before retry {@code k}: between {@code ceiling * (1 - jitter)} and the ceiling (a deadline may cut the
     * last one shorter; do not use this where it does).
     */
    public void assertPausesFollow(Backoff policy, int count) {
        List<Long> got = pauses();
        assertEquals(count, got.size(), "pauses asked for: " + got);
        for (int k = 1; k <= count; k++) {
            long ceiling = policy.ceilingNanos(k);
            long floor = (long) (ceiling * (1 - policy.jitter()));
            long pause = got.get(k - 1);
            assertTrue(pause >= floor && pause <= ceiling, "pause " + k + " of " + pause + " ns is outside what "
                    + policy + " allows: " + floor + ".." + ceiling + " ns");
        }
    }
}
