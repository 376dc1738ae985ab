package dev.diaspora.stream.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.InterruptException;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** {@link Backoff}: growth, bounds, jitter, the limits of a sequence, and the retry loop it runs. */
class BackoffTest {
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final Backoff POLICY = Backoff.exponential(Duration.ofMillis(100), Duration.ofSeconds(1));

    @Test
    void theCeilingDoublesFromTheInitialDelayUpToTheMaximum() {
        long[] expected = {100, 200, 400, 800, 1000, 1000, 1000};
        for (int n = 1; n <= expected.length; n++) {
            assertEquals(expected[n - 1] * MS, POLICY.ceilingNanos(n), "ceiling before retry " + n);
        }
        assertEquals(1000 * MS, POLICY.ceilingNanos(Integer.MAX_VALUE), "no overflow far out");
        Backoff fixed = POLICY.multiplier(1.0);
        assertEquals(100 * MS, fixed.ceilingNanos(30), "multiplier 1 keeps the initial delay");
    }

    @Test
    void withoutJitterEachDelayIsItsCeiling() {
        Backoff exact = POLICY.jitter(0);
        Random random = new Random(1);
        for (int n = 1; n < 10; n++) {
            assertEquals(exact.ceilingNanos(n), exact.delayNanos(n, random), "retry " + n);
        }
    }

    /** Seeded: every delay lies in [ceiling * (1 - jitter), ceiling], and the draws spread over that range. */
    @Test
    void jitteredDelaysStayWithinTheirRangeAndSpreadOverIt() {
        long seed = 0xBAC0FFL;
        for (double jitter : new double[] {0.25, 0.5, 1.0}) {
            Backoff p = POLICY.jitter(jitter);
            Random random = new Random(seed);
            for (int n = 1; n <= 6; n++) {
                long c = p.ceilingNanos(n);
                long lo = Long.MAX_VALUE;
                long hi = Long.MIN_VALUE;
                for (int i = 0; i < 2_000; i++) {
                    long d = p.delayNanos(n, random);
                    assertTrue(d >= (long) (c * (1 - jitter)) && d <= c, "seed " + seed + ", jitter " + jitter
                            + ", retry " + n + ": delay " + d + " outside [" + c * (1 - jitter) + ", " + c + "]");
                    lo = Math.min(lo, d);
                    hi = Math.max(hi, d);
                }
                assertTrue(hi - lo > c * jitter * 0.9, "seed " + seed + ": draws of retry " + n
                        + " do not spread over the jitter range: " + lo + ".." + hi);
            }
        }
    }

    @Test
    void aSeededSequenceIsRepeatable() {
        ManualClock clock = new ManualClock();
        Backoff.Retry a = POLICY.start(clock, new Random(42));
        Backoff.Retry b = POLICY.start(clock, new Random(42));
        for (int i = 0; i < 8; i++) {
            assertEquals(a.nextDelayNanos(), b.nextDelayNanos(), "delay " + i);
        }
    }

    @Test
    void aSequenceEndsAfterMaxRetries() {
        Backoff.Retry r = POLICY.maxRetries(3).start(new ManualClock());
        for (int i = 1; i <= 3; i++) {
            assertTrue(r.nextDelayNanos() > 0, "retry " + i);
        }
        assertEquals(-1, r.nextDelayNanos(), "a fourth retry");
        assertEquals(3, r.retries());
        r.reset();
        assertTrue(r.nextDelayNanos() > 0, "a new sequence after reset");
        assertEquals(-1, POLICY.maxRetries(0).start(new ManualClock()).nextDelayNanos(), "maxRetries 0");
    }

    @Test
    void aSequenceEndsAtItsDeadlineAndItsLastDelayIsCutToWhatIsLeft() throws InterruptedException {
        ManualClock clock = new ManualClock();
        Backoff.Retry r = POLICY.jitter(0).deadline(Duration.ofMillis(1000)).start(clock);
        assertTrue(r.pause()); // 100
        assertTrue(r.pause()); // 200
        assertTrue(r.pause()); // 400: 700 ms gone
        assertEquals(300 * MS, r.nextDelayNanos(), "800 ms cut to the 300 ms left");
        clock.advance(Duration.ofMillis(300));
        assertEquals(-1, r.nextDelayNanos(), "past the deadline");
        assertEquals(List.of(100 * MS, 200 * MS, 400 * MS), clock.sleeps(), "the pauses, on the clock");
        r.reset();
        assertEquals(100 * MS, r.nextDelayNanos(), "reset counts the deadline from now");
    }

    @Test
    void callRetriesRetriableFailuresWithThePoliciesPauses() {
        ManualClock clock = new ManualClock();
        AtomicInteger calls = new AtomicInteger();
        String got = POLICY.jitter(0).call(clock, "test", () -> {
            if (calls.incrementAndGet() < 4) {
                throw new DiasporaException("unreachable", null, true);
            }
            return "ok";
        });
        assertEquals("ok", got);
        assertEquals(List.of(100 * MS, 200 * MS, 400 * MS), clock.sleeps());
    }

    @Test
    void callRethrowsANonRetriableFailureAtOnceAndTheLastOneWhenThePolicyGivesUp() {
        ManualClock clock = new ManualClock();
        DiasporaException fatal = new DiasporaException("refused");
        assertSame(fatal, assertThrows(DiasporaException.class, () -> POLICY.run(clock, "test", () -> {
            throw fatal;
        })));
        assertEquals(List.of(), clock.sleeps(), "no pause before a non-retriable failure");
        AtomicInteger calls = new AtomicInteger();
        DiasporaException last = assertThrows(DiasporaException.class, () -> POLICY.maxRetries(2).run(clock, "test",
                () -> {
                    throw new DiasporaException("attempt " + calls.incrementAndGet(), null, true);
                }));
        assertEquals("attempt 3", last.getMessage(), "the first attempt and two retries");
    }

    @Test
    void callWithAFilterRetriesOnlyTheFailuresItAccepts() {
        ManualClock clock = new ManualClock();
        AtomicInteger calls = new AtomicInteger();
        DiasporaException other = new DiasporaException("another retriable failure", null, true);
        DiasporaException got = assertThrows(DiasporaException.class, () -> POLICY.jitter(0).call(clock, "test",
                e -> e.getMessage().startsWith("wait"), () -> {
                    if (calls.incrementAndGet() < 3) {
                        throw new DiasporaException("wait " + calls.get());
                    }
                    throw other;
                }));
        assertSame(other, got, "a failure the filter refuses ends the loop, retriable or not");
        assertEquals(List.of(100 * MS, 200 * MS), clock.sleeps(), "the accepted ones, not retriable, were retried");
    }

    @Test
    void deadlineAtMostKeepsTheShorterDeadline() {
        assertEquals(Duration.ofSeconds(2), POLICY.deadlineAtMost(Duration.ofSeconds(2)).deadline(), "none before");
        Backoff five = POLICY.deadline(Duration.ofSeconds(5));
        assertEquals(Duration.ofSeconds(3), five.deadlineAtMost(Duration.ofSeconds(3)).deadline(), "cut");
        assertSame(five, five.deadlineAtMost(Duration.ofSeconds(9)), "a longer one leaves the policy as it is");
    }

    @Test
    void anInterruptDuringAPauseEndsTheLoopAndStaysSet() {
        ManualClock clock = new ManualClock();
        Thread.currentThread().interrupt();
        try {
            assertThrows(InterruptException.class, () -> POLICY.run(clock, "test", () -> {
                throw new DiasporaException("unreachable", null, true);
            }));
            assertTrue(Thread.currentThread().isInterrupted(), "the interrupt status is set again");
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    void invalidPoliciesAreRejectedWithTheValueAndTheRule() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Backoff.exponential(Duration.ZERO,
                Duration.ofSeconds(1))).getMessage().contains("must be positive"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Backoff.exponential(Duration.ofSeconds(2),
                Duration.ofSeconds(1))).getMessage().contains("at least the initial"));
        assertThrows(IllegalArgumentException.class, () -> POLICY.multiplier(0.5));
        assertThrows(IllegalArgumentException.class, () -> POLICY.jitter(1.5));
        assertThrows(IllegalArgumentException.class, () -> POLICY.jitter(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> POLICY.maxRetries(-1));
        assertThrows(IllegalArgumentException.class, () -> POLICY.deadline(Duration.ofMillis(-1)));
    }
}
