package dev.diaspora.stream.internal.engine;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A per-partition {@code long} that any thread reads and updates atomically, and that grows when partitions are added
 * to the topic. Values live in fixed chunks that never move: growing copies the list of chunks and adds new ones, so an
 * update racing with a growth is never lost (unlike copying an {@link AtomicLongArray}). Not API.
 *
 * <p>Thread safety: thread-safe.
 */
final class PartitionLongs {
    private static final int SHIFT = 5;
    private static final int CHUNK = 1 << SHIFT;
    private static final int MASK = CHUNK - 1;

    private final long initial;
    private volatile AtomicLongArray[] chunks = new AtomicLongArray[0];
    private volatile int length;

    /** Makes {@code length} values, each {@code initial}. */
    PartitionLongs(int length, long initial) {
        this.initial = initial;
        grow(length);
    }

    /** @return the number of partitions covered */
    int length() {
        return length;
    }

    long get(int p) {
        return chunks[p >>> SHIFT].get(p & MASK);
    }

    void set(int p, long value) {
        chunks[p >>> SHIFT].set(p & MASK, value);
    }

    /**
     * As {@link #set}, with release order only (no full fence): for a value its writer also publishes through a lock,
     * stored once per event on the delivery path.
     */
    void setRelease(int p, long value) {
        chunks[p >>> SHIFT].setRelease(p & MASK, value);
    }

    boolean compareAndSet(int p, long expect, long update) {
        return chunks[p >>> SHIFT].compareAndSet(p & MASK, expect, update);
    }

    long incrementAndGet(int p) {
        return chunks[p >>> SHIFT].incrementAndGet(p & MASK);
    }

    /** Covers at least {@code newLength} partitions; new ones start at the initial value. */
    synchronized void grow(int newLength) {
        if (newLength <= length) {
            return;
        }
        AtomicLongArray[] c = chunks;
        int need = (newLength + MASK) >>> SHIFT;
        if (need > c.length) {
            AtomicLongArray[] grown = Arrays.copyOf(c, need);
            for (int i = c.length; i < need; i++) {
                grown[i] = new AtomicLongArray(CHUNK);
                if (initial != 0) {
                    for (int j = 0; j < CHUNK; j++) {
                        grown[i].set(j, initial);
                    }
                }
            }
            chunks = grown;
        }
        length = newLength;
    }
}
