package dev.diaspora.stream.files.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.diaspora.stream.DataView;
import dev.diaspora.stream.spi.IncomingBatch;
import dev.diaspora.stream.spi.OutgoingBatch;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A small append (one event: one data buffer, one metadata record, one index record) writes each file with one
 * positional write, without setting the channel's position first, and asks the index's size once (the tail check),
 * not again through its writer: four system calls fewer per append on the producer's path. The events still read
 * back whole.
 */
class PositionalWriteTest {
    @TempDir
    Path dir;

    @Test
    void shouldWriteASmallAppendWithoutSeeking() throws Exception {
        PartitionLog.create(dir, 0);
        try (FailingWrites seam = FailingWrites.install("", 0); // never armed: it only counts seeks
                PartitionLog log = PartitionLog.open(dir, "t", 0, new LogConfig(1 << 20, false))) {
            byte[] md = "{\"k\":1}".getBytes(StandardCharsets.US_ASCII);
            for (int i = 0; i < 5; i++) {
                ByteBuffer data = ByteBuffer.allocateDirect(100);
                data.put(0, (byte) i);
                AppendResult r = log.append(List.of(new OutgoingBatch(1, md, new int[] {0, md.length},
                        new DataView[] {DataView.of(data)}, null, 1, i)));
                assertNull(r.error());
                assertEquals(i, r.firstIds()[0]);
            }
            assertEquals(0, seam.seeks(), "one-buffer writes are positional writes");
            IncomingBatch b = log.read(0, 10, 1 << 20);
            assertEquals(5, b.count());
        }
    }

    @Test
    void shouldNotAskTheIndexWriterForTheSizeTheTailCheckJustRead() throws Exception {
        PartitionLog.create(dir, 0);
        try (FailingWrites seam = FailingWrites.install(".index", 0); // never armed: it counts the index writer's calls
                PartitionLog log = PartitionLog.open(dir, "t", 0, new LogConfig(1 << 20, false))) {
            byte[] md = "{}".getBytes(StandardCharsets.US_ASCII);
            for (int i = 0; i < 5; i++) {
                AppendResult r = log.append(List.of(new OutgoingBatch(1, md, new int[] {0, md.length},
                        new DataView[] {DataView.of(new byte[] {(byte) i})}, null, 1, i)));
                assertNull(r.error());
            }
            assertEquals(0, seam.sizes(), "the index writer's size is not asked on the append path");
            assertEquals(5, log.read(0, 10, 1 << 20).count());
        }
    }
}
