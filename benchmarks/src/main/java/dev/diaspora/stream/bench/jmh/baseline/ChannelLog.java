package dev.diaspora.stream.bench.jmh.baseline;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The ceiling: a plain sequential {@link FileChannel} writer of the same bytes (per event a 4-byte metadata length,
 * the metadata, an 8-byte data length, the data), staged in a 4 MiB direct buffer so that small events cost one
 * {@code write} per 4 MiB; data larger than the staging space is written directly from its direct buffer. No
 * fsync (the files driver's default durability, "os", does not fsync either).
 */
public final class ChannelLog implements AutoCloseable {
    public static final int STAGING = 4 << 20;
    private final FileChannel ch;
    private final ByteBuffer staging = ByteBuffer.allocateDirect(STAGING);
    private long bytes;

    public ChannelLog(Path file) throws IOException {
        ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
    }

    public void append(byte[] metadata, ByteBuffer directData) throws IOException {
        int dataSize = directData.remaining();
        int header = 4 + metadata.length + 8;
        if (staging.remaining() < header) {
            drain();
        }
        staging.putInt(metadata.length).put(metadata).putLong(dataSize);
        if (dataSize <= staging.remaining()) {
            staging.put(directData.duplicate());
        } else {
            drain();
            ByteBuffer d = directData.duplicate();
            while (d.hasRemaining()) {
                bytes += ch.write(d);
            }
        }
    }

    /** Writes what is staged (the end of a batch). */
    public void flush() throws IOException {
        drain();
    }

    private void drain() throws IOException {
        staging.flip();
        while (staging.hasRemaining()) {
            bytes += ch.write(staging);
        }
        staging.clear();
    }

    public long bytesWritten() {
        return bytes;
    }

    @Override
    public void close() throws IOException {
        flush();
        ch.close();
    }
}
