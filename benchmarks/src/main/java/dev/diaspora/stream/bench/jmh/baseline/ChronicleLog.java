package dev.diaspora.stream.bench.jmh.baseline;

import java.nio.file.Path;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.wire.DocumentContext;

/**
 * Chronicle Queue peer: one excerpt per event holding the same bytes as {@link ChannelLog} (metadata length,
 * metadata, data length, data). Needs the JVM flags in {@code chronicle.jvm.args} (benchmarks/pom.xml).
 */
public final class ChronicleLog implements AutoCloseable {
    private final ChronicleQueue queue;
    private final ExcerptAppender appender;

    public ChronicleLog(Path dir) {
        queue = SingleChronicleQueueBuilder.binary(dir.toFile()).blockSize(64L << 20).build();
        appender = queue.createAppender();
    }

    public void append(byte[] metadata, byte[] data) {
        try (DocumentContext dc = appender.writingDocument()) {
            Bytes<?> b = dc.wire().bytes();
            b.writeInt(metadata.length);
            b.write(metadata);
            b.writeLong(data.length);
            b.write(data);
        }
    }

    /** Reads every excerpt from the start; returns the number of excerpts, adds data bytes to {@code sink[0]}. */
    public long readAll(long[] sink) {
        long n = 0;
        try (ExcerptTailer t = queue.createTailer()) {
            while (true) {
                try (DocumentContext dc = t.readingDocument()) {
                    if (!dc.isPresent()) {
                        break;
                    }
                    Bytes<?> b = dc.wire().bytes();
                    int ml = b.readInt();
                    b.readSkip(ml);
                    long dl = b.readLong();
                    sink[0] += dl;
                    b.readSkip(dl);
                    n++;
                }
            }
        }
        return n;
    }

    @Override
    public void close() {
        queue.close();
    }
}
