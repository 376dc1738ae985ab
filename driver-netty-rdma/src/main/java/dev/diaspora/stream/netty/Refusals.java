package dev.diaspora.stream.netty;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The WARN log of a partition server's refusals (wrong token, too many connections, no handshake in time, ...),
 * rate-limited so that a flood of hostile connections cannot flood the log: per kind of refusal, a burst of
 * {@value #BURST} lines, then one line per second; the refusals left out meanwhile are counted in the next line of
 * that kind.
 *
 * <p>Thread safety: thread-safe.
 */
final class Refusals {
    private static final Logger LOG = LoggerFactory.getLogger(PartitionServer.class);
    /** Lines of one kind logged at once before the rate limit applies. */
    static final int BURST = 10;
    private static final long INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final Map<String, Window> windows = new ConcurrentHashMap<>();

    /**
     * Logs {@code refused <who>: <why>} at WARN, unless the refusals of the same {@code kind} used up their burst
     * and no second has passed since the last line (then it is only counted).
     *
     * @param kind the kind of refusal, which the rate limit is per
     */
    void warn(String kind, Object who, String why) {
        Window w = windows.computeIfAbsent(kind, k -> new Window());
        long now = System.nanoTime();
        long skipped;
        synchronized (w) {
            if (w.refilledNanos == 0) {
                w.refilledNanos = now;
            }
            long earned = (now - w.refilledNanos) / INTERVAL_NANOS;
            if (earned > 0) {
                w.tokens = (int) Math.min(BURST, w.tokens + earned);
                w.refilledNanos += earned * INTERVAL_NANOS;
            }
            if (w.tokens == 0) {
                w.skipped++;
                return;
            }
            w.tokens--;
            skipped = w.skipped;
            w.skipped = 0;
        }
        if (skipped > 0) {
            LOG.warn("refused {}: {} (and {} more refusals of this kind, not logged)", who, why, skipped);
        } else {
            LOG.warn("refused {}: {}", who, why);
        }
    }

    /** The rate-limit state of one kind of refusal. */
    private static final class Window {
        int tokens = BURST; // guarded by this
        long refilledNanos; // guarded by this
        long skipped; // guarded by this
    }
}
