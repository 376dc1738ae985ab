package dev.diaspora.stream;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A non-owning view of an event's data: one or more {@link ByteBuffer} segments, heap or direct, read as one logical
 * byte sequence of {@link #size()} bytes.
 *
 * <p>Ownership: {@link #of(ByteBuffer...)} captures each buffer's [position, limit) at call time as a slice; it does
 * not copy, and never changes the caller's buffers' position or limit. The library reads and writes segments only with
 * absolute operations. A producer does <em>not</em> copy the data: the caller keeps the buffers unchanged until the
 * push future (or a flush covering it) completes. {@link #of(Runnable, ByteBuffer...)} attaches a release hook that
 * the library calls once when it no longer needs the buffers (the C++ {@code free_cb}).
 *
 * <p>For large data prefer direct buffers ({@link DataAllocator#direct()}): the JDK copies heap buffers through a
 * temporary direct buffer for every file or socket operation.
 *
 * <p>Thread safety: immutable (the bytes themselves are the caller's).
 */
public final class DataView {
    /** The view of no data. */
    public static final DataView EMPTY = new DataView(new ByteBuffer[0], 0L, null);

    private final ByteBuffer[] segments;
    private final long size;
    private final Runnable onRelease;
    private final AtomicBoolean released;

    private DataView(ByteBuffer[] segments, long size, Runnable onRelease) {
        this(segments, size, onRelease, onRelease == null ? null : new AtomicBoolean());
    }

    private DataView(ByteBuffer[] segments, long size, Runnable onRelease, AtomicBoolean released) {
        this.segments = segments;
        this.size = size;
        this.onRelease = onRelease;
        this.released = released; // shared with trimmed views of the same buffers: the hook runs once
    }

    /** Wraps a byte array; does not copy. */
    public static DataView of(byte[] bytes) {
        Objects.requireNonNull(bytes, "bytes");
        return bytes.length == 0 ? EMPTY : new DataView(new ByteBuffer[] {ByteBuffer.wrap(bytes)}, bytes.length, null);
    }

    /** Wraps each buffer's [position, limit) as a segment; does not copy. Zero-length segments are kept. */
    public static DataView of(ByteBuffer... buffers) {
        return of(null, buffers);
    }

    /** Wraps each buffer's [position, limit) as a segment; does not copy. */
    public static DataView of(List<ByteBuffer> buffers) {
        return of(null, buffers.toArray(new ByteBuffer[0]));
    }

    /**
     * Wraps the buffers and attaches a hook that {@link #release()} runs once: producers release a view when its push
     * completes, consumers when they drop a prefetched event. Does not copy.
     *
     * @param onRelease run at most once, on the thread that releases; may be null
     */
    public static DataView of(Runnable onRelease, ByteBuffer... buffers) {
        Objects.requireNonNull(buffers, "buffers");
        ByteBuffer[] segs = new ByteBuffer[buffers.length];
        long total = 0;
        for (int i = 0; i < buffers.length; i++) {
            ByteBuffer b = Objects.requireNonNull(buffers[i], "buffer " + i);
            segs[i] = b.slice();
            total += segs[i].remaining();
        }
        if (segs.length == 0 && onRelease == null) {
            return EMPTY;
        }
        return new DataView(segs, total, onRelease);
    }

    /**
     * Wraps a buffer the caller has just made and hands over: its [position, limit) is the view, without the slice
     * {@link #of(ByteBuffer...)} takes to keep the caller's buffer apart (the allocators' per-event path).
     */
    static DataView ofOwned(ByteBuffer fresh) {
        return new DataView(new ByteBuffer[] {fresh}, fresh.remaining(), null);
    }

    /** @return the number of bytes in the view */
    public long size() {
        return size;
    }

    /** @return true when the view holds no bytes */
    public boolean isEmpty() {
        return size == 0;
    }

    /**
     * The segments, each with [position, limit) covering its bytes. Do not change their position or limit (use
     * {@code duplicate()} or absolute operations); the list is unmodifiable.
     */
    public List<ByteBuffer> segments() {
        return Collections.unmodifiableList(Arrays.asList(segments));
    }

    /** @return the number of segments */
    public int segmentCount() {
        return segments.length;
    }

    /** @return segment {@code i}, shared: do not change its position or limit */
    public ByteBuffer segment(int i) {
        return segments[i];
    }

    /**
     * Copies {@code length} bytes starting at logical {@code offset} of this view into {@code dst[dstOffset..]},
     * across segment boundaries.
     *
     * @return the number of bytes copied (less than {@code length} only at the end of the view)
     */
    public int read(long offset, byte[] dst, int dstOffset, int length) {
        checkOffset(offset);
        Objects.checkFromIndexSize(dstOffset, length, dst.length);
        int copied = 0;
        long segStart = 0;
        for (ByteBuffer s : segments) {
            int n = s.remaining();
            long segEnd = segStart + n;
            if (copied < length && offset + copied < segEnd) {
                int in = (int) (offset + copied - segStart);
                int k = Math.min(n - in, length - copied);
                s.get(s.position() + in, dst, dstOffset + copied, k);
                copied += k;
            }
            segStart = segEnd;
            if (copied == length) {
                break;
            }
        }
        return copied;
    }

    /**
     * Copies {@code src}'s remaining bytes into this view at logical {@code offset}, across segment boundaries. Does
     * not change {@code src}'s position.
     *
     * @return the number of bytes copied (less than {@code src.remaining()} only at the end of the view)
     */
    public int write(long offset, ByteBuffer src) {
        checkOffset(offset);
        int length = src.remaining();
        int copied = 0;
        long segStart = 0;
        for (ByteBuffer s : segments) {
            int n = s.remaining();
            long segEnd = segStart + n;
            if (copied < length && offset + copied < segEnd) {
                int in = (int) (offset + copied - segStart);
                int k = Math.min(n - in, length - copied);
                s.put(s.position() + in, src, src.position() + copied, k);
                copied += k;
            }
            segStart = segEnd;
            if (copied == length) {
                break;
            }
        }
        return copied;
    }

    /** Copies {@code src[srcOffset..srcOffset+length)} into this view at logical {@code offset}. */
    public int write(long offset, byte[] src, int srcOffset, int length) {
        return write(offset, ByteBuffer.wrap(src, srcOffset, length));
    }

    /** @return a copy of all bytes; for tests and small data (fails above 2 GiB) */
    public byte[] toByteArray() {
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("DataView of " + size + " bytes does not fit in a byte array");
        }
        byte[] out = new byte[(int) size];
        read(0, out, 0, out.length);
        return out;
    }

    /**
     * A view of the first {@code newSize} bytes; does not copy. Segments past the cut are dropped, the last one is
     * trimmed. Keeps the release hook.
     */
    public DataView trim(long newSize) {
        if (newSize < 0 || newSize > size) {
            throw new IllegalArgumentException("cannot trim a DataView of " + size + " bytes to " + newSize);
        }
        if (newSize == size) {
            return this;
        }
        List<ByteBuffer> out = new ArrayList<>();
        long left = newSize;
        for (ByteBuffer s : segments) {
            if (left == 0) {
                break;
            }
            int k = (int) Math.min(s.remaining(), left);
            out.add(s.slice(s.position(), k));
            left -= k;
        }
        return new DataView(out.toArray(new ByteBuffer[0]), newSize, onRelease, released);
    }

    /** @return true if every segment is a direct buffer */
    public boolean isDirect() {
        for (ByteBuffer s : segments) {
            if (!s.isDirect()) {
                return false;
            }
        }
        return true;
    }

    /** Runs the release hook, once; later calls do nothing. Views without a hook ignore it. */
    public void release() {
        if (onRelease != null && released.compareAndSet(false, true)) {
            onRelease.run();
        }
    }

    private void checkOffset(long offset) {
        if (offset < 0 || offset > size) {
            throw new IndexOutOfBoundsException("offset " + offset + " outside a DataView of " + size + " bytes");
        }
    }

    @Override
    public String toString() {
        return "DataView[" + size + " bytes in " + segments.length + " segments]";
    }
}
