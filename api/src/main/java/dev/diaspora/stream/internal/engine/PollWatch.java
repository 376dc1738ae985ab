package dev.diaspora.stream.internal.engine;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Tells whether the application of a consumer has stopped pulling for longer than
 * {@link dev.diaspora.stream.ConsumerOptions#maxPollInterval}: the application threads count their pulls
 * ({@link #pulled()}: one ordered store, no clock read on the pull path), and the fetch thread samples the count at
 * most every {@link #CHECK_NANOS} while the application is idle (so that a pull rejoins promptly) and every tenth of
 * the interval, between {@link #CHECK_NANOS} and {@link #MAX_CHECK_NANOS}, while it pulls (so that an idle tailing
 * consumer's fetch thread need not wake often: {@link #nextCheck}) ({@link #check}), noting when it last moved. A pull that is waiting (a thread inside
 * {@code poll}, or a {@code pull()} future not completed) counts as pulling. Not API.
 *
 * <p>Thread safety: {@link #pulled()} from the thread that owns the consumer's pulls (one at a time); {@link #check}
 * from the fetch thread only.
 */
final class PollWatch {
    static final long CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    /** The longest time between two checks while the application pulls (a tenth of the interval, at least CHECK). */
    static final long MAX_CHECK_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final long maxNanos;
    private final long pullingCheckNanos; // between checks while not idle: a tenth of maxNanos in [CHECK, MAX_CHECK]
    private final AtomicLong pulls = new AtomicLong();
    private long seenPulls; // fetch thread
    private long movedAt; // fetch thread: when the count last moved, or a pull was waiting
    private long nextCheck; // fetch thread
    private boolean idle; // fetch thread

    PollWatch(long maxNanos, long now) {
        this.maxNanos = maxNanos;
        this.pullingCheckNanos = Math.max(CHECK_NANOS, Math.min(MAX_CHECK_NANOS, maxNanos / 10));
        this.movedAt = now;
        this.nextCheck = now;
    }

    /** Counts a pull (entering poll, pull, process or an iteration step). */
    void pulled() {
        pulls.lazySet(pulls.get() + 1);
    }

    /** @return whether a check is due at {@code now} */
    boolean due(long now) {
        return now - nextCheck >= 0;
    }

    /**
     * @param waiting whether a pull is waiting right now
     * @return {@link Boolean#TRUE} when the application just became idle (no pull for longer than the interval),
     *     {@link Boolean#FALSE} when an idle application just pulled again, null when nothing changed
     */
    Boolean check(long now, boolean waiting) {
        long c = pulls.get();
        if (c != seenPulls || waiting) {
            seenPulls = c;
            movedAt = now; // the pull happened since the last check: idleness is noticed at most one gap late
            nextCheck = now + pullingCheckNanos; // pulling (again): sparse checks
            if (idle) {
                idle = false;
                return Boolean.FALSE;
            }
            return null;
        }
        // idle: checked often, so that a pull rejoins promptly; pulling: sparsely, the fetch thread may sleep longer
        nextCheck = now + (idle ? CHECK_NANOS : pullingCheckNanos);
        if (!idle && now - movedAt > maxNanos) {
            idle = true;
            nextCheck = now + CHECK_NANOS;
            return Boolean.TRUE;
        }
        return null;
    }

    /** @return when the next check is due (the fetch thread waits no longer than that) */
    long nextCheck() {
        return nextCheck;
    }

    /** Undoes the last change (the session could not follow it); the next check tries again. */
    void undo(boolean wasIdle) {
        idle = wasIdle;
    }

    /** @return the interval in milliseconds, for messages */
    long maxMillis() {
        return TimeUnit.NANOSECONDS.toMillis(maxNanos);
    }
}
