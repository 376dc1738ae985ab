package dev.diaspora.stream.netty;

import java.util.Random;

/**
 * Seeded property cases on plain JUnit: each case gets its own seed drawn from a base seed and the property's name,
 * and a failure names both seeds so that it can be replayed ({@code -Dtck.seed=<base seed>}).
 *
 * <p>Thread safety: stateless.
 */
final class SeededCases {
    private SeededCases() {
    }

    /** One case of a seeded property. */
    interface CaseBody {
        void run(Random random);
    }

    /** Runs {@code cases} cases of {@code property}, each with its own seed; failures name both seeds. */
    static void forEachCase(long baseSeed, String property, int cases, CaseBody body) {
        Random seeds = new Random(baseSeed ^ property.hashCode());
        for (int i = 0; i < cases; i++) {
            long caseSeed = seeds.nextLong();
            try {
                body.run(new Random(caseSeed));
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError(property + " failed at case " + i + " (base seed " + baseSeed
                        + ", case seed " + caseSeed + "; replay with -Dtck.seed=" + baseSeed + "): " + e, e);
            }
        }
    }
}
