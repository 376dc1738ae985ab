package dev.diaspora.stream.internal.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link LatencyHistogram} against a brute-force model (the sorted samples): a reported percentile is never below the
 * true one and at most 25 % (one sub-bucket) above it. Seeded; a failure names the seed and the case.
 */
class LatencyHistogramTest {
    private static final long SEED = Long.getLong("tck.seed", 0x1A7E_0C1DL);

    @Test
    void bucketsTileTheRangeWithoutGapsOrOverlaps() {
        long expectedLow = 0;
        for (int b = 0; b < LatencyHistogram.BUCKETS - 1; b++) {
            long high = LatencyHistogram.upperEdge(b);
            assertEquals(b, LatencyHistogram.bucket(expectedLow), "lower edge of bucket " + b);
            assertEquals(b, LatencyHistogram.bucket(high), "upper edge of bucket " + b);
            assertEquals(b + 1, LatencyHistogram.bucket(high + 1), "value after bucket " + b);
            expectedLow = high + 1;
        }
        assertEquals(LatencyHistogram.BUCKETS - 1, LatencyHistogram.bucket(Long.MAX_VALUE), "overflow bucket");
        assertEquals(0, LatencyHistogram.bucket(-5), "negative latencies count as 0");
    }

    @Test
    void percentilesBoundTheTrueValueFromAboveWithinOneSubBucket() {
        for (int c = 0; c < 300; c++) {
            long seed = SEED + c;
            SplittableRandom r = new SplittableRandom(seed);
            int n = 1 + r.nextInt(2000);
            long[] samples = new long[n];
            LatencyHistogram h = new LatencyHistogram();
            int magnitude = 1 + r.nextInt(40); // latencies up to 2^magnitude ns
            for (int i = 0; i < n; i++) {
                samples[i] = r.nextLong(1L << magnitude);
                h.record(samples[i]);
            }
            Arrays.sort(samples);
            assertEquals(n, h.count(), "count, seed " + seed);
            for (double q : new double[] {0, 0.5, 0.9, 0.99, 1}) {
                long truth = samples[(int) Math.max(0, Math.ceil(q * n) - 1)];
                long got = h.percentileNanos(q);
                String ctx = "seed " + seed + ", case " + c + ", q " + q + ", n " + n + ": true " + truth + ", got "
                        + got;
                assertTrue(got >= truth, ctx + " (below the true value)");
                assertTrue(got <= Math.max(3, truth + truth / 4 + 1), ctx + " (more than a sub-bucket above)");
            }
        }
    }

    @Test
    void emptyHistogramReportsZeroAndBadQuantilesAreRefused() {
        LatencyHistogram h = new LatencyHistogram();
        assertEquals(0, h.percentileNanos(0.99));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> h.percentileNanos(1.5));
        assertTrue(e.getMessage().contains("[0, 1]"), e.getMessage());
    }
}
