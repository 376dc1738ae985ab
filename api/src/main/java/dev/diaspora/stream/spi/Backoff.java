package dev.diaspora.stream.spi;

import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.InterruptException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * The one retry policy of the engine and the drivers: exponential back-off with jitter, bounded. The delay before
 * retry {@code n} (1 for the first) is drawn uniformly from {@code [c * (1 - jitter), c]}, where the ceiling
 * {@code c = min(max, initial * multiplier^(n-1))}: jitter 0 waits exactly the ceiling, jitter 1 is "full jitter"
 * (anywhere between 0 and the ceiling), which spreads the retries of many clients that failed at the same moment.
 * A sequence of retries ends after {@link #maxRetries()} retries, or once {@link #deadline()} has passed since it
 * started (the last delay is cut to what is left of it), whichever comes first.
 *
 * <p>The policy is an immutable value, made once (a constant of the class that retries); each sequence of retries
 * has its own small state, a {@link Retry} from {@link #start(Clock)}, which reads time from the given
 * {@link Clock} (tests pass one they move) and draws from {@link ThreadLocalRandom} unless given a seeded generator.
 * A {@code Retry} is reusable ({@link Retry#reset()}), so a loop that retries often need not allocate.
 *
 * <pre>{@code
 * static final Backoff READ_RETRY = Backoff.exponential(Duration.ofMillis(100), Duration.ofSeconds(1))
 *         .deadline(Duration.ofSeconds(5));
 * ...
 * READ_RETRY.run(clock, "reading event data", () -> session.readData(requests)); // retriable failures retried
 * }</pre>
 *
 * <p>Thread safety: immutable.
 */
public final class Backoff {
    private static final long NO_DEADLINE = Long.MAX_VALUE;

    private final long initialNanos;
    private final long maxNanos;
    private final double multiplier;
    private final double jitter;
    private final int maxRetries;
    private final long deadlineNanos;

    private Backoff(long initialNanos, long maxNanos, double multiplier, double jitter, int maxRetries,
            long deadlineNanos) {
        this.initialNanos = initialNanos;
        this.maxNanos = maxNanos;
        this.multiplier = multiplier;
        this.jitter = jitter;
        this.maxRetries = maxRetries;
        this.deadlineNanos = deadlineNanos;
    }

    /**
     * A policy whose delays double from {@code initial} up to {@code max}, with jitter 0.5 (each delay between half
     * its ceiling and the ceiling), unbounded retries and no deadline.
     *
     * @throws IllegalArgumentException if {@code initial} is not positive or {@code max} is shorter than it
     */
    public static Backoff exponential(Duration initial, Duration max) {
        long i = Objects.requireNonNull(initial, "initial").toNanos();
        long m = Objects.requireNonNull(max, "max").toNanos();
        if (i <= 0) {
            throw new IllegalArgumentException("Invalid initial back-off " + initial + ": must be positive");
        }
        if (m < i) {
            throw new IllegalArgumentException("Invalid maximum back-off " + max + ": must be at least the initial "
                    + initial);
        }
        return new Backoff(i, m, 2.0, 0.5, Integer.MAX_VALUE, NO_DEADLINE);
    }

    /** @return a copy whose ceiling grows by {@code m} per retry (1: a fixed delay); {@code m >= 1} */
    public Backoff multiplier(double m) {
        if (!(m >= 1.0) || Double.isInfinite(m)) {
            throw new IllegalArgumentException("Invalid back-off multiplier " + m + ": must be a finite number >= 1");
        }
        return new Backoff(initialNanos, maxNanos, m, jitter, maxRetries, deadlineNanos);
    }

    /** @return a copy with jitter {@code j}: 0 waits exactly the ceiling, 1 anywhere up to it; {@code 0 <= j <= 1} */
    public Backoff jitter(double j) {
        if (!(j >= 0.0 && j <= 1.0)) {
            throw new IllegalArgumentException("Invalid back-off jitter " + j + ": must be between 0 and 1");
        }
        return new Backoff(initialNanos, maxNanos, multiplier, j, maxRetries, deadlineNanos);
    }

    /** @return a copy that gives up after {@code n} retries (0: never retries) */
    public Backoff maxRetries(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("Invalid maximum number of retries " + n + ": must be at least 0");
        }
        return new Backoff(initialNanos, maxNanos, multiplier, jitter, n, deadlineNanos);
    }

    /** @return a copy that gives up once {@code d} has passed since the sequence started ({@link #start}) */
    public Backoff deadline(Duration d) {
        long n = Objects.requireNonNull(d, "deadline").toNanos();
        if (n < 0) {
            throw new IllegalArgumentException("Invalid back-off deadline " + d + ": must not be negative");
        }
        return new Backoff(initialNanos, maxNanos, multiplier, jitter, maxRetries, n);
    }

    /**
     * @return this policy if its deadline is at most {@code d}, else a copy whose deadline is {@code d} (a driver
     *     cutting a retry loop to its request timeout)
     */
    public Backoff deadlineAtMost(Duration d) {
        long n = Objects.requireNonNull(d, "deadline").toNanos();
        return n < deadlineNanos ? deadline(d) : this;
    }

    /** @return the ceiling of the first delay */
    public Duration initial() {
        return Duration.ofNanos(initialNanos);
    }

    /** @return the largest delay */
    public Duration max() {
        return Duration.ofNanos(maxNanos);
    }

    /** @return how much the ceiling grows per retry */
    public double multiplier() {
        return multiplier;
    }

    /** @return the jitter: 0 waits exactly the ceiling, 1 anywhere up to it */
    public double jitter() {
        return jitter;
    }

    /** @return how many retries a sequence may make ({@link Integer#MAX_VALUE}: unbounded) */
    public int maxRetries() {
        return maxRetries;
    }

    /** @return how long a sequence may last, or null if it has no deadline */
    public Duration deadline() {
        return deadlineNanos == NO_DEADLINE ? null : Duration.ofNanos(deadlineNanos);
    }

    /** @return the ceiling of the delay before retry {@code n} (1 for the first), in nanoseconds */
    public long ceilingNanos(int n) {
        if (n <= 1) {
            return initialNanos;
        }
        double c = initialNanos * Math.pow(multiplier, n - 1);
        return c >= maxNanos ? maxNanos : (long) c;
    }

    /**
     * @param n the retry (1 for the first)
     * @param random the source of the jitter
     * @return the delay before retry {@code n}, in nanoseconds, jittered (the deadline does not cut it here)
     */
    public long delayNanos(int n, RandomGenerator random) {
        long c = ceilingNanos(n);
        return jitter == 0.0 ? c : c - (long) (c * jitter * random.nextDouble());
    }

    /** @return a new sequence of retries, timed by {@code clock}, jittered by {@link ThreadLocalRandom} */
    public Retry start(Clock clock) {
        return new Retry(this, clock, null);
    }

    /** @return a new sequence of retries, timed by {@code clock}, jittered by {@code random} (seeded, in tests) */
    public Retry start(Clock clock, RandomGenerator random) {
        return new Retry(this, clock, Objects.requireNonNull(random, "random"));
    }

    /**
     * Runs {@code action}, and runs it again after each retriable failure (a {@link DiasporaException} whose
     * {@link DiasporaException#isRetriable()} is true) with this policy's pauses, until it succeeds or the policy
     * gives up. On the calling thread.
     *
     * @param what what the action does, for the message of an interrupt ("reading event data")
     * @return the action's result
     * @throws DiasporaException the action's last failure, if it is not retriable or the policy gave up
     * @throws InterruptException if the thread is interrupted during a pause (its interrupt status is set again)
     */
    public <T> T call(Clock clock, String what, Supplier<T> action) {
        return call(clock, what, DiasporaException::isRetriable, action);
    }

    /**
     * Like {@link #call(Clock, String, Supplier)}, retrying only the failures {@code retry} accepts (say one kind of
     * retriable failure, where the others are the caller's to handle).
     */
    public <T> T call(Clock clock, String what, Predicate<? super DiasporaException> retryIf, Supplier<T> action) {
        Retry retry = null;
        while (true) {
            try {
                return action.get();
            } catch (DiasporaException e) {
                if (!retryIf.test(e)) {
                    throw e;
                }
                if (retry == null) {
                    retry = start(clock);
                }
                try {
                    if (!retry.pause()) {
                        throw e;
                    }
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new InterruptException(what, ie);
                }
            }
        }
    }

    /** Like {@link #call(Clock, String, Supplier)}, for an action without a result. */
    public void run(Clock clock, String what, Runnable action) {
        call(clock, what, () -> {
            action.run();
            return null;
        });
    }

    @Override
    public String toString() {
        return "Backoff[initial=" + initial() + ", max=" + max() + ", multiplier=" + multiplier + ", jitter=" + jitter
                + (maxRetries == Integer.MAX_VALUE ? "" : ", maxRetries=" + maxRetries)
                + (deadlineNanos == NO_DEADLINE ? "" : ", deadline=" + deadline()) + "]";
    }

    /**
     * One sequence of retries under a {@link Backoff}: counts the retries and knows when the sequence started. Made
     * by {@link Backoff#start}; {@link #reset()} starts a new sequence with the same object (no allocation).
     *
     * <p>Thread safety: confined to one thread at a time (hand it over with a happens-before, as a scheduled task
     * does).
     */
    public static final class Retry {
        private final Backoff policy;
        private final Clock clock;
        private final RandomGenerator random; // null: ThreadLocalRandom of the calling thread
        private int retries;
        private long startedAt;

        Retry(Backoff policy, Clock clock, RandomGenerator random) {
            this.policy = policy;
            this.clock = Objects.requireNonNull(clock, "clock");
            this.random = random;
            this.startedAt = clock.nanoTime();
        }

        /**
         * Counts one more retry and returns how long to wait before it.
         *
         * @return the delay in nanoseconds (cut to what is left of the deadline), or -1 if the policy gives up: the
         *     retries are used up or the deadline has passed
         */
        public long nextDelayNanos() {
            if (retries >= policy.maxRetries) {
                return -1;
            }
            long d = policy.delayNanos(retries + 1, random != null ? random : ThreadLocalRandom.current());
            if (policy.deadlineNanos != NO_DEADLINE) {
                long left = startedAt + policy.deadlineNanos - clock.nanoTime();
                if (left <= 0) {
                    return -1;
                }
                d = Math.min(d, left);
            }
            retries++;
            return d;
        }

        /**
         * Waits, on this sequence's clock, for the next retry.
         *
         * @return true once it is time for the retry, false at once if the policy gives up
         * @throws InterruptedException if the thread is interrupted while it waits
         */
        public boolean pause() throws InterruptedException {
            long d = nextDelayNanos();
            if (d < 0) {
                return false;
            }
            clock.sleepNanos(d);
            return true;
        }

        /** @return the retries counted so far in this sequence */
        public int retries() {
            return retries;
        }

        /** @return the policy */
        public Backoff policy() {
            return policy;
        }

        /** Starts a new sequence (after a success): no retries counted, the deadline counted from now. */
        public void reset() {
            retries = 0;
            startedAt = clock.nanoTime();
        }
    }
}
