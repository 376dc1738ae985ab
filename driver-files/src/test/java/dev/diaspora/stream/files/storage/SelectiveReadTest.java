package dev.diaspora.stream.files.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.CorruptDataException;
import dev.diaspora.stream.DataDescriptor;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.spi.DataRequest;
import dev.diaspora.stream.spi.IncomingBatch;
import dev.diaspora.stream.spi.OutgoingBatch;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Selective reads read what they select (issue 16): the bytes a data read asks of the operating system from the data
 * file, counted by a {@link CountingChannel} under {@link Segment#readerWrapper}, for events of 16 KiB and more; and
 * the segments of format version 1 (64 KiB checksum blocks) that the previous release wrote still read, alone and
 * followed by version 2 segments.
 */
@Timeout(60)
class SelectiveReadTest {
    private static final long SEED = Long.getLong("files.seed", System.nanoTime());
    private static final int KIB = 1024;

    static {
        System.out.println("SelectiveReadTest seed " + SEED + " (replay with -Dfiles.seed=" + SEED + ")");
    }

    @TempDir
    Path dir;

    private final AtomicLong dataRead = new AtomicLong();

    @BeforeEach
    void countDataReads() {
        Segment.readerWrapper = (path, ch) -> path.startsWith(dir) && path.toString().endsWith(".data")
                ? new CountingChannel(ch, dataRead) : ch;
    }

    @AfterEach
    void restore() {
        Segment.readerWrapper = null;
        FileHeaderDescriptor.segmentVersion = FileHeaderDescriptor.FORMAT_VERSION;
    }

    private PartitionLog open() {
        return PartitionLog.open(dir, "t", 0, new LogConfig(1 << 30, false));
    }

    private static void append(PartitionLog log, byte[]... datas) {
        int n = datas.length;
        int[] offsets = new int[n + 1];
        DataView[] views = new DataView[n];
        for (int i = 0; i < n; i++) {
            offsets[i + 1] = offsets[i] + 2;
            views[i] = DataView.of(datas[i]);
        }
        byte[] md = new byte[2 * n];
        AppendResult r = log.append(List.of(new OutgoingBatch(n, md, offsets, views, null, 1, 0)));
        assertNull(r.error(), "append");
    }

    private static byte[] random(int size, SplittableRandom r) {
        byte[] b = new byte[size];
        r.nextBytes(b);
        return b;
    }

    /** Reads {@code sel} of event {@code id} and checks its bytes. @return the data bytes the read took from the OS */
    private long readAndCheck(PartitionLog log, long id, byte[] data, DataDescriptor sel) {
        ByteBuffer target = ByteBuffer.allocateDirect((int) sel.size());
        DataRequest req = new DataRequest(0, id, sel, DataView.of(target));
        long before = dataRead.get();
        log.readData(List.of(req));
        long read = dataRead.get() - before;
        assertNull(req.error(), "read of " + sel);
        byte[] want = new byte[(int) sel.size()];
        int[] at = {0};
        sel.flatten((off, size) -> {
            System.arraycopy(data, (int) off, want, at[0], (int) size);
            at[0] += (int) size;
        });
        assertArrayEquals(want, DataView.of(target).toByteArray(), "bytes of " + sel);
        return read;
    }

    /** @return how many blocks of {@code block} bytes the selection touches */
    private static long blocksTouched(DataDescriptor sel, int block) {
        java.util.TreeSet<Long> blocks = new java.util.TreeSet<>();
        sel.flatten((off, size) -> {
            for (long b = off / block; b <= (off + size - 1) / block; b++) {
                blocks.add(b);
            }
        });
        return blocks.size();
    }

    @Test
    void aSelectionOfAnEventOf16KiBOrMoreShouldReadAtMostEightKiBMoreThanItSelects() throws Exception {
        SplittableRandom r = new SplittableRandom(SEED);
        byte[] small = random(16 * KIB, r);
        byte[] mid = random(64 * KIB, r);
        byte[] big = random(1024 * KIB, r);
        PartitionLog.create(dir, 0);
        try (PartitionLog log = open()) {
            append(log, small, mid, big);
        }
        try (PartitionLog log = open()) {
            byte[][] events = {small, mid, big};
            for (int e = 0; e < 3; e++) {
                byte[] data = events[e];
                DataDescriptor whole = DataDescriptor.of(e, data.length);
                long[] offsets = {0, 1, 4095, 4096, 5000, data.length / 2 + 17, data.length - KIB,
                    r.nextInt(data.length - KIB)};
                for (long off : offsets) {
                    for (int len : new int[] {1, KIB, 4 * KIB, 10_000}) {
                        if (off + len > data.length) {
                            continue;
                        }
                        DataDescriptor sel = whole.makeSubView(off, len);
                        long read = readAndCheck(log, e, data, sel);
                        assertTrue(read <= len + 8 * KIB, "a selection of " + len + " bytes at " + off + " of event "
                                + e + " (" + data.length + " bytes) read " + read + " bytes of data");
                    }
                }
                long all = readAndCheck(log, e, data, whole);
                assertEquals(data.length, all, "a whole event reads exactly its data");
            }
            DataDescriptor wide = DataDescriptor.of(2, big.length).makeSubView(12_345, 300_000);
            long read = readAndCheck(log, 2, big, wide);
            assertTrue(read <= 300_000 + 8 * KIB, "300,000 bytes of the 1 MiB event read " + read);
        }
    }

    @Test
    void stridedAndUnstructuredSelectionsShouldReadOnlyTheBlocksTheyTouch() throws Exception {
        SplittableRandom r = new SplittableRandom(SEED + 1);
        byte[] mid = random(64 * KIB, r);
        byte[] big = random(1024 * KIB, r);
        PartitionLog.create(dir, 0);
        try (PartitionLog log = open()) {
            append(log, mid, big);
        }
        try (PartitionLog log = open()) {
            DataDescriptor m = DataDescriptor.of(0, mid.length);
            DataDescriptor b = DataDescriptor.of(1, big.length);
            List<DataDescriptor> sels = new ArrayList<>(List.of(
                    m.makeStridedView(0, 4, 4 * KIB, 12 * KIB), // block-aligned: reads exactly the selection
                    m.makeStridedView(100, 8, KIB, 7 * KIB),
                    b.makeStridedView(3 * KIB, 16, 2 * KIB, 62 * KIB),
                    m.makeUnstructuredView(new DataDescriptor.Range(100, 2000), new DataDescriptor.Range(50_000, 3000)),
                    b.makeUnstructuredView(new DataDescriptor.Range(10, 20), new DataDescriptor.Range(500_000, KIB),
                            new DataDescriptor.Range(900_000, 40_000))));
            for (int k = 0; k < 20; k++) { // random strided views of the 1 MiB event
                int elem = 1 + r.nextInt(8 * KIB);
                int gap = 4 * KIB + r.nextInt(60 * KIB);
                int off = r.nextInt(64 * KIB);
                int count = 1 + r.nextInt((big.length - off - elem) / (elem + gap) + 1);
                sels.add(b.makeStridedView(off, count, elem, gap));
            }
            for (DataDescriptor sel : sels) {
                long id = sel.baseSize() == mid.length ? 0 : 1;
                long read = readAndCheck(log, id, id == 0 ? mid : big, sel);
                long bound = 4 * KIB * blocksTouched(sel, 4 * KIB);
                assertTrue(read <= bound, sel + " touches " + blocksTouched(sel, 4 * KIB) + " blocks of 4 KiB but"
                        + " read " + read + " bytes of data");
            }
            long aligned = readAndCheck(log, 0, mid, sels.get(0));
            assertEquals(16 * KIB, aligned, "a block-aligned strided selection reads exactly what it selects");
        }
    }

    @Test
    void aFlippedBitShouldFailOnlyTheReadsThatTouchItsFourKiBBlock() throws Exception {
        byte[] data = random(64 * KIB, new SplittableRandom(SEED + 2));
        PartitionLog.create(dir, 0);
        try (PartitionLog log = open()) {
            append(log, data);
        }
        flipBit(dir.resolve("00000000000000000000.data"), 64 + 5 * 4 * KIB + 7); // inside 4 KiB block 5
        try (PartitionLog log = open()) {
            DataDescriptor whole = DataDescriptor.of(0, data.length);
            DataRequest bad = new DataRequest(0, 0, whole.makeSubView(5 * 4 * KIB + 4000, 10),
                    DataView.of(ByteBuffer.allocate(10)));
            log.readData(List.of(bad));
            assertTrue(bad.error() instanceof CorruptDataException && bad.error().getMessage().contains("data block 5")
                    && bad.error().getMessage().contains("bytes [20480, 24576)"), String.valueOf(bad.error()));
            readAndCheck(log, 0, data, whole.makeSubView(0, 5 * 4 * KIB)); // blocks 0-4
            readAndCheck(log, 0, data, whole.makeSubView(6 * 4 * KIB, 10 * 4 * KIB)); // blocks 6-15
            readAndCheck(log, 0, data, whole.makeUnstructuredView(new DataDescriptor.Range(4 * 4 * KIB + 5, 100),
                    new DataDescriptor.Range(6 * 4 * KIB + 5, 100))); // around block 5, not in it
        }
    }

    @Test
    void segmentsOfFormatVersionOneShouldReadAloneAndBeforeVersionTwoSegments() throws Exception {
        SplittableRandom r = new SplittableRandom(SEED + 3);
        List<byte[]> events = new ArrayList<>();
        FileHeaderDescriptor.segmentVersion = 1; // the segments the previous release wrote
        PartitionLog.create(dir, 0);
        try (PartitionLog log = open()) {
            for (int size : new int[] {0, 10, 64 * KIB, 200_000, 65_537}) {
                byte[] d = random(size, r);
                events.add(d);
                append(log, d);
            }
        }
        Path v1Index = dir.resolve("00000000000000000000.index");
        assertEquals(1, headerInt(v1Index, 8), "version 1 written");
        assertEquals(64 * KIB, headerInt(v1Index, 24), "with 64 KiB blocks");
        assertEquals(2 + 4 * 4, metaLength(v1Index, 3), "a 200,000-byte event carries 4 CRCs in version 1");
        FileHeaderDescriptor.segmentVersion = FileHeaderDescriptor.FORMAT_VERSION;
        try (PartitionLog log = open()) {
            checkAll(log, events, r);
            long read = readAndCheck(log, 2, events.get(2), DataDescriptor.of(2, 64 * KIB).makeSubView(1000, KIB));
            assertEquals(64 * KIB, read, "a version 1 segment still verifies its 64 KiB blocks");
            for (int size : new int[] {64 * KIB, 200_000, 5}) { // the first append rolls to a version 2 segment
                byte[] d = random(size, r);
                events.add(d);
                append(log, d);
            }
            checkAll(log, events, r);
        }
        List<Path> indexes;
        try (Stream<Path> files = Files.list(dir)) {
            indexes = files.filter(f -> f.toString().endsWith(".index")).sorted().toList();
        }
        assertEquals(2, indexes.size(), "the version 2 writer continues in a new segment: " + indexes);
        assertEquals(dir.resolve("00000000000000000005.index"), indexes.get(1));
        assertEquals(1, headerInt(indexes.get(0), 8), "the version 1 segment is left as it was");
        assertEquals(2, headerInt(indexes.get(1), 8));
        assertEquals(4 * KIB, headerInt(indexes.get(1), 24));
        assertEquals(2 + 4 * 49, metaLength(indexes.get(1), 1), "a 200,000-byte event carries 49 CRCs in version 2");
        try (PartitionLog log = open()) {
            checkAll(log, events, r);
            long read = readAndCheck(log, 5, events.get(5), DataDescriptor.of(5, 64 * KIB).makeSubView(1000, KIB));
            assertTrue(read <= KIB + 8 * KIB, "the version 2 segment reads what is selected: " + read);
        }
    }

    /** Reads every event across segments: metadata batches, then whole and partial data. */
    private void checkAll(PartitionLog log, List<byte[]> events, SplittableRandom r) {
        assertEquals(events.size(), log.bounds().next());
        long id = 0;
        while (id < events.size()) {
            IncomingBatch b = log.read(id, 1 + r.nextInt(4), Long.MAX_VALUE);
            assertNotNull(b, "batch at " + id);
            for (int i = 0; i < b.count(); i++) {
                byte[] d = events.get((int) id + i);
                assertEquals(2, b.metadataSize(i), "metadata of event " + (id + i));
                assertEquals(d.length, b.dataSize(i), "data size of event " + (id + i));
                if (d.length > 0) {
                    readAndCheck(log, id + i, d, b.descriptor(i));
                    int off = r.nextInt(d.length);
                    readAndCheck(log, id + i, d, b.descriptor(i).makeSubView(off, 1 + r.nextInt(d.length - off)));
                }
            }
            id += b.count();
        }
    }

    private static int headerInt(Path f, int at) throws IOException {
        ByteBuffer h = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel ch = FileChannel.open(f)) {
            ch.read(h, 0);
        }
        return h.getInt(at);
    }

    private static int metaLength(Path index, int record) throws IOException {
        ByteBuffer rec = ByteBuffer.allocate(IndexDescriptor.RECORD_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel ch = FileChannel.open(index)) {
            ch.read(rec, IndexDescriptor.recordOffset(record));
        }
        return IndexDescriptor.metaLength(rec, 0);
    }

    private static void flipBit(Path f, long offset) throws IOException {
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, offset);
            b.put(0, (byte) (b.get(0) ^ 1));
            ch.write(b.clear(), offset);
        }
    }
}
