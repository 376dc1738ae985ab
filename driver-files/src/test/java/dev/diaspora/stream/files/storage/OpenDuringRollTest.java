package dev.diaspora.stream.files.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.DataView;
import dev.diaspora.stream.spi.IncomingBatch;
import dev.diaspora.stream.spi.OutgoingBatch;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Opening a partition while another writer rolls a segment (the MultiProcessTest flake of commit fee5d54), made
 * deterministic with {@link SegmentListing#afterListing}: the listing is taken while the roll has created the new
 * segment's data and metadata files but not yet renamed its index into place; the roll then completes and appends
 * before the listing is checked. The open must list again and see every event, never report a missing index.
 */
@Timeout(30)
class OpenDuringRollTest {
    private static final long SEGMENT = LogConfig.MIN_SEGMENT_SIZE;
    private static final int DATA = 40_000; // two events do not fit one segment: the second rolls

    @TempDir
    Path dir;

    @AfterEach
    void removeHook() {
        SegmentListing.afterListing = null;
    }

    private static OutgoingBatch event(byte tag) {
        byte[] data = new byte[DATA];
        java.util.Arrays.fill(data, tag);
        return new OutgoingBatch(1, new byte[] {tag}, new int[] {0, 1}, new DataView[] {DataView.of(data)}, null, 1,
                0);
    }

    private static void writeHeader(Path file, int kind, long base) throws Exception {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer h = FileHeaderDescriptor.encode(kind, base, 0);
            while (h.hasRemaining()) {
                ch.write(h);
            }
        }
    }

    @Test
    void anOpenWhoseListingARollOvertookShouldListAgainAndSeeEveryEvent() throws Exception {
        PartitionLog.create(dir, 0);
        LogConfig config = new LogConfig(SEGMENT, false);
        try (PartitionLog writer = PartitionLog.open(dir, "t", 0, config)) {
            assertNull(writer.append(List.of(event((byte) 1))).error());
            // the other writer's roll to base 1 has begun: data and metadata files exist, the index not yet
            writeHeader(dir.resolve(Segment.fileName(1, ".data")), FileHeaderDescriptor.KIND_DATA, 1);
            writeHeader(dir.resolve(Segment.fileName(1, ".meta")), FileHeaderDescriptor.KIND_META, 1);
            AtomicInteger listings = new AtomicInteger();
            List<Throwable> hookErrors = new ArrayList<>();
            SegmentListing.afterListing = listed -> {
                if (listed.equals(dir) && listings.incrementAndGet() == 1) {
                    // between the listing and its check: the roll renames the index in and appends event 1
                    try {
                        assertEquals(1, writer.append(List.of(event((byte) 2))).firstIds()[0]);
                    } catch (Throwable t) {
                        hookErrors.add(t);
                    }
                }
            };
            assertTrue(Files.size(dir.resolve(Segment.fileName(1, ".data"))) == FileHeaderDescriptor.LENGTH);
            try (PartitionLog reader = PartitionLog.open(dir, "t", 0, config)) {
                assertEquals(List.of(), hookErrors);
                assertTrue(listings.get() >= 2, "the overtaken listing was listed again: " + listings.get());
                assertTrue(Files.size(dir.resolve(Segment.fileName(1, ".data"))) > FileHeaderDescriptor.LENGTH,
                        "the roll appended between the listing and its check");
                assertEquals(2, reader.bounds().next());
                for (long id = 0; id < 2; id++) {
                    IncomingBatch b = reader.read(id, 1, Long.MAX_VALUE);
                    assertEquals(1, b.count(), "event " + id);
                    assertEquals(id + 1, b.metadata(0).get(), "metadata of event " + id);
                    assertEquals(DATA, b.dataSize(0));
                }
            }
        }
    }
}
