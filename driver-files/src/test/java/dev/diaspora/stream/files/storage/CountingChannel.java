package dev.diaspora.stream.files.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A read channel that counts the bytes its reads get from the operating system, for {@link Segment#readerWrapper}:
 * tests check that a selective read reads what it selects. Positional reads of the 64-byte file header (checked once
 * per file) are not counted. Every call goes to the wrapped channel.
 */
final class CountingChannel extends DelegatingChannel {
    private final AtomicLong bytes;

    CountingChannel(FileChannel in, AtomicLong bytes) {
        super(in);
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
        return (int) count(d.read(dst));
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        return count(d.read(dsts, offset, length));
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        int n = d.read(dst, position);
        return position < FileHeaderDescriptor.LENGTH ? n : (int) count(n); // a header check reads no event's bytes
    }

    @Override
    public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
        return count(d.transferTo(position, count, target));
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
        throw new UnsupportedOperationException("a mapped read could not be counted");
    }
}
