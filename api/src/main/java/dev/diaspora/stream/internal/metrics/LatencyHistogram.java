package dev.diaspora.stream.internal.metrics;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Latencies in fixed log-linear buckets: four buckets per power of two of nanoseconds (so a reported percentile is
 * at most about 25 % above the true value), from 1 ns to about 73 minutes (2^42 ns); longer ones fall in the last bucket.
 * Recording is one atomic increment: no allocation, no lock. Percentiles are over everything recorded since the
 * histogram was made, and report the upper edge of the bucket they fall in. Not API.
 *
 * <p>Thread safety: thread-safe; a percentile read while others record sees some of the concurrent records.
 */
public final class LatencyHistogram {
    private static final int SUB_BITS = 2;
    private static final int SUBS = 1 << SUB_BITS;
    /** Buckets 0..3 hold 0..3 ns exactly; then 4 per power of two up to 2^42 ns. */
    static final int BUCKETS = SUBS * 41; // exponents 2..41, after the four exact ones

    private final AtomicLongArray counts = new AtomicLongArray(BUCKETS);

    /** Records one latency; a negative value counts as 0. */
    public void record(long nanos) {
        counts.incrementAndGet(bucket(nanos));
    }

    /** Records {@code times} latencies of {@code nanos} at once (one atomic update); a negative value counts as 0. */
    public void record(long nanos, long times) {
        if (times > 0) {
            counts.addAndGet(bucket(nanos), times);
        }
    }

    /** @return how many latencies were recorded */
    public long count() {
        long n = 0;
        for (int i = 0; i < BUCKETS; i++) {
            n += counts.get(i);
        }
        return n;
    }

    /**
     * @param quantile in [0, 1], e.g. 0.99
     * @return the upper edge in nanoseconds of the bucket holding that quantile, 0 if nothing was recorded
     */
    public long percentileNanos(double quantile) {
        if (!(quantile >= 0 && quantile <= 1)) {
            throw new IllegalArgumentException("quantile must be in [0, 1], got " + quantile);
        }
        long[] snapshot = new long[BUCKETS];
        long total = 0;
        for (int i = 0; i < BUCKETS; i++) {
            snapshot[i] = counts.get(i);
            total += snapshot[i];
        }
        if (total == 0) {
            return 0;
        }
        long rank = Math.max(1, (long) Math.ceil(quantile * total));
        long seen = 0;
        for (int i = 0; i < BUCKETS; i++) {
            seen += snapshot[i];
            if (seen >= rank) {
                return upperEdge(i);
            }
        }
        return upperEdge(BUCKETS - 1);
    }

    static int bucket(long nanos) {
        if (nanos < SUBS) {
            return (int) Math.max(0, nanos);
        }
        int exp = 63 - Long.numberOfLeadingZeros(nanos);
        int sub = (int) ((nanos >>> (exp - SUB_BITS)) & (SUBS - 1));
        return Math.min((exp - SUB_BITS + 1) * SUBS + sub, BUCKETS - 1);
    }

    /** @return the largest value that falls in bucket {@code b} */
    static long upperEdge(int b) {
        if (b < SUBS) {
            return b;
        }
        int exp = b / SUBS + SUB_BITS - 1;
        int sub = b % SUBS;
        return ((long) (SUBS + sub + 1) << (exp - SUB_BITS)) - 1;
    }
}
