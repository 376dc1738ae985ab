package dev.diaspora.stream.netty;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * One {@code long} per partition of a topic that grows ({@code Driver.addPartitions}): chunks of atomic longs that
 * never move when more partitions arrive, so an update racing with the growth is never lost (a copied array would
 * lose it).
 *
 * <p>Thread safety: thread-safe; {@link #ensure} is serialized, reads and updates are lock-free.
 */
final class LongChunks {
    private static final int CHUNK = 64;
    private volatile AtomicLongArray[] chunks = new AtomicLongArray[0];

    LongChunks(int n) {
        ensure(n);
    }

    /** Makes indexes {@code 0..n-1} usable; new ones start at 0. */
    synchronized void ensure(int n) {
        AtomicLongArray[] have = chunks;
        int need = (n + CHUNK - 1) / CHUNK;
        if (need > have.length) {
            AtomicLongArray[] more = Arrays.copyOf(have, need);
            for (int i = have.length; i < need; i++) {
                more[i] = new AtomicLongArray(CHUNK);
            }
            chunks = more;
        }
    }

    long get(int i) {
        return chunks[i / CHUNK].get(i % CHUNK);
    }

    void set(int i, long v) {
        chunks[i / CHUNK].set(i % CHUNK, v);
    }

    boolean compareAndSet(int i, long expect, long update) {
        return chunks[i / CHUNK].compareAndSet(i % CHUNK, expect, update);
    }
}
