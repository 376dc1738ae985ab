package dev.diaspora.stream.files.storage;

import dev.diaspora.stream.DataDescriptor;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.spi.DataRequest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Fills data requests with positional reads of exactly the bytes they need, verifying every checksum block they touch
 * (the block of the event's segment: 4 KiB in format version 2, 64 KiB in version 1).
 *
 * <p>Per run of requests in one segment: one positional read of their index records, one of their metadata records
 * (for the data CRCs at their end; or one small read per event when the region is large), then the data. For each
 * event the selected ranges are widened to whole blocks (the unit of the data checksum), so a selected range costs at
 * most two partial blocks more than it selects; the bytes of a widened block outside the selection are read into a
 * scratch buffer, never into the target. Then:
 {@link PieceReader} reads the pieces: a selected range of at least {@value PieceReader#DIRECT_READ_MIN} bytes
 * straight into the target, smaller pieces adjacent in the file (across consecutive events) coalesced into one read.
 * Each block's CRC32C is computed over its pieces in file order (scratch, target, scratch), so the selected bytes are
 * checked where they land.
 *
 * <p>Allocation: the per-event objects (the event's state, its file pieces, its selected ranges and block checksums)
 * and the per-group buffers (index records, metadata region) live in a {@link Scratch} of the reading thread, reused
 * from call to call (a consumer's fetch thread reads again and again), so that a read allocates nothing per event
 * once the scratch has grown to the largest group. The scratch is cleared after each call, so that it pins no
 * request's target.
 *
 * <p>Thread safety: thread-safe (no shared mutable state: each thread has its scratch; staging buffers come from a
 * pool).
 */
final class DataReader {
    private static final int MAX_GROUP = 4096;
    private static final int META_REGION_MAX = 1 << 20;
    private static final java.lang.invoke.VarHandle LE_INT = java.lang.invoke.MethodHandles.byteArrayViewVarHandle(
            int[].class, ByteOrder.LITTLE_ENDIAN);

    /** Each reading thread's reusable objects; {@code busy} guards against a nested read on the same thread. */
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private final PartitionLog log;

    DataReader(PartitionLog log) {
        this.log = log;
    }

    /** One event being read; reused (see {@link #reset}). */
    private static final class Req {
        DataRequest request;
        long dataPos;
        long dataLen;
        int block; // the segment's data checksum block size
        int[] crcs = new int[1]; // the first nb entries are this event's block checksums
        boolean failed;
        int targetSeg;
        int inSeg;
        long walk; // next event offset the CRC walk expects

        Req reset(DataRequest request) {
            this.request = request;
            failed = false;
            targetSeg = 0;
            inSeg = 0;
            walk = -1;
            return this;
        }
    }

    /** One contiguous piece of the file: into the target, or into scratch (dst == null); reused. */
    private static final class Unit implements PieceReader.Piece {
        Req req;
        long filePos;
        long eventOff;
        int len;
        ByteBuffer dst;
        int dstOff;

        Unit set(Req req, long filePos, long eventOff, int len, ByteBuffer dst, int dstOff) {
            this.req = req;
            this.filePos = filePos;
            this.eventOff = eventOff;
            this.len = len;
            this.dst = dst;
            this.dstOff = dstOff;
            return this;
        }

        @Override
        public int targetOffset() {
            return dstOff;
        }

        @Override
        public long filePosition() {
            return filePos;
        }

        @Override
        public int length() {
            return len;
        }

        @Override
        public ByteBuffer target() {
            return dst;
        }
    }

    /** A thread's reusable objects for one call of {@link #read} at a time. */
    private static final class Scratch implements DataDescriptor.RangeConsumer {
        final RecordVerifier verify = new RecordVerifier();
        final List<Req> group = new ArrayList<>();
        final List<Unit> units = new ArrayList<>();
        Req[] reqs = new Req[0];
        Unit[] unitPool = new Unit[0];
        int unitsUsed;
        long[] rangeOff = new long[4];
        long[] rangeLen = new long[4];
        int ranges;
        ByteBuffer records = ByteBuffer.allocate(0);
        byte[] region = new byte[0];
        boolean busy;

        Req req(int i, DataRequest r) {
            if (i >= reqs.length) {
                Req[] more = java.util.Arrays.copyOf(reqs, Math.max(i + 1, 2 * reqs.length));
                for (int k = reqs.length; k < more.length; k++) {
                    more[k] = new Req();
                }
                reqs = more;
            }
            return reqs[i].reset(r);
        }

        Unit unit() {
            if (unitsUsed == unitPool.length) {
                Unit[] more = java.util.Arrays.copyOf(unitPool, Math.max(16, 2 * unitPool.length));
                for (int k = unitPool.length; k < more.length; k++) {
                    more[k] = new Unit();
                }
                unitPool = more;
            }
            return unitPool[unitsUsed++];
        }

        @Override
        public void accept(long offset, long size) {
            if (ranges == rangeOff.length) {
                rangeOff = java.util.Arrays.copyOf(rangeOff, 2 * ranges);
                rangeLen = java.util.Arrays.copyOf(rangeLen, 2 * ranges);
            }
            rangeOff[ranges] = offset;
            rangeLen[ranges++] = size;
        }

        byte[] region(int size) {
            if (region.length < size) {
                region = new byte[Math.max(size, Math.min(META_REGION_MAX, 2 * region.length))];
            }
            return region;
        }

        /** Drops every reference to the call's requests and their targets. */
        void clear() {
            for (Req r : reqs) {
                if (r.request == null) {
                    break;
                }
                r.request = null;
            }
            for (int i = 0; i < unitsUsed; i++) {
                unitPool[i].set(null, 0, 0, 0, null, 0);
            }
            unitsUsed = 0;
            group.clear();
            units.clear();
            busy = false;
        }
    }

    void read(List<DataRequest> requests) {
        Scratch sc = SCRATCH.get();
        if (sc.busy) {
            sc = new Scratch(); // a nested read on this thread (a driver reading inside a read): its own objects
        }
        sc.busy = true;
        try {
            read(requests, sc);
        } finally {
            sc.clear();
        }
    }

    private void read(List<DataRequest> requests, Scratch sc) {
        RecordVerifier verify = sc.verify;
        CRC32C crc = verify.crc();
        int i = 0;
        while (i < requests.size()) {
            DataRequest first = requests.get(i);
            Segment s;
            try {
                s = log.segmentFor(first.eventId(), crc);
            } catch (IOException | DiasporaException e) {
                first.fail(e instanceof DiasporaException ? (DiasporaException) e : log.ioFailure("read", (IOException) e));
                i++;
                continue;
            }
            if (s == null) {
                first.fail(new DiasporaException(log.where() + " event " + first.eventId() + " does not exist"));
                i++;
                continue;
            }
            long end;
            try {
                end = s.base + s.tail(crc).count();
            } catch (IOException e) {
                first.fail(log.ioFailure("read", e));
                i++;
                continue;
            }
            int j = i + 1;
            while (j < requests.size() && j - i < MAX_GROUP && requests.get(j).eventId() < end
                    && requests.get(j).eventId() >= first.eventId()
                    && requests.get(j).eventId() - first.eventId() < MAX_GROUP) { // one index read of <= 192 KiB
                j++;
            }
            List<Req> group = sc.group;
            group.clear();
            for (int k = i; k < j; k++) {
                group.add(sc.req(k - i, requests.get(k)));
            }
            try {
                readGroup(s, group, sc);
            } catch (IOException | RuntimeException e) {
                DiasporaException d = e instanceof DiasporaException ? (DiasporaException) e
                        : e instanceof IOException ? log.ioFailure("read", (IOException) e)
                                : new DiasporaException(log.where() + ": data read failed: " + e, e);
                for (Req r : group) {
                    r.request.fail(d); // keeps an earlier, more specific failure
                }
            }
            i = j;
        }
    }

    private void readGroup(Segment s, List<Req> group, Scratch sc) throws IOException {
        RecordVerifier verify = sc.verify;
        long lo = group.get(0).request.eventId();
        long hi = group.get(group.size() - 1).request.eventId();
        ByteBuffer recs = s.readRecords(lo - s.base, (int) (hi - lo + 1), sc.records);
        sc.records = recs;
        long regionLo = Long.MAX_VALUE;
        long regionHi = Long.MIN_VALUE;
        for (Req r : group) {
            int at = (int) (r.request.eventId() - lo) * IndexDescriptor.RECORD_SIZE;
            String problem = verify.indexProblem(recs, at, s, r.request.eventId() - s.base);
            if (problem != null) {
                fail(r, log.corrupt(r.request.eventId(), problem));
                continue;
            }
            r.dataPos = IndexDescriptor.dataPosition(recs, at);
            r.dataLen = IndexDescriptor.dataLength(recs, at);
            DataDescriptor d = r.request.descriptor();
            if (d.baseSize() != r.dataLen || d.locationAsLong() != r.request.eventId()) {
                fail(r, new DiasporaException(log.where() + " event " + r.request.eventId() + ": the descriptor ("
                        + d + ") does not describe this event's data (" + r.dataLen + " bytes)"));
                continue;
            }
            long mpos = IndexDescriptor.metaPosition(recs, at);
            long mlen = Integer.toUnsignedLong(IndexDescriptor.metaLength(recs, at));
            regionLo = Math.min(regionLo, mpos);
            regionHi = Math.max(regionHi, mpos + mlen);
        }
        int block = s.blockSize();
        for (Req r : group) {
            r.block = block;
        }
        loadCrcs(s, group, recs, lo, regionLo, regionHi, sc);
        List<Unit> units = sc.units;
        units.clear();
        for (Req r : group) {
            if (!r.failed) {
                plan(r, units, sc);
            }
        }
        execute(s, units, verify.crc());
    }

    /** Reads the data CRCs that end each event's metadata record. */
    private void loadCrcs(Segment s, List<Req> group, ByteBuffer recs, long lo, long regionLo, long regionHi,
            Scratch sc) throws IOException {
        RecordVerifier verify = sc.verify;
        FileChannel meta = s.reader(Segment.META);
        byte[] region = null;
        int got = 0;
        if (regionHi > regionLo && regionHi - regionLo <= META_REGION_MAX) {
            int size = (int) (regionHi - regionLo);
            region = sc.region(size);
            got = FileIo.readFully(meta, ByteBuffer.wrap(region, 0, size), regionLo); // the region ends at size
        }
        for (Req r : group) {
            if (r.failed) {
                continue;
            }
            int at = (int) (r.request.eventId() - lo) * IndexDescriptor.RECORD_SIZE;
            long mpos = IndexDescriptor.metaPosition(recs, at);
            int mlen = IndexDescriptor.metaLength(recs, at);
            int nb = (int) IndexDescriptor.blockCount(r.dataLen, r.block);
            if (r.crcs.length < nb) {
                r.crcs = new int[nb];
            }
            if (region != null) {
                int off = (int) (mpos - regionLo);
                String problem = verify.metadataProblem(recs, at, region, off, got, s, mpos);
                if (problem != null) {
                    fail(r, log.corrupt(r.request.eventId(), problem));
                    continue;
                }
                int from = off + mlen - 4 * nb;
                for (int b = 0; b < nb; b++) {
                    r.crcs[b] = (int) LE_INT.get(region, from + 4 * b);
                }
            } else {
                ByteBuffer tail = ByteBuffer.allocate(4 * nb).order(ByteOrder.LITTLE_ENDIAN);
                if (FileIo.readFully(meta, tail, mpos + mlen - 4L * nb) < 4 * nb) {
                    fail(r, log.corrupt(r.request.eventId(), "its metadata record lies past the end of "
                            + s.path(Segment.META) + " (file cut)"));
                    continue;
                }
                for (int b = 0; b < nb; b++) {
                    r.crcs[b] = tail.getInt(4 * b);
                }
            }
        }
    }

    /** Turns a request's selection into file pieces: whole blocks around each selected range, in file order. */
    private void plan(Req r, List<Unit> units, Scratch sc) {
        sc.ranges = 0;
        r.request.descriptor().flatten(sc);
        long[] off = sc.rangeOff;
        long[] len = sc.rangeLen;
        int n = 0;
        for (int x = 0; x < sc.ranges; x++) {
            if (len[x] > 0) {
                if (off[x] + len[x] > r.dataLen) {
                    fail(r, new DiasporaException(log.where() + " event " + r.request.eventId() + ": selected range ["
                            + off[x] + ", " + (off[x] + len[x]) + ") exceeds the data size " + r.dataLen));
                    return;
                }
                off[n] = off[x];
                len[n++] = len[x];
            }
        }
        int mark = units.size();
        int i = 0;
        while (i < n) {
            long a = floorBlock(off[i], r.block);
            long b = ceilBlock(off[i] + len[i], r.dataLen, r.block);
            int j = i + 1;
            while (j < n && floorBlock(off[j], r.block) <= b) {
                b = Math.max(b, ceilBlock(off[j] + len[j], r.dataLen, r.block));
                j++;
            }
            long cur = a;
            for (int k = i; k < j; k++) {
                scratch(r, units, cur, off[k], sc);
                if (!target(r, units, off[k], len[k], sc)) {
                    while (units.size() > mark) {
                        units.remove(units.size() - 1);
                    }
                    fail(r, new DiasporaException(log.where() + " event " + r.request.eventId() + ": the target view ("
                            + r.request.target() + ") is smaller than the selection (" + r.request.descriptor().size()
                            + " bytes)"));
                    return;
                }
                cur = off[k] + len[k];
            }
            scratch(r, units, cur, b, sc);
            i = j;
        }
    }

    private static long floorBlock(long off, int block) {
        return off / block * block;
    }

    private static long ceilBlock(long end, long dataLen, int block) {
        return Math.min((end + block - 1) / block * block, dataLen);
    }

    private static void scratch(Req r, List<Unit> units, long from, long to, Scratch sc) {
        while (from < to) { // a gap inside one widened span: never more than two blocks' worth per gap piece
            int len = (int) Math.min(to - from, r.block);
            units.add(sc.unit().set(r, r.dataPos + from, from, len, null, 0));
            from += len;
        }
    }

    /** Adds target pieces for [off, off+len) of the event, split over the target view's segments. */
    private static boolean target(Req r, List<Unit> units, long off, long len, Scratch sc) {
        DataView t = r.request.target();
        while (len > 0) {
            if (r.targetSeg >= t.segmentCount()) {
                return false;
            }
            ByteBuffer seg = t.segment(r.targetSeg);
            int room = seg.remaining() - r.inSeg;
            if (room <= 0) {
                r.targetSeg++;
                r.inSeg = 0;
                continue;
            }
            int k = (int) Math.min(room, Math.min(len, Integer.MAX_VALUE - 8));
            // the segment itself, with where the piece starts in it: no slice per event
            units.add(sc.unit().set(r, r.dataPos + off, off, k, seg, seg.position() + r.inSeg));
            r.inSeg += k;
            off += k;
            len -= k;
        }
        return true;
    }

    private void execute(Segment s, List<Unit> units, CRC32C crc) throws IOException {
        if (units.isEmpty()) {
            return;
        }
        PieceReader.read(s.reader(Segment.DATA), units, new PieceReader.Sink<>() {
            @Override
            public boolean skipped(Unit u) {
                return u.req.failed;
            }

            @Override
            public void landed(Unit u, ByteBuffer bytes) {
                feed(u.req, bytes, u.eventOff, crc, s);
            }

            @Override
            public void cut(Unit u) {
                fail(u.req, DataReader.this.cut(s, u));
            }
        });
    }

    /** Feeds bytes at event offset {@code off} to the request's block checksums, in file order. */
    private void feed(Req r, ByteBuffer bytes, long off, CRC32C crc, Segment s) {
        if (r.failed) {
            return;
        }
        if (off != r.walk) {
            r.walk = off; // a new widened span: always starts on a block boundary
        }
        int bs = r.block;
        while (bytes.hasRemaining()) {
            long block = r.walk / bs;
            if (r.walk % bs == 0) {
                crc.reset();
            }
            long blockEnd = Math.min((block + 1) * bs, r.dataLen);
            int take = (int) Math.min(bytes.remaining(), blockEnd - r.walk);
            int lim = bytes.limit();
            bytes.limit(bytes.position() + take);
            crc.update(bytes);
            bytes.limit(lim);
            r.walk += take;
            if (r.walk == blockEnd && (int) crc.getValue() != r.crcs[(int) block]) {
                fail(r, log.corrupt(r.request.eventId(), "data block " + block + " (bytes [" + block * bs + ", "
                        + blockEnd + ") of its " + r.dataLen + " bytes of data) fails its checksum ("
                        + s.path(Segment.DATA) + " offset " + (r.dataPos + block * bs) + ")"));
                return;
            }
        }
    }

    private DiasporaException cut(Segment s, Unit x) {
        return log.corrupt(x.req.request.eventId(), "its data lies past the end of " + s.path(Segment.DATA)
                + " (file cut at or before offset " + (x.filePos + x.len) + ")");
    }

    private static void fail(Req r, DiasporaException e) {
        r.failed = true;
        r.request.fail(e);
    }
}
