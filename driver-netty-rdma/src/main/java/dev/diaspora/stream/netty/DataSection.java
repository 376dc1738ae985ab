package dev.diaspora.stream.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The data section of a server reply (READ_INLINE, READ_DATA's copied events), read by the server into direct buffers
 * of at most {@link #PIECE} bytes that Netty's allocator pools, an event never split across two (a larger event gets a
 * buffer of its own). One buffer for the whole section, up to 4 MiB, was above what the allocator pools (1 MiB): it
 * was fresh memory on every request, which the JDK zeroes before the read overwrites it (a tenth of the partition
 * server's worker threads' time when serving 1 KiB events).
 *
 * <p>Bytes are addressed by their offset in the section, which is the sum of the sizes given to {@link #next} before
 * them, in order.
 *
 * <p>Thread safety: confined to one thread at a time. The section owns its buffers until {@link #release()}; the
 * slices it hands out hold their own references.
 */
final class DataSection {
    /** The largest buffer a section allocates for events smaller than it. */
    static final int PIECE = 256 << 10;

    private final ByteBufAllocator alloc;
    private final List<ByteBuf> pieces = new ArrayList<>();
    private long[] starts = new long[4]; // section offset of each piece's first byte
    private long left; // bytes announced and not yet handed out by next
    private long size; // bytes handed out by next

    /** @param total the bytes that {@link #next} will hand out, to size the last buffer */
    DataSection(ByteBufAllocator alloc, long total) {
        this.alloc = alloc;
        this.left = total;
    }

    /** @return the target for the next {@code n} bytes of the section ({@code n} &gt; 0) */
    ByteBuffer next(int n) {
        ByteBuf last = pieces.isEmpty() ? null : pieces.get(pieces.size() - 1);
        if (last == null || last.writableBytes() < n) {
            int capacity = (int) Math.max(n, Math.min(PIECE, left));
            last = alloc.directBuffer(capacity, capacity);
            if (pieces.size() == starts.length) {
                starts = java.util.Arrays.copyOf(starts, 2 * starts.length);
            }
            starts[pieces.size()] = size;
            pieces.add(last);
        }
        int at = last.writerIndex();
        last.writerIndex(at + n);
        size += n;
        left -= n;
        return last.nioBuffer(at, n);
    }

    /** @return a retained slice of the {@code n} bytes at section offset {@code at}, all handed out by one next */
    ByteBuf slice(long at, int n) {
        int p = pieces.size() - 1;
        while (starts[p] > at) {
            p--;
        }
        return pieces.get(p).retainedSlice((int) (at - starts[p]), n);
    }

    /** Adds retained slices of the section's first {@code bytes} bytes to {@code out}, in order. */
    void addPrefix(List<Object> out, long bytes) {
        for (int p = 0; p < pieces.size() && bytes > 0; p++) {
            ByteBuf piece = pieces.get(p);
            int n = (int) Math.min(bytes, piece.writerIndex());
            out.add(piece.retainedSlice(0, n));
            bytes -= n;
        }
    }

    /** Releases the section's own references to its buffers. */
    void release() {
        for (ByteBuf piece : pieces) {
            piece.release();
        }
        pieces.clear();
    }
}
