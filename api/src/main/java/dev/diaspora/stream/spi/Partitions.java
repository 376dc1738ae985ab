package dev.diaspora.stream.spi;

import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.PartitionInfo;
import java.util.ArrayList;
import java.util.List;

/**
 * Helpers for drivers whose topics grow ({@link Backend#addPartitions}): the plain partition list and the check that a
 * new count is larger.
 *
 * <p>Thread safety: stateless.
 */
public final class Partitions {
    private Partitions() {
    }

    /** @return partitions {@code 0..n-1} without driver metadata, as an immutable list */
    public static List<PartitionInfo> plain(int n) {
        List<PartitionInfo> ps = new ArrayList<>(n);
        for (int p = 0; p < n; p++) {
            ps.add(new PartitionInfo(p, Metadata.EMPTY));
        }
        return List.copyOf(ps);
    }

    /**
     * @throws IllegalArgumentException unless {@code newCount} is larger than {@code current}, saying that partitions
     *     are never removed
     */
    public static void checkGrowth(String topic, int current, int newCount) {
        if (newCount <= current) {
            throw new IllegalArgumentException("Topic '" + topic + "' has " + current + " partition"
                    + (current == 1 ? "" : "s") + "; addPartitions needs a larger count, got " + newCount
                    + (newCount == current ? " (already the count)" : " (partitions are never removed)"));
        }
    }
}
