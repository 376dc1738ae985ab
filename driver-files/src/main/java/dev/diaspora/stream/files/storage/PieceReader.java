package dev.diaspora.stream.files.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.List;

/**
 * Reads pieces of one file with as few system calls as their layout allows: a piece of at least
 * {@value #DIRECT_READ_MIN} bytes with a target is read straight into it (no copy in the JVM for a direct target);
 * smaller pieces that follow each other in the file are coalesced into one positional read into a pooled direct
 * staging buffer and copied out. One system call for many small events beats one per event, and the JDK would copy a
 * heap target through a temporary direct buffer anyway.
 *
 * <p>Used by both layouts of the driver: the checksummed layout (whose pieces include unselected bytes of a checksum
 * block, read without a target) and the C++ v0 layout (only selected bytes).
 *
 * <p>Thread safety: stateless; staging buffers come from a pool. Not API: public only for the driver's other package.
 */
public final class PieceReader {
    /** Pieces with a target at least this large are read directly into it. */
    public static final int DIRECT_READ_MIN = 64 * 1024;

    private PieceReader() {
    }

    /** One contiguous range of the file. */
    public interface Piece {
        /** @return where the range starts in the file */
        long filePosition();

        /** @return its length in bytes (at most {@link Integer#MAX_VALUE} - 8) */
        int length();

        /**
         * @return where its bytes go, written from index {@link #targetOffset()} on, {@link #length()} bytes (its
         *     position and limit are ignored), or null for bytes read only to be seen by {@link Sink#landed}
         */
        ByteBuffer target();

        /**
         * @return the index of {@link #target()} where the piece's bytes start: a piece aimed into a shared buffer
         *     needs no slice of its own
         */
        default int targetOffset() {
            return 0;
        }
    }

    /** What the caller does with each piece. */
    public interface Sink<P extends Piece> {
        /** @return true to leave the piece unread (its request already failed) */
        boolean skipped(P piece);

        /**
         * The piece's bytes have been read (and copied into its target, if any): {@code bytes}' [position, limit).
         * {@code bytes} is valid only during the call and must not be kept (the reader reuses the object).
         */
        void landed(P piece, ByteBuffer bytes);

        /** The file ended before the piece did. */
        void cut(P piece);
    }

    /** Reads {@code pieces}, in list order (callers list them in file order to let adjacent ones coalesce). */
    public static <P extends Piece> void read(FileChannel ch, List<P> pieces, Sink<P> sink) throws IOException {
        ByteBuffer staging = null;
        ByteBuffer window = null; // one view of the staging buffer, aimed at each piece in turn (no slice per piece)
        try {
            int u = 0;
            while (u < pieces.size()) {
                P x = pieces.get(u);
                if (sink.skipped(x)) {
                    u++;
                    continue;
                }
                if (direct(x)) {
                    ByteBuffer dst = x.target().duplicate().clear().limit(x.targetOffset() + x.length())
                            .position(x.targetOffset());
                    if (FileIo.readFully(ch, dst, x.filePosition()) < x.length()) {
                        sink.cut(x);
                    } else {
                        sink.landed(x, dst.flip());
                    }
                    u++;
                    continue;
                }
                if (staging == null) {
                    staging = FileIo.acquireStaging();
                    window = staging.duplicate();
                }
                long start = x.filePosition();
                long end = start;
                int v = u;
                while (v < pieces.size()) {
                    P y = pieces.get(v);
                    if (sink.skipped(y) || direct(y) || y.filePosition() != end
                            || end - start + y.length() > staging.capacity()) {
                        break;
                    }
                    end += y.length();
                    v++;
                }
                if (v == u) { // a lone small piece larger than the staging buffer cannot exist (< DIRECT_READ_MIN)
                    throw new IllegalStateException("piece of " + x.length() + " bytes exceeds the staging buffer");
                }
                staging.clear().limit((int) (end - start));
                int got = FileIo.readFully(ch, staging, start);
                for (int w = u; w < v; w++) {
                    P y = pieces.get(w);
                    if (sink.skipped(y)) { // its request failed on an earlier piece of this read
                        continue;
                    }
                    int off = (int) (y.filePosition() - start);
                    if (off + y.length() > got) {
                        sink.cut(y);
                        continue;
                    }
                    if (y.target() != null) {
                        y.target().put(y.targetOffset(), staging, off, y.length());
                    }
                    sink.landed(y, window.clear().position(off).limit(off + y.length()));
                }
                u = v;
            }
        } finally {
            FileIo.release(staging);
        }
    }

    private static boolean direct(Piece p) {
        return p.target() != null && p.length() >= DIRECT_READ_MIN;
    }
}
