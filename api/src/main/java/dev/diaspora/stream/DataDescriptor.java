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
 * <p>Thread safety: immutable. One exception: the descriptor a consumer opened with
 * {@link ConsumerOptions#recycleEvents(boolean)} gives its {@link DataSelector} is valid until that event's data has
 * been read; the consumer then shows a later event's data through the same object. Views made from it
 * ({@code makeSubView}, ...) are independent of it.
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

    /** One stacked view: maps a range of its own coordinates to ranges of the view it refines, in order. */
    private interface Selection {
        void map(long off, long len, RangeConsumer parent);
    }

    /** Sorted, non-overlapping (offset, size) pairs, with prefix sums for lookup. */
    private static final class Pairs implements Selection {
        final long[] pairs; // {o0, s0, o1, s1, ...}
        final long[] starts; // view coordinate where each pair starts, plus the total at the end

        Pairs(long[] pairs) {
            this.pairs = pairs;
            this.starts = new long[pairs.length / 2 + 1];
            for (int i = 0; i < pairs.length / 2; i++) {
                starts[i + 1] = starts[i] + pairs[2 * i + 1];
            }
        }

        @Override
        public void map(long off, long len, RangeConsumer parent) {
            int i = java.util.Arrays.binarySearch(starts, off);
            i = i >= 0 ? i : -i - 2;
            while (len > 0 && i < pairs.length / 2) {
                long in = off - starts[i];
                long take = Math.min(len, pairs[2 * i + 1] - in);
                if (take > 0) {
                    parent.accept(pairs[2 * i] + in, take);
                    off += take;
                    len -= take;
                }
                i++;
            }
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Pairs && Arrays.equals(pairs, ((Pairs) o).pairs);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(pairs);
        }
    }

    /** Strided blocks, computed arithmetically: O(1) memory whatever the block count. */
    private record Strided(long offset, long blocks, long blockSize, long gapSize) implements Selection {
        @Override
        public void map(long off, long len, RangeConsumer parent) {
            while (len > 0) {
                long b = off / blockSize;
                long in = off % blockSize;
                long take = Math.min(len, blockSize - in);
                parent.accept(offset + b * (blockSize + gapSize) + in, take);
                off += take;
                len -= take;
            }
        }
    }

    private static final byte[] NO_LOCATION = new byte[0];
    private static final Selection[] NO_SELECTIONS = new Selection[0];

    /** The descriptor of no data: empty location, size 0. A selector returns it to fetch nothing. */
    public static final DataDescriptor NONE = new DataDescriptor(NO_LOCATION, 0L, 0L, NO_SELECTIONS, 0L);

    static {
        dev.diaspora.stream.internal.engine.Flyweights.register(new FlyweightAccess());
    }

    private final byte[] location; // null when the location is one long (of(long, long)): no array per event
    // not final only for the engine's recycled descriptors (see Flyweights): every other descriptor never changes
    private long longLocation; // the location when location is null
    private long baseSize;
    // selections[i] maps the coordinates of view i+1 to those of view i; view 0 is the base data.
    private final Selection[] selections;
    private long size; // not final: as longLocation

    /** The engine's access to the flyweight descriptors of a consumer opened with {@code recycleEvents(true)}. */
    private static final class FlyweightAccess implements dev.diaspora.stream.internal.engine.Flyweights.DescriptorAccess {
        @Override
        public DataDescriptor create() {
            return new DataDescriptor(null, 0L, 0L, NO_SELECTIONS, 0L);
        }

        @Override
        public DataDescriptor aim(DataDescriptor d, long location, long size) {
            if (size < 0) {
                throw new IllegalArgumentException("data size must be >= 0, got " + size);
            }
            d.longLocation = location;
            d.baseSize = size;
            d.size = size;
            return d;
        }
    }

    private DataDescriptor(byte[] location, long longLocation, long baseSize, Selection[] selections, long size) {
        this.location = location;
        this.longLocation = longLocation;
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
        return new DataDescriptor(location.length == 0 ? NO_LOCATION : location.clone(), 0L, size, NO_SELECTIONS,
                size);
    }

    /** A descriptor whose location is one {@code long} (8 bytes, little-endian), the common case for drivers. */
    public static DataDescriptor of(long location, long size) {
        if (size < 0) {
            throw new IllegalArgumentException("data size must be >= 0, got " + size);
        }
        // drivers call this once per event read: the long is kept as it is, its bytes made only when asked for
        return new DataDescriptor(null, location, size, NO_SELECTIONS, size);
    }

    /** @return the location's bytes: this descriptor's own array (not to be changed), or those of its long */
    private byte[] locationBytes() {
        if (location != null) {
            return location;
        }
        byte[] b = new byte[Long.BYTES];
        for (int i = 0; i < Long.BYTES; i++) {
            b[i] = (byte) (longLocation >>> (8 * i)); // little-endian, as locationAsLong reads it
        }
        return b;
    }

    /** @return a copy of the opaque location bytes */
    public byte[] location() {
        return location != null ? location.clone() : locationBytes();
    }

    /** @return the location as written by {@link #of(long, long)} */
    public long locationAsLong() {
        if (location == null) {
            return longLocation;
        }
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
     * A contiguous view of this view: bytes {@code [offset, offset + size)}, <b>clamped to the end of this view</b>
     * (like {@link #makeStridedView}): a size that runs past the end selects up to the end, and an offset at or beyond
     * the end selects nothing (a view of size 0). So {@code d.makeSubView(0, 4096)} is "the first 4 KiB, or all of
     * it if the data is smaller", and a selector never fails because one event is shorter than the others.
     *
     * @throws IllegalArgumentException if a value is negative (a bug of the caller, not a property of the data)
     */
    public DataDescriptor makeSubView(long offset, long size) {
        if (offset < 0 || size < 0) {
            throw new IllegalArgumentException("makeSubView(" + offset + ", " + size + "): offset and size must be >= 0");
        }
        if (offset >= this.size) {
            return push(new Pairs(new long[0]), 0);
        }
        long s = Math.min(size, this.size - offset);
        return push(new Pairs(new long[] {offset, s}), s);
    }

    /**
     * {@code numBlocks} blocks of {@code blockSize} bytes, the first at {@code offset}, each followed by
     * {@code gapSize} skipped bytes, <b>clamped to the end of this view</b> (like {@link #makeSubView}): blocks that
     * start at or beyond the end are dropped and a block that crosses the end is cut at it, so the selection is the
     * part of the pattern that lies inside the view (nothing if {@code offset} is at or beyond the end). When the
     * pattern fits ({@code offset + (numBlocks-1)(blockSize+gapSize) + blockSize <= size()}; the trailing gap may run
     * past the end) the view has {@code numBlocks * blockSize} bytes.
     *
     * @throws IllegalArgumentException if a value is negative (a bug of the caller, not a property of the data)
     */
    public DataDescriptor makeStridedView(long offset, long numBlocks, long blockSize, long gapSize) {
        if (offset < 0 || numBlocks < 0 || blockSize < 0 || gapSize < 0) {
            throw new IllegalArgumentException("makeStridedView(" + offset + ", " + numBlocks + ", " + blockSize + ", "
                    + gapSize + "): values must be >= 0");
        }
        if (numBlocks == 0 || blockSize == 0 || offset >= this.size) {
            return push(new Pairs(new long[0]), 0);
        }
        long available = this.size - offset;
        long stride = blockSize + gapSize < 0 ? Long.MAX_VALUE : blockSize + gapSize;
        // blocks that start inside the view: ceil(available / stride), at most numBlocks
        long starting = available / stride + (available % stride == 0 ? 0 : 1);
        long blocks = Math.min(numBlocks, starting);
        long lastStart = (blocks - 1) * stride; // < available, so no overflow
        long total = (blocks - 1) * blockSize + Math.min(blockSize, available - lastStart);
        return push(new Strided(offset, blocks, blockSize, gapSize), total);
    }

    /**
     * The listed ranges of this view, in order. Adjacent ranges are merged; zero-size ranges select nothing. Unlike
     * {@link #makeSubView} and {@link #makeStridedView}, it does not clamp: the ranges are explicit, so one that runs
     * past the end is a mistake it reports (clamp them with {@code Math.min(end, size())} if that is what you mean).
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
        return push(new Pairs(Arrays.copyOf(sel, n)), total);
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

    /** Streams the selected ranges of the base data, in order, adjacent ranges merged; memory does not grow with them. */
    public void flatten(RangeConsumer consumer) {
        if (size == 0) {
            return;
        }
        long[] run = {-1, 0}; // the range being merged: offset, size
        RangeConsumer chain = (off, len) -> {
            if (run[1] > 0 && run[0] + run[1] == off) {
                run[1] += len;
            } else {
                if (run[1] > 0) {
                    consumer.accept(run[0], run[1]);
                }
                run[0] = off;
                run[1] = len;
            }
        };
        for (Selection sel : selections) {
            RangeConsumer parent = chain;
            chain = (off, len) -> sel.map(off, len, parent);
        }
        chain.accept(0, size);
        if (run[1] > 0) {
            consumer.accept(run[0], run[1]);
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
        if (baseSize != origin.baseSize || !sameLocation(origin)
                || selections.length < origin.selections.length) {
            return false;
        }
        for (int i = 0; i < origin.selections.length; i++) {
            if (!selections[i].equals(origin.selections[i])) {
                return false;
            }
        }
        return true;
    }

    private boolean sameLocation(DataDescriptor o) {
        if (location == null && o.location == null) {
            return longLocation == o.longLocation;
        }
        return Arrays.equals(locationBytes(), o.locationBytes()); // of(long) equals of(its 8 bytes)
    }

    private DataDescriptor push(Selection sel, long newSize) {
        Selection[] s = Arrays.copyOf(selections, selections.length + 1);
        s[selections.length] = sel;
        return new DataDescriptor(location, longLocation, baseSize, s, newSize);
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
        return Arrays.hashCode(locationBytes()) * 31 + Long.hashCode(baseSize) * 17 + Long.hashCode(size);
    }

    @Override
    public String toString() {
        return "DataDescriptor[size=" + size + ", baseSize=" + baseSize + ", views=" + selections.length + "]";
    }
}
