package dev.diaspora.stream.files.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The storage engine without the driver around it: appends, segment rolls, reads, recovery. Seeded property tests
 * print their seed (replay with -Dfiles.seed=...).
 */
@Timeout(120)
class PartitionLogTest {
    private static final long SEED = Long.getLong("files.seed", System.nanoTime());
    private static final int SEGMENT = 64 * 1024;

    static {
        System.out.println("PartitionLogTest seed " + SEED + " (replay with -Dfiles.seed=" + SEED + ")");
    }

    @TempDir
    Path dir;

    private record Ev(byte[] md, byte[] data) {
    }

    private PartitionLog create(long segmentSize) throws IOException {
        PartitionLog.create(dir, 0);
        return open(segmentSize);
    }

    private PartitionLog open(long segmentSize) {
        return PartitionLog.open(dir, "t", 0, new LogConfig(segmentSize, false));
    }

    private static OutgoingBatch batch(List<Ev> events, List<DataView> views) {
        int n = events.size();
        int[] offsets = new int[n + 1];
        for (int i = 0; i < n; i++) {
            offsets[i + 1] = offsets[i] + events.get(i).md.length;
        }
        byte[] md = new byte[offsets[n]];
        for (int i = 0; i < n; i++) {
            System.arraycopy(events.get(i).md, 0, md, offsets[i], events.get(i).md.length);
        }
        return new OutgoingBatch(n, md, offsets, views.toArray(new DataView[0]), null, 1, 0);
    }

    /** A view of {@code data} cut into random segments, heap, direct, read-only, some empty. */
    private static DataView scatter(byte[] data, SplittableRandom r) {
        List<ByteBuffer> segs = new ArrayList<>();
        int at = 0;
        while (at < data.length || (segs.isEmpty() && r.nextBoolean())) {
            int len = Math.min(data.length - at, r.nextInt(4) == 0 ? 0 : 1 + r.nextInt(Math.max(1, data.length)));
            ByteBuffer b;
            switch (r.nextInt(4)) {
                case 0:
                    b = ByteBuffer.wrap(data, at, len); // position at, not 0: a view of the middle of an array
                    break;
                case 1:
                    b = ByteBuffer.allocateDirect(len).put(data, at, len).flip();
                    break;
                case 2:
                    b = ByteBuffer.wrap(data, at, len).slice().asReadOnlyBuffer();
                    break;
                default:
                    b = ByteBuffer.allocateDirect(len).put(data, at, len).flip().asReadOnlyBuffer();
                    break;
            }
            segs.add(b);
            at += len;
        }
        return DataView.of(segs.toArray(new ByteBuffer[0]));
    }

    private static Ev randomEvent(SplittableRandom r) {
        byte[] md = new byte[r.nextInt(300)];
        r.nextBytes(md);
        int size = switch (r.nextInt(4)) {
            case 0 -> 0;
            case 1 -> r.nextInt(100);
            case 2 -> r.nextInt(70_000);
            default -> r.nextInt(200_000);
        };
        byte[] data = new byte[size];
        r.nextBytes(data);
        return new Ev(md, data);
    }

    private static byte[] readAllData(PartitionLog log, long id, long size, boolean direct) {
        ByteBuffer target = direct ? ByteBuffer.allocateDirect((int) size) : ByteBuffer.allocate((int) size);
        DataRequest req = new DataRequest(0, id, DataDescriptor.of(id, size), DataView.of(target));
        log.readData(List.of(req));
        assertNull(req.error(), "read of event " + id);
        return DataView.of(target).toByteArray();
    }

    @Test
    void shouldRollSegmentsAndReadBackEveryEventExactly() throws Exception {
        SplittableRandom r = new SplittableRandom(SEED);
        List<Ev> expected = new ArrayList<>();
        try (PartitionLog log = create(SEGMENT)) {
            for (int round = 0; round < 40; round++) {
                List<OutgoingBatch> batches = new ArrayList<>();
                List<DataView> allViews = new ArrayList<>();
                List<int[]> positions = new ArrayList<>();
                int nb = 1 + r.nextInt(3);
                for (int b = 0; b < nb; b++) {
                    List<Ev> evs = new ArrayList<>();
                    List<DataView> views = new ArrayList<>();
                    int n = 1 + r.nextInt(12);
                    for (int i = 0; i < n; i++) {
                        Ev e = randomEvent(r);
                        evs.add(e);
                        DataView v = scatter(e.data, r);
                        views.add(v);
                        for (ByteBuffer s : v.segments()) {
                            positions.add(new int[] {s.position(), s.limit()});
                        }
                    }
                    allViews.addAll(views);
                    batches.add(batch(evs, views));
                    expected.addAll(evs);
                }
                long before = log.bounds().next();
                AppendResult res = log.append(batches);
                assertNull(res.error(), "append round " + round);
                long id = before;
                for (int b = 0; b < nb; b++) {
                    assertEquals(id, res.firstIds()[b], "first id of batch " + b + " of round " + round);
                    id += batches.get(b).count();
                }
                int k = 0;
                for (DataView v : allViews) {
                    for (ByteBuffer s : v.segments()) {
                        assertArrayEquals(positions.get(k++), new int[] {s.position(), s.limit()},
                                "the producer's buffer positions must not move");
                    }
                }
            }
            checkAll(log, expected, r);
        }
        long segments;
        try (Stream<Path> files = Files.list(dir)) {
            segments = files.filter(f -> f.toString().endsWith(".index")).count();
        }
        assertTrue(segments > 3, "a " + SEGMENT + "-byte segment size must roll: " + segments + " segments");
        checkSegmentSizes();
        try (PartitionLog again = open(SEGMENT)) {
            assertEquals(expected.size(), again.bounds().next(), "events after reopening");
            checkAll(again, expected, r);
        }
    }

    /** A segment file exceeds the segment size only if one index write (one batch or group) filled it alone. */
    private void checkSegmentSizes() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(f -> f.toString().endsWith(".index")).toList()) {
                String base = f.getFileName().toString().substring(0, 20);
                long max = 0;
                for (String suffix : new String[] {".index", ".meta", ".data"}) {
                    max = Math.max(max, Files.size(dir.resolve(base + suffix)));
                }
                if (max > SEGMENT) {
                    ByteBuffer first = ByteBuffer.allocate(48).order(ByteOrder.LITTLE_ENDIAN);
                    try (FileChannel ch = FileChannel.open(f)) {
                        ch.read(first, 64);
                        long n = (ch.size() - 64) / 48;
                        ByteBuffer last = ByteBuffer.allocate(48).order(ByteOrder.LITTLE_ENDIAN);
                        ch.read(last, 64 + 48 * (n - 1));
                        assertEquals(n - 1, IndexDescriptor.writeIndex(last, 0), f + " exceeds the segment size,"
                                + " so it must hold a single index write");
                    }
                }
            }
        }
    }

    private void checkAll(PartitionLog log, List<Ev> expected, SplittableRandom r) {
        assertEquals(0, log.bounds().first());
        assertEquals(expected.size(), log.bounds().next());
        long id = 0;
        long lastTs = Long.MIN_VALUE;
        List<Long> stamps = new ArrayList<>();
        while (id < expected.size()) {
            IncomingBatch b = log.read(id, 1 + r.nextInt(40), r.nextBoolean() ? Long.MAX_VALUE : r.nextInt(300_000));
            assertNotNull(b, "batch at " + id);
            assertEquals(id, b.firstId());
            List<DataRequest> reqs = new ArrayList<>();
            List<byte[]> wanted = new ArrayList<>();
            for (int i = 0; i < b.count(); i++) {
                Ev e = expected.get((int) (id + i));
                byte[] md = new byte[b.metadataSize(i)];
                b.metadata(i).get(md);
                assertArrayEquals(e.md, md, "metadata of event " + (id + i));
                assertEquals(e.data.length, b.dataSize(i), "data size of event " + (id + i));
                assertTrue(b.timestampNanos(i) >= lastTs, "timestamps never go back");
                lastTs = b.timestampNanos(i);
                stamps.add(lastTs);
                DataDescriptor d = b.descriptor(i);
                if (e.data.length > 0) {
                    DataDescriptor sel = d;
                    byte[] want = e.data;
                    int kind = r.nextInt(3);
                    if (kind == 1) {
                        int off = r.nextInt(e.data.length);
                        int len = 1 + r.nextInt(e.data.length - off);
                        sel = d.makeSubView(off, len);
                        want = Arrays.copyOfRange(e.data, off, off + len);
                    } else if (kind == 2 && e.data.length >= 8) {
                        int bs = 1 + r.nextInt(e.data.length / 4);
                        int gap = r.nextInt(bs + 1);
                        int blocks = 1 + (e.data.length - bs) / (bs + gap);
                        sel = d.makeStridedView(0, blocks, bs, gap);
                        want = new byte[blocks * bs];
                        for (int k = 0; k < blocks; k++) {
                            System.arraycopy(e.data, k * (bs + gap), want, k * bs, bs);
                        }
                    }
                    ByteBuffer[] parts = r.nextBoolean()
                            ? new ByteBuffer[] {ByteBuffer.allocateDirect((int) sel.size())}
                            : new ByteBuffer[] {ByteBuffer.allocate((int) sel.size() / 2),
                                ByteBuffer.allocateDirect((int) (sel.size() - sel.size() / 2))};
                    reqs.add(new DataRequest(0, id + i, sel, DataView.of(parts)));
                    wanted.add(want);
                }
            }
            log.readData(reqs);
            for (int k = 0; k < reqs.size(); k++) {
                assertNull(reqs.get(k).error(), "data of event " + reqs.get(k).eventId());
                assertArrayEquals(wanted.get(k), reqs.get(k).target().toByteArray(), "selected data of event "
                        + reqs.get(k).eventId() + " " + reqs.get(k).descriptor());
            }
            id += b.count();
            if (r.nextBoolean()) { // everything was copied out: the next batch may reuse this one's buffers
                b.release();
                b.recycle();
            }
        }
        assertNull(log.read(expected.size(), 10, 1000), "nothing after the end");
        for (int k = 0; k < 20 && !stamps.isEmpty(); k++) {
            int i = r.nextInt(stamps.size());
            long t = stamps.get(i);
            int first = stamps.indexOf(t);
            assertEquals(first, log.idForTime(t), "idForTime of the timestamp of event " + i);
        }
        assertEquals(expected.size(), log.idForTime(Long.MAX_VALUE), "idForTime after the last event");
        assertEquals(0, log.idForTime(Long.MIN_VALUE), "idForTime before the first event");
    }

    private long[] appendWrites(PartitionLog log, int writes, int perWrite, List<Ev> out, SplittableRandom r) {
        long[] firsts = new long[writes];
        for (int w = 0; w < writes; w++) {
            List<Ev> evs = new ArrayList<>();
            List<DataView> views = new ArrayList<>();
            for (int i = 0; i < perWrite; i++) {
                Ev e = randomEvent(r);
                evs.add(e);
                views.add(DataView.of(e.data));
            }
            AppendResult res = log.append(List.of(batch(evs, views)));
            assertNull(res.error());
            firsts[w] = res.firstIds()[0];
            out.addAll(evs);
        }
        return firsts;
    }

    private void truncate(String file, long size) throws IOException {
        try (FileChannel ch = FileChannel.open(dir.resolve(file), StandardOpenOption.WRITE)) {
            ch.truncate(size);
        }
    }

    private void flipBit(String file, long offset, int bit) throws IOException {
        try (FileChannel ch = FileChannel.open(dir.resolve(file), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, offset);
            b.put(0, (byte) (b.get(0) ^ (1 << bit)));
            b.clear();
            ch.write(b, offset);
        }
    }

    private static final String INDEX = "00000000000000000000.index";
    private static final String META = "00000000000000000000.meta";
    private static final String DATA = "00000000000000000000.data";

    @Test
    void aTornIndexWriteShouldEndTheLogAndBeCutByTheNextAppend() throws Exception {
        SplittableRandom r = new SplittableRandom(SEED + 1);
        List<Ev> evs = new ArrayList<>();
        try (PartitionLog log = create(1 << 30)) {
            appendWrites(log, 3, 5, evs, r);
        }
        truncate(INDEX, 64 + 48 * 12 + 20); // the third write (records 10..14) stopped inside record 12
        try (PartitionLog log = open(1 << 30)) {
            assertEquals(12, log.bounds().next(), "the complete records of the torn write stay");
            long metaBefore = Files.size(dir.resolve(META));
            List<Ev> more = new ArrayList<>();
            long[] first = appendWrites(log, 1, 2, more, r);
            assertEquals(12, first[0], "the next append continues after the committed end");
            assertTrue(Files.size(dir.resolve(META)) < metaBefore + 2 * 400, "the torn metadata was cut");
            evs.subList(12, evs.size()).clear();
            evs.addAll(more);
            checkAll(log, evs, r);
        }
    }

    @Test
    void recordsWhoseBytesArePastTheEndOfTheDataShouldNotBeCommitted() throws Exception {
        SplittableRandom r = new SplittableRandom(SEED + 2);
        List<Ev> evs = new ArrayList<>();
        try (PartitionLog log = create(1 << 30)) {
            appendWrites(log, 1, 1, evs, r);
            evs.clear();
            log.append(List.of(batch(List.of(new Ev(new byte[] {1}, new byte[1000])),
                    List.of(DataView.of(new byte[1000])))));
            for (int i = 0; i < 4; i++) {
                log.append(List.of(batch(List.of(new Ev(new byte[] {2}, new byte[10])),
                        List.of(DataView.of(new byte[10])))));
            }
        }
        long dataSize = Files.size(dir.resolve(DATA));
        truncate(DATA, dataSize - 25); // the data of the last three events (10 bytes each) is gone
        try (PartitionLog log = open(1 << 30)) {
            assertEquals(3, log.bounds().next(), "events whose data is cut are not committed");
            assertEquals(3, log.append(List.of(batch(List.of(new Ev(new byte[] {3}, new byte[0])),
                    List.of(DataView.EMPTY)))).firstIds()[0]);
        }
    }

    @Test
    void aDamagedRecordInAnEarlierWriteShouldFailItsReadAndNeverBeCut() throws Exception {
        SplittableRandom r = new SplittableRandom(SEED + 3);
        List<Ev> evs = new ArrayList<>();
        try (PartitionLog log = create(1 << 30)) {
            appendWrites(log, 2, 5, evs, r);
        }
        flipBit(INDEX, 64 + 48 * 2 + 17, 3); // record 2, inside the first write
        try (PartitionLog log = open(1 << 30)) {
            assertEquals(10, log.bounds().next(), "a damaged record is not a torn tail");
            IncomingBatch b = log.read(0, 100, Long.MAX_VALUE);
            assertEquals(2, b.count(), "the batch stops before the damaged record");
            CorruptDataException e = assertThrows(CorruptDataException.class, () -> log.read(2, 100, Long.MAX_VALUE));
            assertTrue(e.getMessage().contains("partition 0 event 2"), e.getMessage());
            assertEquals(7, log.read(3, 100, Long.MAX_VALUE).count(), "the events after it read normally");
            List<Ev> more = new ArrayList<>();
            assertEquals(10, appendWrites(log, 1, 1, more, r)[0], "nothing was cut");
        }
    }

    @Test
    void damagedDataShouldFailOnlyTheReadsThatTouchItsBlock() throws Exception {
        byte[] data = new byte[200_000];
        new SplittableRandom(SEED + 4).nextBytes(data);
        try (PartitionLog log = create(1 << 30)) {
            log.append(List.of(batch(List.of(new Ev(new byte[] {'{', '}'}, data)), List.of(DataView.of(data)))));
        }
        flipBit(DATA, 64 + 2 * 65_536 + 100, 0); // inside 4 KiB block 32 of event 0
        try (PartitionLog log = open(1 << 30)) {
            DataDescriptor whole = DataDescriptor.of(0, data.length);
            DataRequest all = new DataRequest(0, 0, whole, DataView.of(ByteBuffer.allocate(data.length)));
            log.readData(List.of(all));
            assertNotNull(all.error(), "the whole event touches the damaged block");
            assertTrue(all.error() instanceof CorruptDataException && all.error().getMessage().contains("event 0")
                    && all.error().getMessage().contains("data block 32 (bytes [131072, 135168)"),
                    all.error().getMessage());
            DataDescriptor head = whole.makeSubView(1000, 100_000);
            DataRequest part = new DataRequest(0, 0, head, DataView.of(ByteBuffer.allocateDirect(100_000)));
            log.readData(List.of(part));
            assertNull(part.error(), "a selection inside blocks 0 to 24 does not touch the damage");
            assertArrayEquals(Arrays.copyOfRange(data, 1000, 101_000), part.target().toByteArray());
            DataDescriptor after = whole.makeSubView(135_168, 60_000); // from block 33 on, in the same 64 KiB
            DataRequest next = new DataRequest(0, 0, after, DataView.of(ByteBuffer.allocate(60_000)));
            log.readData(List.of(next));
            assertNull(next.error(), "the 4 KiB blocks next to the damaged one read");
            assertArrayEquals(Arrays.copyOfRange(data, 135_168, 195_168), next.target().toByteArray());
        }
    }

    /**
     * The data path checks index and metadata records with the same verifier as the metadata reads: a damaged record
     * fails that event's data read, naming the file and the offset, and the other events of the call are read.
     */
    @Test
    void aDamagedIndexOrMetadataRecordShouldFailTheDataReadNamingTheFileAndOffset() throws Exception {
        byte[][] data = new byte[3][];
        try (PartitionLog log = create(1 << 30)) {
            List<Ev> evs = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                data[i] = new byte[1000 + i];
                new SplittableRandom(SEED + 10 + i).nextBytes(data[i]);
                evs.add(new Ev(("{\"i\":" + i + "}").getBytes(java.nio.charset.StandardCharsets.UTF_8), data[i]));
            }
            log.append(List.of(batch(evs, evs.stream().map(e -> DataView.of(e.data)).toList())));
            // a second write, so that the damaged records are not in the last one (which recovery would cut)
            log.append(List.of(batch(List.of(new Ev(new byte[] {'{', '}'}, new byte[10])),
                    List.of(DataView.of(new byte[10])))));
        }
        ByteBuffer index = ByteBuffer.wrap(Files.readAllBytes(dir.resolve(INDEX))).order(ByteOrder.LITTLE_ENDIAN);
        long meta1 = IndexDescriptor.metaPosition(index, (int) IndexDescriptor.recordOffset(1));
        flipBit(INDEX, IndexDescriptor.recordOffset(0) + 3, 2);
        flipBit(META, meta1, 1);
        try (PartitionLog log = open(1 << 30)) {
            List<DataRequest> reqs = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                reqs.add(new DataRequest(0, i, DataDescriptor.of(i, data[i].length),
                        DataView.of(ByteBuffer.allocate(data[i].length))));
            }
            log.readData(reqs);
            String index0 = String.valueOf(reqs.get(0).error());
            assertTrue(reqs.get(0).error() instanceof CorruptDataException && index0.contains("event 0")
                    && index0.contains("index record fails its checksum") && index0.contains(INDEX)
                    && index0.contains("offset " + IndexDescriptor.recordOffset(0)), index0);
            String meta = String.valueOf(reqs.get(1).error());
            assertTrue(reqs.get(1).error() instanceof CorruptDataException && meta.contains("event 1")
                    && meta.contains("metadata record fails its checksum") && meta.contains(META)
                    && meta.contains("offset " + meta1), meta);
            assertNull(reqs.get(2).error(), "event 2 is intact");
            assertArrayEquals(data[2], reqs.get(2).target().toByteArray());
        }
    }

    @Test
    void twoLogsOfOnePartitionInOneJvmShouldNeverOverwriteEachOther() throws Exception {
        PartitionLog.create(dir, 0);
        ConcurrentLinkedQueue<Long> ids = new ConcurrentLinkedQueue<>();
        List<Thread> threads = new ArrayList<>();
        List<PartitionLog> logs = List.of(open(SEGMENT), open(SEGMENT), open(SEGMENT));
        for (PartitionLog log : logs) {
            Thread t = new Thread(() -> {
                for (int i = 0; i < 200; i++) {
                    byte[] d = new byte[i * 37 % 3000];
                    AppendResult res = log.append(List.of(batch(List.of(new Ev(new byte[] {'x'}, d)),
                            List.of(DataView.of(d)))));
                    assertNull(res.error());
                    ids.add(res.firstIds()[0]);
                }
            });
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join();
        }
        long[] sorted = ids.stream().mapToLong(Long::longValue).sorted().toArray();
        for (int i = 0; i < sorted.length; i++) {
            assertEquals(i, sorted[i], "every id once");
        }
        for (PartitionLog log : logs) {
            assertEquals(600, log.bounds().next());
            log.close();
        }
    }

    /**
     * The reader reuses its per-event objects from call to call on a thread: a read whose events failed (a wrong
     * descriptor, a selection past the data) leaves nothing behind that spoils the next read of the same thread, and a
     * read of many events followed by one of few (and of large data, several checksum blocks, then small) gives each
     * request exactly its bytes.
     */
    @Test
    void readsAfterFailedAndLargerReadsOnTheSameThreadGetExactlyTheirBytes() throws Exception {
        SplittableRandom r = new SplittableRandom(SEED);
        try (PartitionLog log = create(1 << 30)) {
            List<Ev> evs = new ArrayList<>();
            appendWrites(log, 1, 40, evs, r);
            for (int round = 0; round < 30; round++) {
                List<DataRequest> reqs = new ArrayList<>();
                List<byte[]> wanted = new ArrayList<>();
                List<Boolean> bad = new ArrayList<>();
                int from = r.nextInt(evs.size());
                int n = 1 + r.nextInt(evs.size() - from);
                for (int id = from; id < from + n; id++) {
                    byte[] data = evs.get(id).data;
                    if (data.length == 0) {
                        continue;
                    }
                    boolean wrong = r.nextInt(4) == 0;
                    DataDescriptor d = DataDescriptor.of(id, wrong ? data.length + 1 : data.length);
                    int off = r.nextInt(data.length);
                    DataDescriptor sel = d.makeSubView(off, data.length - off);
                    reqs.add(new DataRequest(0, id, sel, DataView.of(ByteBuffer.allocate(data.length - off))));
                    wanted.add(Arrays.copyOfRange(data, off, data.length));
                    bad.add(wrong);
                }
                log.readData(reqs);
                for (int k = 0; k < reqs.size(); k++) {
                    DataRequest q = reqs.get(k);
                    if (bad.get(k)) {
                        assertNotNull(q.error(), "round " + round + ": event " + q.eventId() + " has a wrong size");
                    } else {
                        assertNull(q.error(), "round " + round + ": event " + q.eventId());
                        assertArrayEquals(wanted.get(k), q.target().toByteArray(), "round " + round + ": event "
                                + q.eventId() + " " + q.descriptor());
                    }
                }
            }
        }
    }

    /**
     * A batch given back with {@code recycle()} lends its buffers to the thread's next batch read, which must still
     * hold exactly its own records (shorter or longer than the last); a batch not given back keeps its buffers.
     */
    @Test
    void recycledBatchBuffersAreReusedByTheNextReadOfTheThread() throws Exception {
        SplittableRandom r = new SplittableRandom(SEED);
        try (PartitionLog log = create(1 << 30)) {
            List<Ev> evs = new ArrayList<>();
            appendWrites(log, 1, 60, evs, r);
            IncomingBatch first = log.read(0, 20, Long.MAX_VALUE);
            byte[] firstBuffer = first.metadataWindow().array();
            IncomingBatch kept = log.read(20, 10, Long.MAX_VALUE);
            assertTrue(kept.metadataWindow().array() != firstBuffer, "a batch not given back keeps its buffer");
            first.release();
            first.recycle();
            long id = 20;
            for (int round = 0; round < 20 && id < evs.size(); round++) {
                IncomingBatch b = log.read(id, round == 0 ? 1 : 1 + r.nextInt(30), Long.MAX_VALUE);
                if (round == 0) {
                    assertTrue(b.metadataSize(0) > firstBuffer.length || b.metadataWindow().array() == firstBuffer,
                            "the next read of the thread reuses the given-back buffer");
                }
                for (int i = 0; i < b.count(); i++) {
                    byte[] md = new byte[b.metadataSize(i)];
                    b.metadata(i).get(md);
                    assertArrayEquals(evs.get((int) (id + i)).md, md, "round " + round + ": metadata of event "
                            + (id + i));
                    assertEquals(evs.get((int) (id + i)).data.length, b.dataSize(i));
                    assertEquals(id + i, b.location(i));
                }
                id += b.count();
                b.release();
                b.recycle();
            }
            for (int i = 0; i < kept.count(); i++) {
                byte[] md = new byte[kept.metadataSize(i)];
                kept.metadata(i).get(md);
                assertArrayEquals(evs.get(20 + i).md, md, "the batch not given back is intact: event " + (20 + i));
            }
        }
    }
}
