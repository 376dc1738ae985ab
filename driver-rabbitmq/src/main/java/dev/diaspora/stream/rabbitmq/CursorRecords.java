package dev.diaspora.stream.rabbitmq;

/**
 * Delivered messages of a {@link Cursor} as parallel arrays, one slot per record, no object per message: a chunk's
 * staging area and the cursor's ring are both made of it. Slot {@code i} holds the record's offset, its chunk's time
 * (ms), the array the client read its body into (null: no data section) and where the body starts in it, where the
 * record's metadata starts in its chunk's metadata array and its length (-1: not an event of the layout), and its data
 * size; the ring also keeps each record's chunk and that chunk's metadata array.
 *
 * <p>Thread safety: none; guarded by its owner (the chunk's dispatch thread, or the cursor's lock for the ring).
 */
final class CursorRecords {
    long[] offsets;
    long[] times;
    byte[][] bodies;
    int[] starts;
    int[] mdStarts;
    int[] mdLengths;
    int[] dataSizes;
    /** The ring's chunk of each record and its metadata array; null in a staging area (one chunk, one array). */
    Object[] chunks;
    byte[][] mdArrays;

    /**
     * @param capacity slots
     * @param ring whether the records come from several chunks (the ring), so each keeps its chunk and metadata array
     */
    CursorRecords(int capacity, boolean ring) {
        offsets = new long[capacity];
        times = new long[capacity];
        bodies = new byte[capacity][];
        starts = new int[capacity];
        mdStarts = new int[capacity];
        mdLengths = new int[capacity];
        dataSizes = new int[capacity];
        if (ring) {
            chunks = new Object[capacity];
            mdArrays = new byte[capacity][];
        }
    }

    int capacity() {
        return offsets.length;
    }

    /** Copies slot {@code k} of {@code from} into slot {@code i}, with its chunk and metadata array if both keep them. */
    void copy(int i, CursorRecords from, int k) {
        offsets[i] = from.offsets[k];
        times[i] = from.times[k];
        bodies[i] = from.bodies[k];
        starts[i] = from.starts[k];
        mdStarts[i] = from.mdStarts[k];
        mdLengths[i] = from.mdLengths[k];
        dataSizes[i] = from.dataSizes[k];
        if (chunks != null && from.chunks != null) {
            chunks[i] = from.chunks[k];
            mdArrays[i] = from.mdArrays[k];
        }
    }

    /** @return a copy with {@code capacity} slots holding the {@code count} records from slot 0 on */
    CursorRecords grown(int capacity, int count) {
        CursorRecords r = new CursorRecords(capacity, chunks != null);
        for (int k = 0; k < count; k++) {
            r.copy(k, this, k);
        }
        return r;
    }

    /**
     * @return a copy with {@code capacity} slots holding the {@code count} records of this ring (its capacity a power
     *     of two) from slot {@code head} on, wrapping around, in slots 0 to {@code count - 1}
     */
    CursorRecords grownRing(int capacity, int head, int count) {
        CursorRecords r = new CursorRecords(capacity, chunks != null);
        int mask = offsets.length - 1;
        for (int k = 0; k < count; k++) {
            r.copy(k, this, (head + k) & mask);
        }
        return r;
    }

    /** Forgets what slot {@code i} references (bodies, chunk, metadata), so that a drained record pins nothing. */
    void clear(int i) {
        bodies[i] = null;
        if (chunks != null) {
            chunks[i] = null;
            mdArrays[i] = null;
        }
    }
}
