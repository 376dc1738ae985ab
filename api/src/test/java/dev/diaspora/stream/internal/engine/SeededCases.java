package dev.diaspora.stream.internal.engine;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.SplittableRandom;

/**
 * Runs a seeded property test: {@code cases} random cases, each from its own seed derived from the base seed
 * ({@code -Dtck.seed}), printed at the start; a failure names the base seed, the case, its seed and the tail of the
 * steps the case recorded, so that it can be replayed.
 */
final class SeededCases {
    /** One case: draws from {@code rnd}, appends its steps to {@code trace}, throws an AssertionError on failure. */
    interface Case {
        void run(SplittableRandom rnd, StringBuilder trace);
    }

    private SeededCases() {
    }

    /** @return the seed of case {@code i}: a fixed function of the base seed */
    static long caseSeed(long base, int i) {
        return new SplittableRandom(base ^ (0x9E3779B97F4A7C15L * (i + 1))).nextLong();
    }

    static void run(String test, int cases, long defaultSeed, Case body) {
        long base = Long.getLong("tck.seed", defaultSeed);
        int n = Integer.getInteger("tck.cases", cases);
        System.out.println(test + ": tck.seed=" + base + ", " + n + " cases");
        for (int c = 0; c < n; c++) {
            long seed = caseSeed(base, c);
            StringBuilder trace = new StringBuilder();
            try {
                body.run(new SplittableRandom(seed), trace);
            } catch (AssertionError | RuntimeException e) {
                String steps = trace.length() > 3000 ? "..." + trace.substring(trace.length() - 3000) : trace.toString();
                fail("[" + test + " tck.seed=" + base + ", case " + c + ", case seed " + seed + "] " + e + "\nsteps: "
                        + steps, e);
            }
        }
    }
}
