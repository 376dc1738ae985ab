package dev.diaspora.stream.files.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Injects write errors into the files storage of this JVM (through {@link Segment}'s writer seam): while armed, a
 * write to a segment file whose name ends with the chosen suffix writes part of its bytes, then the next write or
 * force throws {@code IOException("Input/output error")}, as a device that fails in the middle of a write does.
 * Tests only; {@link #close()} disarms and removes the seam.
 */
public final class FailingWrites implements AutoCloseable {
    private final String suffix;
    private final int partialBytes;
    private volatile boolean armed;
    private final AtomicInteger failures = new AtomicInteger();
    private final AtomicInteger seeks = new AtomicInteger();
    private final AtomicInteger sizes = new AtomicInteger();

    private FailingWrites(String suffix, int partialBytes) {
        this.suffix = suffix;
        this.partialBytes = partialBytes;
    }

    /**
     * Installs the seam (disarmed). Only channels opened after this are affected.
     *
     * @param suffix which files fail: ".data", ".meta" or ".index"
     * @param partialBytes how many bytes the failing write still writes before the error
     */
    public static FailingWrites install(String suffix, int partialBytes) {
        FailingWrites f = new FailingWrites(suffix, partialBytes);
        Segment.writerWrapper = (path, ch) -> path.getFileName().toString().endsWith(suffix) ? f.new Channel(ch) : ch;
        return f;
    }

    /** From now on, writes to the chosen files fail. */
    public void arm() {
        armed = true;
    }

    /** Writes succeed again (the disk was repaired). */
    public void disarm() {
        armed = false;
    }

    /** @return how many times a writer's position was set (a seek before a relative write) */
    public int seeks() {
        return seeks.get();
    }

    /** @return how many times a writer's size was asked (an fstat) */
    public int sizes() {
        return sizes.get();
    }

    /** @return how many errors were thrown */
    public int failures() {
        return failures.get();
    }

    @Override
    public void close() {
        Segment.writerWrapper = null;
        armed = false;
    }

    /** A channel that delegates everything and fails writes while armed. */
    private final class Channel extends DelegatingChannel {
        private boolean tornOnce; // the partial bytes were written: the next write fails

        Channel(FileChannel d) {
            super(d);
        }

        private IOException eio() {
            failures.incrementAndGet();
            tornOnce = false;
            return new IOException("Input/output error");
        }

        /** @return the bytes the write may still do (partialBytes once, then an error), or -1 when not armed */
        private long allowance() throws IOException {
            if (!armed) {
                return -1;
            }
            if (tornOnce || partialBytes == 0) {
                throw eio();
            }
            tornOnce = true;
            return partialBytes;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            return partial(src, allowance());
        }

        private int partial(ByteBuffer src, long a) throws IOException {
            if (a < 0 || src.remaining() <= a) {
                return d.write(src);
            }
            int lim = src.limit();
            src.limit(src.position() + (int) a);
            try {
                return d.write(src);
            } finally {
                src.limit(lim);
            }
        }

        @Override
        public int write(ByteBuffer src, long position) throws IOException {
            long a = allowance();
            if (a < 0 || src.remaining() <= a) {
                return d.write(src, position);
            }
            int lim = src.limit();
            src.limit(src.position() + (int) a);
            try {
                return d.write(src, position);
            } finally {
                src.limit(lim);
            }
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            long a = allowance();
            if (a < 0) {
                return d.write(srcs, offset, length);
            }
            return partial(srcs[offset], a); // part of the first buffer: a short write, the next call fails
        }

        @Override
        public void force(boolean metaData) throws IOException {
            if (armed) {
                throw eio();
            }
            d.force(metaData);
        }

        @Override
        public FileChannel position(long newPosition) throws IOException {
            seeks.incrementAndGet();
            return super.position(newPosition);
        }

        @Override
        public long size() throws IOException {
            sizes.incrementAndGet();
            return d.size();
        }

        @Override
        public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
            if (armed) {
                throw eio();
            }
            return d.transferFrom(src, position, count);
        }
    }
}
