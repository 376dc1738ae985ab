package dev.diaspora.stream.memory;

import dev.diaspora.stream.DataView;
import dev.diaspora.stream.PartitionBounds;
import dev.diaspora.stream.spi.DataRequest;
import dev.diaspora.stream.spi.IncomingBatch;
import dev.diaspora.stream.spi.OutgoingBatch;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * One partition: an append-only list of records. This is the storage a real driver replaces (a log file, a broker,
 * a server). Appends copy metadata and data, because the producer reuses its buffers once the push completes.
 *
 * <p>Thread safety: thread-safe; appends are serialized by the partition's monitor, which is the driver's "append
 * lock": ids and timestamps are assigned under it.
 */
final class MemoryPartition {
    private record Record(byte[] metadata, byte[] data, long timestampNanos) {
    }

    private final int index;
    private final List<Record> records = new ArrayList<>(); // guarded by this
    private long lastTimestamp; // guarded by this

    MemoryPartition(int index) {
        this.index = index;
    }

    /** Appends a batch; returns the id of its first event. */
    synchronized long append(OutgoingBatch batch) {
        long first = records.size();
        long now = nowNanos();
        for (int i = 0; i < batch.count(); i++) {
            byte[] md = new byte[batch.metadataSize(i)];
            batch.copyMetadata(i, md, 0);
            DataView data = batch.data(i);
            long ts = batch.hasTimestamps() ? batch.timestampNanos(i) : now;
            ts = Math.max(ts, lastTimestamp); // non-decreasing, so time lookup can binary search
            lastTimestamp = ts;
            records.add(new Record(md, data.toByteArray(), ts));
        }
        return first;
    }

    synchronized PartitionBounds bounds() {
        return new PartitionBounds(0, records.size());
    }

    /** Reads up to {@code maxEvents} records from {@code fromId}; null at the end. */
    synchronized IncomingBatch read(long fromId, int maxEvents, long maxBytes) {
        if (fromId >= records.size()) {
            return null;
        }
        int from = (int) fromId;
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
            locations[i] = from + i; // the location is the id: this driver needs nothing more to find the data
        }
        return new IncomingBatch(index, fromId, n, ByteBuffer.wrap(md), offsets, ts, sizes, locations, null);
    }

    /** Copies exactly the selected bytes of one event into the request's target. */
    void readData(DataRequest request) {
        Record r;
        synchronized (this) {
            r = records.get((int) request.descriptor().locationAsLong());
        }
        request.fillFrom(ByteBuffer.wrap(r.data));
    }

    /** @return the first id stored at or after {@code nanos}, or the end */
    synchronized long idForTime(long nanos) {
        int lo = 0;
        int hi = records.size();
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (records.get(mid).timestampNanos < nanos) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    static long nowNanos() {
        java.time.Instant now = java.time.Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }
}
