package dev.diaspora.stream.spi;

import dev.diaspora.stream.DataView;
import java.nio.ByteBuffer;

/**
 * A batch of events for one partition, handed by the engine to {@link BatchAppender#append}.
 *
 * <p>Layout: the serialized metadata of all events back to back in one buffer ({@link #metadataBuffer()}, event
 * {@code i} at {@code [metadataOffset(i), metadataOffset(i+1))}), one {@link DataView} per event (the producer's own
 * buffers: not copied, valid until the append future completes, never to be modified), and optional explicit
 * timestamps (for import; otherwise the driver stamps storage time).
 *
 * <p>Thread safety: immutable once handed to the driver.
 */
public final class OutgoingBatch {
    private final int count;
    private final byte[] metadata;
    private final int[] offsets;
    private final DataView[] data;
    private final long[] timestampsNanos;
    private final long producerId;
    private final long sequence;

    /**
     * @param count number of events
     * @param metadata serialized metadata of all events, back to back (not copied)
     * @param offsets {@code count + 1} offsets into {@code metadata}
     * @param data {@code count} data views
     * @param timestampsNanos explicit timestamps (nanoseconds since the epoch), or null for storage time
     * @param producerId the producer's id
     * @param sequence the batch's sequence number within the producer and partition, from 0
     */
    public OutgoingBatch(int count, byte[] metadata, int[] offsets, DataView[] data, long[] timestampsNanos,
            long producerId, long sequence) {
        this.count = count;
        this.metadata = metadata;
        this.offsets = offsets;
        this.data = data;
        this.timestampsNanos = timestampsNanos;
        this.producerId = producerId;
        this.sequence = sequence;
    }

    /** @return the number of events */
    public int count() {
        return count;
    }

    /** @return a read-only view of all serialized metadata, back to back */
    public ByteBuffer metadataBuffer() {
        return ByteBuffer.wrap(metadata, 0, offsets[count]).slice().asReadOnlyBuffer();
    }

    /** @return the start of event {@code i}'s metadata in {@link #metadataBuffer()}; {@code i == count} gives the end */
    public int metadataOffset(int i) {
        return offsets[i];
    }

    /** @return the serialized metadata size of event {@code i} */
    public int metadataSize(int i) {
        return offsets[i + 1] - offsets[i];
    }

    /** @return a read-only view of event {@code i}'s serialized metadata */
    public ByteBuffer metadata(int i) {
        return ByteBuffer.wrap(metadata, offsets[i], offsets[i + 1] - offsets[i]).slice().asReadOnlyBuffer();
    }

    /** Copies event {@code i}'s serialized metadata into {@code dst} at {@code dstOffset}. */
    public void copyMetadata(int i, byte[] dst, int dstOffset) {
        System.arraycopy(metadata, offsets[i], dst, dstOffset, offsets[i + 1] - offsets[i]);
    }

    /** @return event {@code i}'s data: the producer's buffers; read with absolute operations or duplicates only */
    public DataView data(int i) {
        return data[i];
    }

    /** @return the total data bytes of the batch */
    public long dataBytes() {
        long n = 0;
        for (int i = 0; i < count; i++) {
            n += data[i].size();
        }
        return n;
    }

    /** @return true if the events carry explicit timestamps (import) */
    public boolean hasTimestamps() {
        return timestampsNanos != null;
    }

    /** @return event {@code i}'s explicit timestamp in nanoseconds since the epoch; only if {@link #hasTimestamps()} */
    public long timestampNanos(int i) {
        return timestampsNanos[i];
    }

    /** @return the producer's id */
    public long producerId() {
        return producerId;
    }

    /** @return the batch's sequence within its producer and partition */
    public long sequence() {
        return sequence;
    }
}
