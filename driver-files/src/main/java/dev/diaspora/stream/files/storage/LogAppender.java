package dev.diaspora.stream.files.storage;

import dev.diaspora.stream.DataView;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.spi.OutgoingBatch;
import dev.diaspora.stream.spi.StorageClock;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The write side of one {@link PartitionLog} in this process: appends batches under the partition's append lock
 * (in-JVM lock plus file lock), after re-reading the end of the index and cutting a torn tail.
 *
 * <p>Per append: data with gathering writes straight from the producer's direct buffers (heap bytes through one
 * staging buffer), then the metadata records, then the index records, which commit the events. With
 * {@code fsync}, data and metadata are forced before the index is written and the index before the append returns.
 *
 * <p>Thread safety: every method runs under the partition's append lock (so one thread at a time in the JVM).
 */
final class LogAppender {
    private static final Logger LOG = LoggerFactory.getLogger(LogAppender.class);

    private final PartitionLog log;
    private LogConfig config; // the log's, read at each append: Driver.alterTopic may change its segment size and age
    private final CRC32C crc = new CRC32C();
    private byte[] meta = new byte[4096];
    private ByteBuffer index = ByteBuffer.allocate(64 * IndexDescriptor.RECORD_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    private GatheringWriter writer; // set for the duration of an append (its staging buffer comes from the pool)
    private final GatheringWriter writerOfAppends = new GatheringWriter(null);
    private final IdReservation ids;
    private long knownEnd = -1; // the log end after this appender's last refresh or commit
    private Path target; // the file the current step writes, named by the error if it fails
    private boolean fresh; // count, metaEnd and dataEnd describe seg's committed end under this lock hold
    // the append lock's epoch and generation at the end of this appender's last successful append (see continues)
    private long lastEpoch = Long.MIN_VALUE;
    private long lastGeneration = Long.MIN_VALUE;

    // State of the newest segment, valid between refresh() and the end of an append.
    private Segment seg;
    private long count;
    private long dataEnd;
    private long metaEnd;
    private long lastTimestamp;
    private int pending;
    private long pendingDataEnd;
    private long pendingMetaEnd;
    private Segment firstTimestampOf; // the segment whose first event's timestamp is firstTimestamp
    private long firstTimestamp;

    LogAppender(PartitionLog log) {
        this.log = log;
        this.config = log.config();
        this.ids = new IdReservation(log.dir(), log.partition(), log.where());
    }

    /**
     * @return true if this appender's state is the log's committed end without re-reading it: its last append
     *     succeeded, nobody in this JVM took the append lock since ({@code epoch} is the one after its own), and the
     *     file lock stayed held by this process since ({@code generation} unchanged), so no other process appended,
     *     rolled, skipped ids, lowered the reservation or deleted the topic in between (each needs that lock)
     */
    boolean continues(long epoch, long generation) {
        return fresh && epoch == lastEpoch + 1 && generation == lastGeneration;
    }

    /**
     * Appends the batches in order; see {@link PartitionLog#append}.
     *
     * @param continued {@link #continues} was true for this hold: steps 0-3 of FORMAT.md section 9 are skipped,
     *     except that the reservation still covers the append (raised when needed)
     * @param epoch the append lock's epoch for this hold
     * @param generation the append lock's generation for this hold
     */
    AppendResult append(List<OutgoingBatch> batches, boolean continued, long epoch, long generation) {
        long[] firstIds = new long[batches.size()];
        int committed = 0;
        ByteBuffer staging = FileIo.acquireStaging();
        writerOfAppends.use(staging);
        writer = writerOfAppends;
        lastEpoch = Long.MIN_VALUE; // set again only if this append succeeds
        config = log.config();
        try {
            if (continued) {
                pending = 0;
                pendingDataEnd = dataEnd;
                pendingMetaEnd = metaEnd;
            } else {
                fresh = false;
                refresh();
                int written = FileHeaderDescriptor.blockSize(FileHeaderDescriptor.segmentVersion);
                if (count > 0 && seg.blockSize() != written) {
                    // a segment of the older format (FORMAT.md, "Versioning"): new events go to a new segment of this
                    // one; an empty one is written in its own format until it rolls (its name is taken)
                    roll(seg.base + count);
                }
            }
            long events = 0;
            for (OutgoingBatch b : batches) {
                events += b.count();
            }
            target = log.dir().resolve(IdReservation.FILE);
            ids.cover(seg.base + count + events); // forced before any record hands these ids out
            for (int k = 0; k < batches.size(); k++) {
                OutgoingBatch b = batches.get(k);
                if (count + pending > 0 && (wouldOverflow(b) || tooOld())) {
                    commit();
                    committed = k;
                    roll(seg.base + count);
                }
                firstIds[k] = seg.base + count + pending;
                stage(b);
            }
            commit();
            committed = batches.size();
            lastEpoch = epoch;
            lastGeneration = generation;
        } catch (IOException | RuntimeException e) {
            DiasporaException d = e instanceof DiasporaException ? (DiasporaException) e
                    : StorageErrors.appendFailed(log.where(), target != null ? target : log.dir(), e);
            rollBack();
            return new AppendResult(java.util.Arrays.copyOf(firstIds, committed), committed, d);
        } finally {
            writer = null;
            writerOfAppends.use(null); // the staging buffer goes back to the pool
            target = null;
            FileIo.release(staging);
        }
        return new AppendResult(firstIds, committed, null);
    }

    /**
     * After a failed append (full disk, I/O error), under the append lock: cuts what it wrote past the committed end
     * of the newest segment, so that no index record of a failed batch stays visible (a write that stopped midway
     * may have left whole records of the batch) and the space the failed batch took is given back at once. If the
     * cut fails too, the next append's {@link #refresh} cuts the same torn tail (the cached tail is forgotten).
     */
    private void rollBack() {
        pending = 0;
        if (seg == null) {
            return;
        }
        try {
            if (!fresh) {
                return; // the committed end is not known under this lock hold: refresh() cuts what is torn
            }
            if (seg.writer(Segment.INDEX).size() > IndexDescriptor.recordOffset(count)) {
                seg.writer(Segment.INDEX).truncate(IndexDescriptor.recordOffset(count));
            }
            if (seg.writer(Segment.META).size() > metaEnd) {
                seg.writer(Segment.META).truncate(metaEnd);
            }
            if (seg.writer(Segment.DATA).size() > dataEnd) {
                seg.writer(Segment.DATA).truncate(dataEnd);
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("{}: could not cut the failed append yet ({}); the next append cuts it", log.where(),
                    e.toString());
        } finally {
            seg.forgetTail(); // re-read from the files next time
        }
    }

    /** Finds the newest segment (another process may have rolled), computes its committed end and cuts the rest. */
    private void refresh() throws IOException {
        Segment s = log.newestSegment(crc);
        if (s != seg) {
            if (seg != null) {
                seg.closeWriters();
            }
            seg = s;
        }
        Segment.Tail t = s.tail(crc);
        boolean repaired = false;
        FileChannel wi = s.writer(Segment.INDEX);
        long isz = t.indexSize(); // the index's size as tail() just measured it (one fstat, not two)
        if (isz < FileHeaderDescriptor.LENGTH) {
            rewriteHeader(s, Segment.INDEX);
            t = new Segment.Tail(0, 0, FileHeaderDescriptor.LENGTH, FileHeaderDescriptor.LENGTH,
                    FileHeaderDescriptor.LENGTH, Long.MIN_VALUE);
            repaired = true;
        } else if (isz > IndexDescriptor.recordOffset(t.count())) {
            wi.truncate(IndexDescriptor.recordOffset(t.count()));
            repaired = true;
        }
        repaired |= cut(s, Segment.META, t.metaEnd());
        repaired |= cut(s, Segment.DATA, t.dataEnd());
        if (repaired) {
            LOG.warn("{}: cut a torn tail in segment {}; the log now ends at EventID {} (an earlier writer stopped in"
                    + " the middle of an append, or a file was cut or damaged)", log.where(), s.base, s.base + t.count());
            if (config.fsync()) {
                forceAll(s);
            }
            t = new Segment.Tail(t.count(), t.count(), IndexDescriptor.recordOffset(t.count()), t.metaEnd(),
                    t.dataEnd(), t.lastTimestamp());
            s.committed(t);
        }
        count = t.count();
        dataEnd = t.dataEnd();
        metaEnd = t.metaEnd();
        lastTimestamp = t.count() > 0 ? t.lastTimestamp() : log.lastTimestampBefore(s, crc);
        pending = 0;
        pendingDataEnd = dataEnd;
        pendingMetaEnd = metaEnd;
        long end = s.base + count;
        ids.load();
        long next = ids.next(end, repaired, log.positionsFloor());
        int reason = ids.reason();
        GapLinks.Gap dangling = end != knownEnd ? log.gaps().find(end) : null; // a skip whose writer died midway
        if (dangling != null && dangling.next() >= next) {
            next = dangling.next();
            reason = dangling.reason();
        }
        if (next > end) {
            skip(end, next, reason, dangling);
        }
        knownEnd = seg.base + count;
        fresh = true;
    }

    /**
     * Continues the log at {@code next} instead of {@code end}: the ids between may have been read before a crash
     * lost them, so they are never given again (FORMAT.md 9.1). Reservation first, then the link, then the segment.
     */
    private void skip(long end, long next, int reason, GapLinks.Gap existing) throws IOException {
        ids.cover(next);
        if (existing == null || existing.next() != next) {
            log.gaps().write(end, next, reason);
        }
        LOG.warn("{}: EventIDs {} to {} are skipped and hold no event: {}. Consumers whose position lies in the"
                + " range receive an EventsLostException and continue at {}", log.where(), end, next - 1,
                new GapLinks.Gap(end, next, reason).why(), next);
        roll(next);
    }

    private boolean cut(Segment s, int kind, long end) throws IOException {
        FileChannel ch = s.writer(kind);
        long size = ch.size();
        if (size < FileHeaderDescriptor.LENGTH) {
            rewriteHeader(s, kind);
            return true;
        }
        if (size > end) {
            ch.truncate(end);
            return true;
        }
        return false;
    }

    private void rewriteHeader(Segment s, int kind) throws IOException {
        FileChannel ch = s.writer(kind);
        ch.truncate(0);
        FileIo.writeFully(ch, s.freshHeader(kind), 0);
        s.headerRewritten(kind);
    }

    private static void forceAll(Segment s) throws IOException {
        for (int k = 0; k < 3; k++) {
            s.writer(k).force(false);
        }
    }

    /** @return true if {@code segment.ms} is set and the newest segment's first committed event is that old */
    private boolean tooOld() throws IOException {
        if (config.segmentMs() <= 0 || count == 0) {
            return false;
        }
        if (firstTimestampOf != seg) {
            ByteBuffer rec = seg.readRecords(0, 1);
            if (rec.limit() < IndexDescriptor.RECORD_SIZE) {
                return false;
            }
            firstTimestamp = IndexDescriptor.timestamp(rec, 0);
            firstTimestampOf = seg;
        }
        return firstTimestamp <= StorageClock.nowNanos() - config.segmentMs() * 1_000_000L;
    }

    private boolean wouldOverflow(OutgoingBatch b) throws IOException {
        int blockSize = seg.blockSize();
        long limit = config.segmentSize();
        long metaBytes = 0;
        for (int i = 0; i < b.count(); i++) {
            metaBytes += b.metadataSize(i) + 4 * IndexDescriptor.blockCount(b.data(i).size(), blockSize);
        }
        return pendingDataEnd + b.dataBytes() > limit || pendingMetaEnd + metaBytes > limit
                || IndexDescriptor.recordOffset(count + pending + b.count()) > limit;
    }

    /** Writes a batch's data and metadata records and prepares its index records. */
    private void stage(OutgoingBatch b) throws IOException {
        int n = b.count();
        int blockSize = seg.blockSize(); // the segment's own: a segment never mixes format versions
        long metaBytes = 0;
        for (int i = 0; i < n; i++) {
            metaBytes += b.metadataSize(i) + 4 * IndexDescriptor.blockCount(b.data(i).size(), blockSize);
        }
        if (metaBytes > Integer.MAX_VALUE - 8) {
            throw new DiasporaException(log.where() + ": a batch of " + n + " events carries " + metaBytes
                    + " bytes of metadata, more than one append can write (2 GiB)");
        }
        if (meta.length < metaBytes) {
            meta = new byte[(int) Math.max(metaBytes, Math.min(Integer.MAX_VALUE - 8L, meta.length * 2L))];
        }
        int needIndex = (pending + n) * IndexDescriptor.RECORD_SIZE;
        if (index.capacity() < needIndex) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(needIndex, index.capacity() * 2))
                    .order(ByteOrder.LITTLE_ENDIAN);
            bigger.put(0, index, 0, pending * IndexDescriptor.RECORD_SIZE);
            index = bigger;
        }
        long now = nowNanos();
        int at = 0;
        long dataOffset = 0;
        for (int i = 0; i < n; i++) {
            DataView d = b.data(i);
            long dataLength = d.size();
            int start = at;
            b.copyMetadata(i, meta, at);
            at += b.metadataSize(i);
            at = blockCrcs(d, meta, at, blockSize);
            crc.reset();
            crc.update(meta, start, at - start);
            int metaCrc = (int) crc.getValue();
            long ts = Math.max(b.hasTimestamps() ? b.timestampNanos(i) : now, lastTimestamp);
            lastTimestamp = ts;
            IndexDescriptor.encode(index, pending * IndexDescriptor.RECORD_SIZE, pendingMetaEnd + start, at - start,
                    metaCrc, pendingDataEnd + dataOffset, dataLength, ts, pending, crc);
            pending++;
            dataOffset += dataLength;
        }
        target = seg.path(Segment.DATA);
        writer.begin(seg.writer(Segment.DATA), pendingDataEnd);
        for (int i = 0; i < n; i++) {
            DataView d = b.data(i);
            for (int s = 0; s < d.segmentCount(); s++) {
                writer.add(d.segment(s).duplicate()); // never the producer's own buffer: its position must not move
            }
        }
        pendingDataEnd = writer.finish();
        target = seg.path(Segment.META);
        writer.begin(seg.writer(Segment.META), pendingMetaEnd);
        writer.addBytes(meta, 0, at);
        pendingMetaEnd = writer.finish();
    }

    /**
     * Computes one CRC32C per block of {@code blockSize} bytes of {@code d} (absolute reads, no copy) into {@code out}
     * at {@code at}.
     */
    private int blockCrcs(DataView d, byte[] out, int at, int blockSize) {
        long fill = 0;
        crc.reset();
        for (int s = 0; s < d.segmentCount(); s++) {
            ByteBuffer dup = d.segment(s).duplicate();
            while (dup.hasRemaining()) {
                int take = (int) Math.min(dup.remaining(), blockSize - fill);
                int lim = dup.limit();
                dup.limit(dup.position() + take);
                crc.update(dup); // moves the duplicate's position to its limit
                dup.limit(lim);
                fill += take;
                if (fill == blockSize) {
                    at = putIntLe(out, at, (int) crc.getValue());
                    crc.reset();
                    fill = 0;
                }
            }
        }
        if (fill > 0) {
            at = putIntLe(out, at, (int) crc.getValue());
        }
        return at;
    }

    private static int putIntLe(byte[] a, int at, int v) {
        a[at] = (byte) v;
        a[at + 1] = (byte) (v >>> 8);
        a[at + 2] = (byte) (v >>> 16);
        a[at + 3] = (byte) (v >>> 24);
        return at + 4;
    }

    /** Writes the pending index records: the commit point. */
    private void commit() throws IOException {
        if (pending == 0) {
            return;
        }
        if (config.fsync()) {
            target = seg.path(Segment.DATA);
            seg.writer(Segment.DATA).force(false);
            target = seg.path(Segment.META);
            seg.writer(Segment.META).force(false);
        }
        target = seg.path(Segment.INDEX);
        writer.begin(seg.writer(Segment.INDEX), IndexDescriptor.recordOffset(count));
        writer.addBytes(index.array(), 0, pending * IndexDescriptor.RECORD_SIZE);
        long end = writer.finish();
        if (config.fsync()) {
            seg.writer(Segment.INDEX).force(false);
        }
        count += pending;
        pending = 0;
        dataEnd = pendingDataEnd;
        metaEnd = pendingMetaEnd;
        seg.committed(new Segment.Tail(count, count, end, metaEnd, dataEnd, lastTimestamp));
        knownEnd = seg.base + count;
    }

    /** Starts a new segment at the next EventID: data and metadata files first, the index last (by rename). */
    private void roll(long newBase) throws IOException {
        fresh = false;
        Path dir = log.dir();
        int p = seg.partition;
        createFile(dir.resolve(Segment.fileName(newBase, Segment.suffix(Segment.DATA))),
                FileHeaderDescriptor.encode(FileHeaderDescriptor.KIND_DATA, newBase, p));
        createFile(dir.resolve(Segment.fileName(newBase, Segment.suffix(Segment.META))),
                FileHeaderDescriptor.encode(FileHeaderDescriptor.KIND_META, newBase, p));
        Path tmp = dir.resolve(Segment.fileName(newBase, ".index.tmp"));
        createFile(tmp, FileHeaderDescriptor.encode(FileHeaderDescriptor.KIND_INDEX, newBase, p));
        Files.move(tmp, dir.resolve(Segment.fileName(newBase, Segment.suffix(Segment.INDEX))),
                StandardCopyOption.ATOMIC_MOVE);
        if (config.fsync()) {
            DirectoryTrees.forceDirectory(dir);
        }
        seg.closeWriters();
        seg = log.addSegment(newBase);
        count = 0;
        pending = 0;
        dataEnd = FileHeaderDescriptor.LENGTH;
        metaEnd = FileHeaderDescriptor.LENGTH;
        pendingDataEnd = dataEnd;
        pendingMetaEnd = metaEnd;
        seg.committed(new Segment.Tail(0, 0, FileHeaderDescriptor.LENGTH, metaEnd, dataEnd, Long.MIN_VALUE));
        fresh = true;
        LOG.debug("{}: rolled to a new segment at EventID {}", log.where(), newBase);
    }

    private void createFile(Path file, ByteBuffer header) throws IOException {
        target = file;
        try (FileChannel ch = Segment.openForWriting(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            FileIo.writeFully(ch, header, 0);
            if (config.fsync()) {
                ch.force(false);
            }
        }
    }

    /**
     * A clean close, under the append lock: forces the newest segment (and its directory), then lowers the id
     * reservation to the log end, so that the next writer, even after a machine restart, continues right there.
     */
    void closeClean() {
        try {
            refresh();
            forceAll(seg);
            DirectoryTrees.forceDirectory(log.dir());
            ids.lower(seg.base + count);
        } catch (IOException | RuntimeException e) {
            LOG.warn("{}: could not lower the EventID reservation on close ({}); the next writer after a machine"
                    + " restart will skip the reserved ids", log.where(), e.toString());
        }
    }

    /** Closes the writer channels. */
    void close() {
        if (seg != null) {
            seg.closeWriters();
        }
        ids.close();
    }

    /** @return the storage time: {@link StorageClock} (the system clock, moved forward by tests) */
    static long nowNanos() {
        return StorageClock.nowNanos();
    }
}
