package dev.diaspora.stream.files.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A read channel that counts the bytes its reads get from the operating system, for {@link Segment#readerWrapper}:
 * tests check that a selective read reads what it selects. Positional reads of the 64-byte file header (checked once
 * per file) are not counted. Every call goes to the wrapped channel.
 */
final class CountingChannel extends FileChannel {
    private final FileChannel in;
    private final AtomicLong bytes;

    CountingChannel(FileChannel in, AtomicLong bytes) {
        this.in = in;
        this.bytes = bytes;
    }

    private long count(long n) {
        if (n > 0) {
            bytes.addAndGet(n);
        }
        return n;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        return (int) count(in.read(dst));
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        return count(in.read(dsts, offset, length));
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        int n = in.read(dst, position);
        return position < FileHeaderDescriptor.LENGTH ? n : (int) count(n); // a header check reads no event's bytes
    }

    @Override
    public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
        return count(in.transferTo(position, count, target));
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
        throw new UnsupportedOperationException("a mapped read could not be counted");
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        return in.write(src);
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        return in.write(srcs, offset, length);
    }

    @Override
    public int write(ByteBuffer src, long position) throws IOException {
        return in.write(src, position);
    }

    @Override
    public long position() throws IOException {
        return in.position();
    }

    @Override
    public FileChannel position(long newPosition) throws IOException {
        in.position(newPosition);
        return this;
    }

    @Override
    public long size() throws IOException {
        return in.size();
    }

    @Override
    public FileChannel truncate(long size) throws IOException {
        in.truncate(size);
        return this;
    }

    @Override
    public void force(boolean metaData) throws IOException {
        in.force(metaData);
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
        return in.transferFrom(src, position, count);
    }

    @Override
    public FileLock lock(long position, long size, boolean shared) throws IOException {
        return in.lock(position, size, shared);
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) throws IOException {
        return in.tryLock(position, size, shared);
    }

    @Override
    protected void implCloseChannel() throws IOException {
        in.close();
    }
}
