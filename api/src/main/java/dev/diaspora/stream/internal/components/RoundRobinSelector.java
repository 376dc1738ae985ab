package dev.diaspora.stream.internal.components;

import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.PartitionInfo;
import dev.diaspora.stream.PartitionSelector;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The {@code default} partition selector: round robin over the partitions, starting at partition 0. An explicit
 * partition is returned unchanged and does not advance the counter, so for 3 partitions the calls (none, 1, none,
 * none, none) give 0, 1, 1, 2, 0. Configuration {@code {"type":"default"}}.
 *
 * <p>Thread safety: thread-safe and lock-free; concurrent callers each take the next position of one shared counter,
 * so over many calls every partition gets the same share.
 */
final class RoundRobinSelector implements PartitionSelector {
    private static final Metadata CONFIG = Metadata.of("{\"type\":\"default\"}");

    // A 64-bit counter does not wrap in practice (2^63 calls), so the sequence has no jump.
    private final AtomicLong counter = new AtomicLong();

    @Override
    public int select(Metadata metadata, int requested, List<PartitionInfo> partitions) {
        if (requested >= 0) {
            return requested;
        }
        return next(partitions.size());
    }

    /** @return the next round-robin index in [0, n) */
    int next(int n) {
        if (n <= 0) {
            throw new IllegalArgumentException("PartitionSelector has no partition to select from");
        }
        return (int) (counter.getAndIncrement() % n);
    }

    @Override
    public Metadata config() {
        return CONFIG;
    }

    @Override
    public String toString() {
        return "PartitionSelector[default]";
    }
}
