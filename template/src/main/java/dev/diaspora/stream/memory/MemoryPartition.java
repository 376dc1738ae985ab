package dev.diaspora.stream.memory;

import dev.diaspora.stream.DataView;
import dev.diaspora.stream.PartitionBounds;
import dev.diaspora.stream.PositionExpiredException;
import dev.diaspora.stream.spi.DataRequest;
import dev.diaspora.stream.spi.IncomingBatch;
import dev.diaspora.stream.spi.OutgoingBatch;
import dev.diaspora.stream.spi.Retention;
import dev.diaspora.stream.spi.StorageClock;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * One partition: an append-only list of records. This is the storage a real driver replaces (a log file, a broker,
 * a server). Appends copy metadata and data, because the producer reuses its buffers once the push completes.
 *
 * <p>Thread safety: thread-safe; appends are serialized by the partition's monitor, which is the driver's "append
 * lock": ids and timestamps are assigned under it.
 *
 * <p>Retention ({@code retention.ms}, {@code retention.bytes}) drops events from the front, one by one (there are no
 * segments), whenever the partition is appended to, read or asked for its bounds; time comes from
 * {@link StorageClock}. Dropped records stay in the list until a compaction, so a data read of an event dropped after
 * its metadata was read still succeeds unless the compaction came first (then it fails with
 * {@link PositionExpiredException}).
 */
final class MemoryPartition {
    private record Record(byte[] metadata, byte[] data, long timestampNanos) {
    }

    private final int index;
    private volatile Retention retention; // changed by Driver.alterTopic
    private final List<Record> records = new ArrayList<>(); // guarded by this; records[i] is id offset + i
    private long offset; // guarded by this: the id of records[0]
    private long first; // guarded by this: the first retained id (>= offset)
    private long retainedBytes; // guarded by this: metadata and data bytes of the retained records
    private long lastTimestamp; // guarded by this

    MemoryPartition(int index, Retention retention) {
        this.index = index;
        this.retention = retention;
    }

    /** Applies new retention options ({@code Driver.alterTopic}); drops what they no longer keep at once. */
    synchronized void retention(Retention retention) {
        this.retention = retention;
        applyRetention();
    }

    private long end() {
        return offset + records.size();
    }

    private Record record(long id) {
        return records.get((int) (id - offset));
    }

    /** Drops what retention no longer keeps, then compacts the list when most of it is dropped. */
    private void applyRetention() {
        if (!retention.any()) {
            return;
        }
        long oldest = retention.retentionMs() > 0 ? StorageClock.nowNanos() - retention.retentionMs() * 1_000_000L
                : Long.MIN_VALUE;
        while (first < end()) {
            Record r = record(first);
            boolean tooOld = r.timestampNanos < oldest;
            boolean tooBig = retention.retentionBytes() > 0 && retainedBytes > retention.retentionBytes();
            if (!tooOld && !tooBig) {
                break;
            }
            retainedBytes -= r.metadata.length + (long) r.data.length;
            first++;
        }
        int droppedHere = (int) (first - offset);
        if (droppedHere > 64 && droppedHere > records.size() / 2) {
            records.subList(0, droppedHere).clear();
            offset = first;
        }
    }

    /** Appends a batch; returns the id of its first event. */
    synchronized long append(OutgoingBatch batch) {
        long firstId = end();
        long now = StorageClock.nowNanos();
        for (int i = 0; i < batch.count(); i++) {
            byte[] md = new byte[batch.metadataSize(i)];
            batch.copyMetadata(i, md, 0);
            DataView data = batch.data(i);
            long ts = batch.hasTimestamps() ? batch.timestampNanos(i) : now;
            ts = Math.max(ts, lastTimestamp); // non-decreasing, so time lookup can binary search
            lastTimestamp = ts;
            Record r = new Record(md, data.toByteArray(), ts);
            records.add(r);
            retainedBytes += r.metadata.length + (long) r.data.length;
        }
        applyRetention();
        return firstId;
    }

    synchronized PartitionBounds bounds() {
        applyRetention();
        return new PartitionBounds(first, end());
    }

    /** @return the metadata and data bytes of the retained events (what {@code retention.bytes} bounds) */
    synchronized long retainedBytes() {
        applyRetention();
        return retainedBytes;
    }

    /**
     * Reads up to {@code maxEvents} records from {@code fromId}; null at the end; a failure with
     * {@link PositionExpiredException} below the first retained id.
     */
    synchronized IncomingBatch read(long fromId, int maxEvents, long maxBytes) {
        applyRetention();
        if (fromId < first) {
            return IncomingBatch.failure(index, fromId, new PositionExpiredException(index, fromId, first,
                    "memory driver"));
        }
        if (fromId >= end()) {
            return null;
        }
        int from = (int) (fromId - offset);
        int n = 0;
        long bytes = 0;
        int mdBytes = 0;
        while (from + n < records.size() && n < maxEvents) {
            Record r = records.get(from + n);
            long size = r.metadata.length + (long) r.data.length;
            if (n > 0 && bytes + size > maxBytes) {
                break;
            }
            bytes += size;
            mdBytes += r.metadata.length;
            n++;
        }
        byte[] md = new byte[mdBytes];
        int[] offsets = new int[n + 1];
        long[] ts = new long[n];
        long[] sizes = new long[n];
        long[] locations = new long[n];
        for (int i = 0; i < n; i++) {
            Record r = records.get(from + i);
            System.arraycopy(r.metadata, 0, md, offsets[i], r.metadata.length);
            offsets[i + 1] = offsets[i] + r.metadata.length;
            ts[i] = r.timestampNanos;
            sizes[i] = r.data.length;
            locations[i] = fromId + i; // the location is the id: this driver needs nothing more to find the data
        }
        return new IncomingBatch(index, fromId, n, ByteBuffer.wrap(md), offsets, ts, sizes, locations, null);
    }

    /** Copies exactly the selected bytes of one event into the request's target. */
    void readData(DataRequest request) {
        Record r;
        synchronized (this) {
            long id = request.descriptor().locationAsLong();
            if (id < offset) {
                request.fail(new PositionExpiredException(index, id, first, "memory driver (reading data)"));
                return;
            }
            r = record(id);
        }
        request.fillFrom(ByteBuffer.wrap(r.data));
    }

    /** @return the first id stored at or after {@code nanos}, or the end */
    synchronized long idForTime(long nanos) {
        applyRetention();
        long lo = first;
        long hi = end();
        while (lo < hi) {
            long mid = (lo + hi) >>> 1;
            if (record(mid).timestampNanos < nanos) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }
}
