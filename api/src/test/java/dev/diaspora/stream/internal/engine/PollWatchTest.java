package dev.diaspora.stream.internal.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@link PollWatch}: checked sparsely while the application pulls (a tenth of the interval, between 100 ms and 1 s,
 * so that an idle tailing consumer's fetch thread sleeps long), often while it is idle (so that a pull rejoins
 * promptly); idleness is still noticed once the interval has passed without a pull.
 */
class PollWatchTest {
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    @Test
    void aPullingApplicationIsCheckedEveryTenthOfTheIntervalWithinBounds() {
        long t = 1_000 * MS;
        PollWatch fiveMinutes = new PollWatch(TimeUnit.MINUTES.toNanos(5), t);
        fiveMinutes.pulled();
        assertNull(fiveMinutes.check(t, false));
        assertEquals(t + 1_000 * MS, fiveMinutes.nextCheck(), "a tenth of 5 min, at most 1 s");
        PollWatch short_ = new PollWatch(500 * MS, t);
        short_.pulled();
        assertNull(short_.check(t, false));
        assertEquals(t + 100 * MS, short_.nextCheck(), "a tenth of 500 ms, at least 100 ms");
        PollWatch twoSeconds = new PollWatch(2_000 * MS, t);
        assertNull(twoSeconds.check(t, true), "a waiting pull counts as pulling");
        assertEquals(t + 200 * MS, twoSeconds.nextCheck());
    }

    @Test
    void idlenessIsNoticedAfterTheIntervalAndAnIdleApplicationIsCheckedOften() {
        long t = 0;
        PollWatch w = new PollWatch(3_000 * MS, t);
        w.pulled();
        assertNull(w.check(t, false));
        Boolean seen = null;
        while (seen == null) {
            t = w.nextCheck();
            seen = w.check(t, false);
            assertTrue(seen != null || t <= 3_000 * MS, "no pull for " + t / MS + " ms: idle is noticed");
        }
        assertEquals(Boolean.TRUE, seen, "idle once the interval passed without a pull");
        assertTrue(t > 3_000 * MS && t <= 3_300 * MS, "noticed at the first check past the interval: " + t / MS);
        assertEquals(t + 100 * MS, w.nextCheck(), "an idle application is checked every 100 ms");
        assertNull(w.check(w.nextCheck(), false));
        w.pulled();
        t = w.nextCheck();
        assertEquals(Boolean.FALSE, w.check(t, false), "a pull ends the idleness at the next check");
        assertEquals(t + 300 * MS, w.nextCheck(), "pulling again: sparse checks");
    }
}
