package dev.diaspora.stream.files.storage;

import dev.diaspora.stream.CorruptDataException;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.EventsLostException;
import dev.diaspora.stream.PartitionBounds;
import dev.diaspora.stream.spi.IncomingBatch;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The record side of a {@link PartitionLog}'s reads: batches of index and metadata records, where an event's data
 * lies, and time lookup. Every record is checked by a {@link RecordVerifier} before it is trusted.
 *
 * <p>Thread safety: thread-safe (stateless; each call uses its own verifier; the buffer of index records a batch read
 * goes through is the reading thread's, reused from call to call: it is not part of the batch; a batch's own buffers
 * are the thread's too when the engine gave them back, see {@link BatchBuffers}). Readers never lock and never change
 * a file: the index record is the commit point.
 */
final class RecordReader {
    /** Each reading thread's buffer of index records, grown to the largest batch it read (at most 512 KiB). */
    private static final ThreadLocal<ByteBuffer[]> RECORDS = ThreadLocal.withInitial(() -> new ByteBuffer[1]);
    /** Each reading thread's batch buffers that the engine gave back (see {@link BatchBuffers}). */
    private static final ThreadLocal<BatchBuffers.Spare> SPARE = ThreadLocal.withInitial(BatchBuffers.Spare::new);

    private final PartitionLog log;

    RecordReader(PartitionLog log) {
        this.log = log;
    }

    /**
     * Reads up to {@code maxEvents} committed records from {@code fromId} (at least one if any, whatever its size),
     * within one segment: the index records, then the metadata of all of them in one positional read, each checked
     * against its CRC. The batch stops before the first damaged record; if that is the first one, this throws.
     *
     * @return the batch (locations are the EventIDs), or null at the committed end
     * @throws CorruptDataException if the record at {@code fromId} is damaged
     * @throws EventsLostException if {@code fromId} lies in a lost range (its last id says where the log goes on)
     */
    IncomingBatch readRecords(long fromId, int maxEvents, long maxBytes) {
        try {
            RecordVerifier verify = new RecordVerifier();
            Segment s = log.segmentFor(fromId, verify.crc());
            if (s == null) {
                return null;
            }
            Segment.Tail t = s.tail(verify.crc());
            int bs = s.blockSize();
            long idx = fromId - s.base;
            int n = (int) Math.min(Math.max(1, maxEvents), t.count() - idx);
            ByteBuffer[] reuse = RECORDS.get();
            ByteBuffer recs = s.readRecords(idx, n, reuse[0]);
            if (recs.capacity() <= 512 * 1024) {
                reuse[0] = recs;
            }
            n = Math.min(n, recs.limit() / IndexDescriptor.RECORD_SIZE);
            int k = 0;
            long bytes = 0;
            long metaStart = -1;
            long metaEndPos = -1;
            for (int i = 0; i < n; i++) {
                int at = i * IndexDescriptor.RECORD_SIZE;
                String problem = verify.indexProblem(recs, at, s, idx + i);
                if (problem != null) {
                    if (i == 0) {
                        throw log.corrupt(fromId, problem);
                    }
                    break;
                }
                long mpos = IndexDescriptor.metaPosition(recs, at);
                long mlen = Integer.toUnsignedLong(IndexDescriptor.metaLength(recs, at));
                long dlen = IndexDescriptor.dataLength(recs, at);
                long mdLen = mlen - 4 * IndexDescriptor.blockCount(dlen, bs);
                if (i > 0 && (mpos != metaEndPos || metaEndPos + mlen - metaStart > Integer.MAX_VALUE - 8
                        || bytes + mdLen + dlen > maxBytes)) {
                    break;
                }
                if (i == 0) {
                    metaStart = mpos;
                }
                metaEndPos = mpos + mlen;
                bytes += mdLen + dlen;
                k++;
            }
            if (k == 0) {
                return null; // the index shrank under us (cut by hand): nothing to read yet
            }
            int metaLen = (int) (metaEndPos - metaStart);
            BatchBuffers buf = BatchBuffers.take(SPARE.get(), k, metaLen);
            byte[] meta = buf.meta;
            int got = FileIo.readFully(s.reader(Segment.META), ByteBuffer.wrap(meta, 0, metaLen), metaStart);
            int[] offsets = buf.offsets;
            long[] ts = buf.timestamps;
            long[] sizes = buf.sizes;
            long[] locations = buf.locations;
            int src = 0;
            int dst = 0;
            int good = 0;
            for (int i = 0; i < k; i++) {
                int at = i * IndexDescriptor.RECORD_SIZE;
                int mlen = IndexDescriptor.metaLength(recs, at);
                long dlen = IndexDescriptor.dataLength(recs, at);
                String problem = verify.metadataProblem(recs, at, meta, src, got, s, metaStart + src);
                if (problem != null) {
                    if (i == 0) {
                        throw log.corrupt(fromId, problem);
                    }
                    break;
                }
                int mdLen = (int) (mlen - 4 * IndexDescriptor.blockCount(dlen, bs));
                if (dst != src) {
                    System.arraycopy(meta, src, meta, dst, mdLen); // drop the data CRCs: metadata back to back
                }
                offsets[i] = dst;
                dst += mdLen;
                offsets[i + 1] = dst;
                src += mlen;
                ts[i] = IndexDescriptor.timestamp(recs, at);
                sizes[i] = dlen;
                locations[i] = fromId + i; // the location is the EventID; data reads look the record up again
                good++;
            }
            return new IncomingBatch(log.partition(), fromId, good, ByteBuffer.wrap(meta), offsets, ts, sizes, locations,
                    null, null, buf);
        } catch (IOException e) {
            throw log.ioFailure("read", e);
        }
    }

    /**
     * Where event {@code id}'s data lies, with its block checksums (the index and metadata records are verified; the
     * data is not read).
     *
     * @throws DiasporaException if the event does not exist, its data size is not {@code dataSize}, or its records
     *     are damaged ({@link CorruptDataException})
     */
    StoredData storedData(long id, long dataSize) {
        try {
            RecordVerifier verify = new RecordVerifier();
            Segment s = log.segmentFor(id, verify.crc());
            if (s == null || id >= s.base + s.tail(verify.crc()).count()) {
                throw new DiasporaException(log.where() + ": event " + id + " does not exist (next EventID is "
                        + log.bounds().next() + ")");
            }
            ByteBuffer rec = s.readRecords(id - s.base, 1);
            String problem = verify.indexProblem(rec, 0, s, id - s.base);
            if (problem != null) {
                throw log.corrupt(id, problem);
            }
            long pos = IndexDescriptor.dataPosition(rec, 0);
            long len = IndexDescriptor.dataLength(rec, 0);
            if (dataSize != len) {
                throw new DiasporaException(log.where() + " event " + id + ": the descriptor describes " + dataSize
                        + " bytes but the event holds " + len);
            }
            int mlen = IndexDescriptor.metaLength(rec, 0);
            ByteBuffer meta = ByteBuffer.allocate(mlen);
            long metaPosition = IndexDescriptor.metaPosition(rec, 0);
            int got = FileIo.readFully(s.reader(Segment.META), meta, metaPosition);
            problem = verify.metadataProblem(rec, 0, meta.array(), 0, got, s, metaPosition);
            if (problem != null) {
                throw log.corrupt(id, problem);
            }
            int bs = s.blockSize();
            int nb = (int) IndexDescriptor.blockCount(len, bs);
            ByteBuffer tail = ByteBuffer.wrap(meta.array(), mlen - 4 * nb, 4 * nb).slice()
                    .order(java.nio.ByteOrder.LITTLE_ENDIAN);
            int[] crcs = new int[nb];
            for (int b = 0; b < nb; b++) {
                crcs[b] = tail.getInt(4 * b);
            }
            return new StoredData(s.path(Segment.DATA), pos, len, bs, crcs);
        } catch (IOException e) {
            throw log.ioFailure("read", e);
        }
    }

    /** @return the first EventID stored at or after {@code nanos} (since the epoch), or the next EventID */
    long idForTime(long nanos) {
        try {
            RecordVerifier verify = new RecordVerifier();
            PartitionBounds b = log.bounds();
            long lo = b.first();
            long hi = b.next();
            while (lo < hi) {
                long mid = lo + (hi - lo) / 2;
                long ts = timestampOf(mid, verify);
                if (ts < nanos) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            return lo;
        } catch (IOException e) {
            throw log.ioFailure("search", e);
        }
    }

    private long timestampOf(long id, RecordVerifier verify) throws IOException {
        Segment s;
        try {
            s = log.segmentFor(id, verify.crc());
        } catch (EventsLostException e) { // a lost id sorts with the last event before its range
            return log.timestampBefore(id, verify.crc());
        }
        if (s == null) {
            return Long.MAX_VALUE;
        }
        ByteBuffer rec = s.readRecords(id - s.base, 1);
        String problem = verify.indexProblem(rec, 0, s, id - s.base);
        if (problem != null) {
            throw log.corrupt(id, problem + " (time lookup)");
        }
        return IndexDescriptor.timestamp(rec, 0);
    }
}
