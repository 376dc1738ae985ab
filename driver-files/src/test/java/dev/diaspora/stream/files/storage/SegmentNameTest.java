package dev.diaspora.stream.files.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Segment file names: the base on 20 decimal digits, as {@code String.format("%020d")} writes it. */
class SegmentNameTest {
    @Test
    void namesShouldBeTheBaseOnTwentyDigits() {
        long seed = Long.getLong("files.seed", System.nanoTime());
        SplittableRandom r = new SplittableRandom(seed);
        long[] fixed = {0, 1, 9, 10, 99, 1834, 1L << 32, 999_999_999_999_999_999L, 1_000_000_000_000_000_000L,
            Long.MAX_VALUE};
        for (long base : fixed) {
            assertEquals(String.format("%020d", base) + ".index", Segment.fileName(base, ".index"), "base " + base);
        }
        for (int i = 0; i < 10_000; i++) {
            long base = r.nextLong(Long.MAX_VALUE) >>> r.nextInt(63);
            assertEquals(String.format("%020d", base) + ".gap", Segment.fileName(base, ".gap"),
                    "base " + base + " (seed " + seed + ", replay with -Dfiles.seed=" + seed + ")");
        }
    }
}
