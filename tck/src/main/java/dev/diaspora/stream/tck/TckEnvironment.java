package dev.diaspora.stream.tck;

import java.time.Duration;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The knobs of a TCK run: how long to wait, how many events to push, and the seed of the property-style tests.
 *
 * <p>Read from system properties by {@link #fromSystemProperties()}:
 * <ul>
 *   <li>{@code tck.timeoutScale} (default 1): multiplies every timeout; raise it on slow or loaded machines, or for
 *       remote drivers;</li>
 *   <li>{@code tck.scale} (default 1): multiplies every event count (at least 1 event remains);</li>
 *   <li>{@code tck.seed} (default {@link #DEFAULT_SEED}, decimal or {@code 0x} hex): the base seed of the seeded
 *       generators. Every property-style assertion message prints the seed and case, so a failure replays with
 *       {@code -Dtck.seed=<seed>}.</li>
 * </ul>
 * A driver's test class may override {@link DriverTck#environment()} to change them in code (the TCK's own self-test
 * uses that to run broken drivers with small counts).
 *
 * <p>Thread safety: immutable.
 */
public final class TckEnvironment {
    /** The base seed when {@code tck.seed} is not set: fixed, so runs are reproducible by default. */
    public static final long DEFAULT_SEED = 0x5EED_D1A5_0000_0001L;

    /** System property: timeout multiplier. */
    public static final String TIMEOUT_SCALE_PROPERTY = "tck.timeoutScale";
    /** System property: event-count multiplier. */
    public static final String SCALE_PROPERTY = "tck.scale";
    /** System property: base seed. */
    public static final String SEED_PROPERTY = "tck.seed";

    private static final Duration PULL_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration QUIET_PERIOD = Duration.ofMillis(250);
    private static final Duration TAIL_LATENCY = Duration.ofSeconds(2);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration THREAD_EXIT_TIMEOUT = Duration.ofSeconds(5);

    private final double timeoutScale;
    private final double scale;
    private final long seed;

    private TckEnvironment(double timeoutScale, double scale, long seed) {
        if (!(timeoutScale > 0) || !(scale > 0)) {
            throw new IllegalArgumentException("tck.timeoutScale and tck.scale must be > 0, got " + timeoutScale
                    + " and " + scale);
        }
        this.timeoutScale = timeoutScale;
        this.scale = scale;
        this.seed = seed;
    }

    /** @return the environment given by the {@code tck.*} system properties, defaults for those not set */
    public static TckEnvironment fromSystemProperties() {
        return new TckEnvironment(doubleProperty(TIMEOUT_SCALE_PROPERTY, 1.0), doubleProperty(SCALE_PROPERTY, 1.0),
                seedProperty());
    }

    /** @return the defaults, ignoring system properties */
    public static TckEnvironment defaults() {
        return new TckEnvironment(1.0, 1.0, DEFAULT_SEED);
    }

    /** @return a copy with this timeout multiplier */
    public TckEnvironment withTimeoutScale(double timeoutScale) {
        return new TckEnvironment(timeoutScale, scale, seed);
    }

    /** @return a copy with this event-count multiplier */
    public TckEnvironment withScale(double scale) {
        return new TckEnvironment(timeoutScale, scale, seed);
    }

    /** @return a copy with this base seed */
    public TckEnvironment withSeed(long seed) {
        return new TckEnvironment(timeoutScale, scale, seed);
    }

    /** @return the timeout multiplier */
    public double timeoutScale() {
        return timeoutScale;
    }

    /** @return the event-count multiplier */
    public double scale() {
        return scale;
    }

    /** @return the base seed of the property-style tests */
    public long seed() {
        return seed;
    }

    /** @return {@code base} multiplied by the timeout scale (at least 1 ms) */
    public Duration timeout(Duration base) {
        long nanos = (long) (base.toNanos() * timeoutScale);
        return Duration.ofNanos(Math.max(nanos, 1_000_000L));
    }

    /** @return how long a test waits for one expected event or future (10 s by default) */
    public Duration pullTimeout() {
        return timeout(PULL_TIMEOUT);
    }

    /**
     * @return how long a test waits to conclude that nothing more arrives (250 ms by default). A driver that
     *     delivers a wrong extra event later than this escapes that particular check; no check fails because of it.
     */
    public Duration quietPeriod() {
        return timeout(QUIET_PERIOD);
    }

    /** @return the longest acceptable delay between a push completing and a waiting pull seeing the event (2 s) */
    public Duration tailLatency() {
        return timeout(TAIL_LATENCY);
    }

    /** @return how long {@code Driver.close()} may take (30 s by default) */
    public Duration closeTimeout() {
        return timeout(CLOSE_TIMEOUT);
    }

    /** @return how long library threads may take to end after {@code Driver.close()} (5 s by default) */
    public Duration threadExitTimeout() {
        return timeout(THREAD_EXIT_TIMEOUT);
    }

    /** @return {@code base} multiplied by the scale, rounded, at least 1 */
    public int events(int base) {
        return (int) Math.max(1, Math.round(base * scale));
    }

    /**
     * The generator of one property-style test.
     *
     * @param testIndex a constant that differs between tests, so that tests do not share a stream
     * @return a generator seeded with {@code seed() + testIndex}
     */
    public SplittableRandom random(long testIndex) {
        return new SplittableRandom(seed + testIndex);
    }

    private static double doubleProperty(String name, double fallback) {
        String v = System.getProperty(name);
        if (v == null || v.isBlank()) {
            return fallback;
        }
        try {
            return Double.parseDouble(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("system property " + name + "=" + v + " is not a number", e);
        }
    }

    private static long seedProperty() {
        String v = System.getProperty(SEED_PROPERTY);
        if (v == null || v.isBlank()) {
            return DEFAULT_SEED;
        }
        String t = v.trim().toLowerCase(Locale.ROOT);
        try {
            return t.startsWith("0x") ? Long.parseUnsignedLong(t.substring(2), 16) : Long.parseLong(t);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("system property " + SEED_PROPERTY + "=" + v
                    + " is not a decimal or 0x-hex long", e);
        }
    }

    @Override
    public String toString() {
        return "TckEnvironment[timeoutScale=" + timeoutScale + ", scale=" + scale + ", seed=0x"
                + Long.toHexString(seed) + "]";
    }
}
