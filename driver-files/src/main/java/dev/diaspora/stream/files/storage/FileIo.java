package dev.diaspora.stream.files.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Positional I/O that keeps the JDK's temporary direct buffers small, and the pool of direct staging buffers.
 *
 * <p>The JDK copies every heap buffer through a temporary direct buffer of the same size and keeps it cached per
 * thread (up to 1024 of them, of any size), so heap transfers are cut into chunks of at most {@link #HEAP_CHUNK} bytes.
 *
 * <p>Thread safety: thread-safe.
 */
final class FileIo {
    /** Largest heap transfer per system call. */
    static final int HEAP_CHUNK = 1 << 20;
    /** Size of a staging buffer. */
    static final int STAGING_SIZE = 1 << 20;
    private static final int POOL_MAX = 16;
    private static final ConcurrentLinkedQueue<ByteBuffer> POOL = new ConcurrentLinkedQueue<>();
    private static final AtomicInteger POOLED = new AtomicInteger();

    private FileIo() {
    }

    /**
     * Reads from {@code pos} until {@code dst} is full or the file ends.
     *
     * @return the number of bytes read
     */
    static int readFully(FileChannel ch, ByteBuffer dst, long pos) throws IOException {
        int start = dst.position();
        while (dst.hasRemaining()) {
            int n;
            if (!dst.isDirect() && dst.remaining() > HEAP_CHUNK) {
                int lim = dst.limit();
                dst.limit(dst.position() + HEAP_CHUNK);
                try {
                    n = ch.read(dst, pos);
                } finally {
                    dst.limit(lim);
                }
            } else {
                n = ch.read(dst, pos);
            }
            if (n < 0) {
                break;
            }
            pos += n;
        }
        return dst.position() - start;
    }

    /** Writes all of {@code src} at {@code pos}. */
    static void writeFully(FileChannel ch, ByteBuffer src, long pos) throws IOException {
        while (src.hasRemaining()) {
            pos += ch.write(src, pos);
        }
    }

    /** @return a cleared direct buffer of {@link #STAGING_SIZE} bytes; give it back with {@link #release} */
    static ByteBuffer acquireStaging() {
        ByteBuffer b = POOL.poll();
        if (b == null) {
            return ByteBuffer.allocateDirect(STAGING_SIZE);
        }
        POOLED.decrementAndGet();
        return b.clear();
    }

    /** Returns a staging buffer to the pool (at most {@value #POOL_MAX} are kept). */
    static void release(ByteBuffer b) {
        if (b != null && POOLED.incrementAndGet() <= POOL_MAX) {
            POOL.offer(b);
        } else if (b != null) {
            POOLED.decrementAndGet();
        }
    }
}
