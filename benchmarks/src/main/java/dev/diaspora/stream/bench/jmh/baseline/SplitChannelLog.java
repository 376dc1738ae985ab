package dev.diaspora.stream.bench.jmh.baseline;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The floor of the {@code files} driver's layout: a plain {@link FileChannel} writer that puts the bytes the driver
 * stores for an event into three files, as the driver does (data; metadata record = metadata + one 4-byte checksum per
 * 4 KiB data block; a 48-byte index record), one {@code write} per file per flush, and nothing else (no checksums
 * computed, no validation, no completion per event). Set against {@link ChannelLog}, which writes about the same bytes
 * into one file, it shows what the layout costs; set against the driver, what the engine and the checks cost.
 *
 * <p>Thread safety: confined to one thread.
 */
public final class SplitChannelLog implements AutoCloseable {
    /** Bytes of an index record in the files layout. */
    public static final int INDEX_RECORD = 48;
    private static final int BLOCK = 4096;
    private final FileChannel data;
    private final FileChannel meta;
    private final FileChannel index;
    private final ByteBuffer dataStaging = ByteBuffer.allocateDirect(ChannelLog.STAGING);
    private final ByteBuffer metaStaging = ByteBuffer.allocateDirect(1 << 20);
    private final ByteBuffer indexStaging = ByteBuffer.allocateDirect(1 << 20);

    public SplitChannelLog(Path dir) throws IOException {
        data = open(dir.resolve("data"));
        meta = open(dir.resolve("meta"));
        index = open(dir.resolve("index"));
    }

    private static FileChannel open(Path file) throws IOException {
        return FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
    }

    /** Stages one event; {@link #flush} writes what is staged. */
    public void append(byte[] metadata, ByteBuffer directData) throws IOException {
        int dataSize = directData.remaining();
        int blocks = (dataSize + BLOCK - 1) / BLOCK;
        if (dataStaging.remaining() < dataSize || metaStaging.remaining() < metadata.length + 4 * blocks
                || indexStaging.remaining() < INDEX_RECORD) {
            flush();
        }
        if (dataSize > dataStaging.remaining()) {
            drain(data, directData.duplicate());
        } else {
            dataStaging.put(directData.duplicate());
        }
        metaStaging.put(metadata);
        for (int b = 0; b < blocks; b++) {
            metaStaging.putInt(b);
        }
        indexStaging.position(indexStaging.position() + INDEX_RECORD); // the record's bytes: zeros, same size
    }

    /** Writes what is staged: data, then metadata, then index (the driver's order). */
    public void flush() throws IOException {
        drain(data, dataStaging.flip());
        dataStaging.clear();
        drain(meta, metaStaging.flip());
        metaStaging.clear();
        drain(index, indexStaging.flip());
        indexStaging.clear();
    }

    private static void drain(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    @Override
    public void close() throws IOException {
        flush();
        data.close();
        meta.close();
        index.close();
    }
}
