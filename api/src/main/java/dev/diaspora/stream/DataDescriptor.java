package dev.diaspora.stream;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * Where an event's data lives (an opaque, driver-defined location and the stored size) plus a stack of selections
 * that narrow it: sub, strided and unstructured views.
 *
 * <p>A consumer's {@link DataSelector} receives the descriptor of the whole data and returns it (all), {@link #NONE}
 * (nothing), or a view made from it. <b>Views compose:</b> each view's offsets are relative to the view it refines,
 * so {@code d.makeSubView(4, 8).makeSubView(2, 3)} selects base bytes [6, 9). (The C++ implementation intersects the
 * absolute ranges instead; that is a deliberate difference.) {@link #flatten()} turns the stack into the list of
 * (offset, size) ranges of the base data, in order.
 *
 * <p>Thread safety: immutable.
 */
public final class DataDescriptor {
    /** One contiguous range of bytes: {@code [offset, offset + size)}. */
    public record Range(long offset, long size) {
        /** Checks both values are non-negative. */
        public Range {
            if (offset < 0 || size < 0) {
                throw new IllegalArgumentException("invalid range (" + offset + ", " + size + "): offset and size must be >= 0");
            }
        }
    }

    /** Receives flattened ranges one at a time, without allocating a list. */
    @FunctionalInterface
    public interface RangeConsumer {
        /** Called once per range, in order. */
        void accept(long offset, long size);
    }

    private static final byte[] NO_LOCATION = new byte[0];
    private static final long[][] NO_SELECTIONS = new long[0][];

    /** The descriptor of no data: empty location, size 0. A selector returns it to fetch nothing. */
    public static final DataDescriptor NONE = new DataDescriptor(NO_LOCATION, 0L, NO_SELECTIONS, 0L);

    private final byte[] location;
    private final long baseSize;
    // Each selection is a sorted, non-overlapping list of (offset, size) pairs, flattened as {o0, s0, o1, s1, ...}, in
    // the coordinates of the view it refines. Strided views are expanded when applied (see flatten).
    private final long[][] selections;
    private final long size;

    private DataDescriptor(byte[] location, long baseSize, long[][] selections, long size) {
        this.location = location;
        this.baseSize = baseSize;
        this.selections = selections;
        this.size = size;
    }

    /**
     * A descriptor of {@code size} bytes at a driver-defined location.
     *
     * @param location opaque bytes; copied
     * @param size the size of the stored data, &gt;= 0
     */
    public static DataDescriptor of(byte[] location, long size) {
        if (size < 0) {
            throw new IllegalArgumentException("data size must be >= 0, got " + size);
        }
        return new DataDescriptor(location.length == 0 ? NO_LOCATION : location.clone(), size, NO_SELECTIONS, size);
    }

    /** A descriptor whose location is one {@code long} (8 bytes, little-endian), the common case for drivers. */
    public static DataDescriptor of(long location, long size) {
        byte[] b = new byte[Long.BYTES];
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(location);
        return of(b, size);
    }

    /** @return a copy of the opaque location bytes */
    public byte[] location() {
        return location.clone();
    }

    /** @return the location as written by {@link #of(long, long)} */
    public long locationAsLong() {
        if (location.length != Long.BYTES) {
            throw new IllegalStateException("location has " + location.length + " bytes, not 8");
        }
        return ByteBuffer.wrap(location).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    /** @return the size of the whole stored data */
    public long baseSize() {
        return baseSize;
    }

    /** @return the number of bytes this descriptor selects */
    public long size() {
        return size;
    }

    /** @return the number of stacked views */
    public int depth() {
        return selections.length;
    }

    /**
     * A contiguous view of this view. The size is clamped to the end of this view.
     *
     * @throws IllegalArgumentException if {@code offset} is beyond this view's size or a value is negative
     */
    public DataDescriptor makeSubView(long offset, long size) {
        if (offset < 0 || size < 0) {
            throw new IllegalArgumentException("makeSubView(" + offset + ", " + size + "): offset and size must be >= 0");
        }
        if (offset > this.size) {
            throw new IllegalArgumentException("makeSubView(" + offset + ", " + size + "): offset is beyond the view's "
                    + this.size + " bytes");
        }
        long s = Math.min(size, this.size - offset);
        return push(new long[] {offset, s}, s);
    }

    /**
     * {@code numBlocks} blocks of {@code blockSize} bytes, the first at {@code offset}, each followed by
     * {@code gapSize} skipped bytes. The trailing gap may run past the end: the bound is
     * {@code offset + (numBlocks-1)(blockSize+gapSize) + blockSize <= size()}.
     *
     * @throws IllegalArgumentException if a value is negative or the blocks run past the end of this view
     */
    public DataDescriptor makeStridedView(long offset, long numBlocks, long blockSize, long gapSize) {
        if (offset < 0 || numBlocks < 0 || blockSize < 0 || gapSize < 0) {
            throw new IllegalArgumentException("makeStridedView(" + offset + ", " + numBlocks + ", " + blockSize + ", "
                    + gapSize + "): values must be >= 0");
        }
        if (numBlocks == 0 || blockSize == 0) {
            if (offset > this.size) {
                throw new IllegalArgumentException("makeStridedView: offset " + offset + " is beyond the view's "
                        + this.size + " bytes");
            }
            return push(new long[0], 0);
        }
        long end;
        long total;
        try {
            end = Math.addExact(offset,
                    Math.addExact(Math.multiplyExact(numBlocks - 1, Math.addExact(blockSize, gapSize)), blockSize));
            total = Math.multiplyExact(numBlocks, blockSize);
        } catch (ArithmeticException e) {
            end = Long.MAX_VALUE;
            total = Long.MAX_VALUE;
        }
        if (end > this.size) {
            throw new IllegalArgumentException("makeStridedView(" + offset + ", " + numBlocks + ", " + blockSize + ", "
                    + gapSize + ") would go out of bounds: its last block ends at " + end + " but the view has "
                    + this.size + " bytes");
        }
        if (numBlocks > Integer.MAX_VALUE / 2) {
            throw new IllegalArgumentException("makeStridedView: " + numBlocks + " blocks is too many");
        }
        long[] sel = new long[(int) numBlocks * 2];
        long stride = blockSize + gapSize;
        for (int i = 0; i < numBlocks; i++) {
            sel[2 * i] = offset + i * stride;
            sel[2 * i + 1] = blockSize;
        }
        return push(sel, total);
    }

    /**
     * The listed ranges of this view, in order. Adjacent ranges are merged; zero-size ranges select nothing.
     *
     * @throws IllegalArgumentException if ranges overlap, are out of order, or run past the end of this view
     */
    public DataDescriptor makeUnstructuredView(List<Range> ranges) {
        Objects.requireNonNull(ranges, "ranges");
        long[] sel = new long[ranges.size() * 2];
        int n = 0;
        long prevEnd = 0;
        long total = 0;
        for (Range r : ranges) {
            long end = r.offset() + r.size();
            if (r.offset() < prevEnd) {
                throw new IllegalArgumentException("makeUnstructuredView: ranges overlap or are out of order at " + r);
            }
            if (end > this.size || end < 0) {
                throw new IllegalArgumentException("makeUnstructuredView: " + r + " would go out of bounds of the view's "
                        + this.size + " bytes");
            }
            prevEnd = end;
            if (r.size() == 0) {
                continue;
            }
            if (n > 0 && sel[n - 2] + sel[n - 1] == r.offset()) {
                sel[n - 1] += r.size();
            } else {
                sel[n++] = r.offset();
                sel[n++] = r.size();
            }
            total += r.size();
        }
        return push(Arrays.copyOf(sel, n), total);
    }

    /** Same as {@link #makeUnstructuredView(List)}. */
    public DataDescriptor makeUnstructuredView(Range... ranges) {
        return makeUnstructuredView(Arrays.asList(ranges));
    }

    /** @return the selected bytes as ranges of the base data, in order, adjacent ranges merged */
    public List<Range> flatten() {
        List<Range> out = new ArrayList<>();
        flatten((o, s) -> out.add(new Range(o, s)));
        return Collections.unmodifiableList(out);
    }

    /** Streams the selected ranges of the base data, in order, adjacent ranges merged; allocates little. */
    public void flatten(RangeConsumer consumer) {
        if (size == 0) {
            return;
        }
        long[] cur = baseSize == 0 ? new long[0] : new long[] {0, baseSize};
        int curLen = cur.length;
        for (long[] sel : selections) {
            long[] next = new long[Math.max(2, sel.length + curLen)];
            int n = 0;
            // Walk the current ranges with the view-coordinate of each range's start; map each selected (o, s).
            int ci = 0;
            long viewStart = 0;
            for (int k = 0; k < sel.length; k += 2) {
                long o = sel[k];
                long left = sel[k + 1];
                while (left > 0) {
                    while (ci < curLen && viewStart + cur[ci + 1] <= o) {
                        viewStart += cur[ci + 1];
                        ci += 2;
                    }
                    if (ci >= curLen) {
                        throw new IllegalStateException("selection outside its view; descriptor is corrupt");
                    }
                    long in = o - viewStart;
                    long take = Math.min(left, cur[ci + 1] - in);
                    long base = cur[ci] + in;
                    if (n > 0 && next[n - 2] + next[n - 1] == base) {
                        next[n - 1] += take;
                    } else {
                        if (n + 2 > next.length) {
                            next = Arrays.copyOf(next, next.length * 2);
                        }
                        next[n++] = base;
                        next[n++] = take;
                    }
                    o += take;
                    left -= take;
                }
            }
            cur = next;
            curLen = n;
        }
        for (int i = 0; i < curLen; i += 2) {
            consumer.accept(cur[i], cur[i + 1]);
        }
    }

    /**
     * Whether this descriptor was made from {@code origin} by stacking views on it (or is it): same location, same
     * base size, and {@code origin}'s views are a prefix of this one's.
     */
    public boolean isDerivedFrom(DataDescriptor origin) {
        if (this == origin) {
            return true;
        }
        if (baseSize != origin.baseSize || !Arrays.equals(location, origin.location)
                || selections.length < origin.selections.length) {
            return false;
        }
        for (int i = 0; i < origin.selections.length; i++) {
            if (!Arrays.equals(selections[i], origin.selections[i])) {
                return false;
            }
        }
        return true;
    }

    private DataDescriptor push(long[] sel, long newSize) {
        long[][] s = Arrays.copyOf(selections, selections.length + 1);
        s[selections.length] = sel;
        return new DataDescriptor(location, baseSize, s, newSize);
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof DataDescriptor)) {
            return false;
        }
        DataDescriptor d = (DataDescriptor) o;
        return size == d.size && isDerivedFrom(d) && d.selections.length == selections.length;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(location) * 31 + Long.hashCode(baseSize) * 17 + Long.hashCode(size);
    }

    @Override
    public String toString() {
        return "DataDescriptor[size=" + size + ", baseSize=" + baseSize + ", views=" + selections.length + "]";
    }
}
