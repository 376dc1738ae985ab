package dev.diaspora.stream.spi;

import dev.diaspora.stream.DataDescriptor;
import dev.diaspora.stream.DiasporaException;
import java.nio.ByteBuffer;

/**
 * A batch of consecutive records of one partition, returned by {@link ReadSession#poll}: serialized metadata back to
 * back in one buffer, storage timestamps, and per event the data size and a driver-defined location from which the
 * engine builds the event's {@link DataDescriptor} ({@code DataDescriptor.of(location, size)}).
 *
 * <p>Ownership: the metadata buffer may be pooled; the engine calls {@link #release()} once it no longer needs it.
 * Metadata handed to users wraps it, so a driver that pools it must not reuse it while events are alive (the memory
 * and files drivers do not pool on that signal). A batch made with a {@code recycle} hook learns more: the engine
 * runs the hook (through {@link #recycle()}) when nothing it made from the batch refers to the batch's metadata buffer
 * and arrays any more (a consumer opened with {@code recycleEvents(true)} and the default serializer copies each
 * event's metadata into the event's own pooled buffer); the driver may then reuse the buffer and the arrays for a
 * later batch. The files driver does: a steady read then allocates no batch buffers.
 *
 * <p>Thread safety: immutable.
 */
public final class IncomingBatch {
    private final int partition;
    private final long firstId;
    private final int count;
    private final ByteBuffer metadata;
    private final int[] offsets;
    private final long[] timestampsNanos;
    private final long[] dataSizes;
    private final long[] locations;
    private final Runnable release;
    private final DiasporaException error;
    private final Runnable recycle;

    /**
     * @param partition the partition
     * @param firstId the EventID of the first record
     * @param count the number of records (&gt;= 1)
     * @param metadata serialized metadata back to back, from index 0 of the buffer (absolute offsets)
     * @param offsets {@code count + 1} offsets into {@code metadata}
     * @param timestampsNanos storage times, nanoseconds since the epoch
     * @param dataSizes data size of each record
     * @param locations driver-defined data location of each record
     * @param release called once when the engine is done with the batch, or null
     */
    public IncomingBatch(int partition, long firstId, int count, ByteBuffer metadata, int[] offsets,
            long[] timestampsNanos, long[] dataSizes, long[] locations, Runnable release) {
        this(partition, firstId, count, metadata, offsets, timestampsNanos, dataSizes, locations, release, null);
    }

    /**
     * A batch whose last good record is followed by one that cannot be read: the engine delivers the {@code count}
     * good records, then fails every pull from this partition with {@code error} until the consumer seeks past it.
     *
     * <p>If {@code error} is an {@link dev.diaspora.stream.EventsLostException}, the ids it names hold no event
     * (a lost tail): the engine delivers the good records, then the exception to one pull, and goes on with the
     * records after the range, which the session must return next (it has already moved past the range). Any other
     * error stops the partition until the consumer seeks.
     *
     * @param error what is wrong with record {@code firstId + count}, naming the partition and id; or null
     */
    public IncomingBatch(int partition, long firstId, int count, ByteBuffer metadata, int[] offsets,
            long[] timestampsNanos, long[] dataSizes, long[] locations, Runnable release, DiasporaException error) {
        this(partition, firstId, count, metadata, offsets, timestampsNanos, dataSizes, locations, release, error, null);
    }

    /**
     * A batch whose buffers the driver would reuse (see the class comment): the arrays may be longer than needed
     * ({@code offsets} holds at least {@code count + 1} entries, the others at least {@code count}).
     *
     * @param recycle run at most once, by {@link #recycle()}, when nothing the engine made from this batch refers to
     *     {@code metadata}, {@code offsets}, {@code timestampsNanos}, {@code dataSizes} or {@code locations} any more;
     *     or null
     */
    public IncomingBatch(int partition, long firstId, int count, ByteBuffer metadata, int[] offsets,
            long[] timestampsNanos, long[] dataSizes, long[] locations, Runnable release, DiasporaException error,
            Runnable recycle) {
        this.recycle = recycle;
        this.error = error;
        this.partition = partition;
        this.firstId = firstId;
        this.count = count;
        this.metadata = metadata;
        this.offsets = offsets;
        this.timestampsNanos = timestampsNanos;
        this.dataSizes = dataSizes;
        this.locations = locations;
        this.release = release;
    }

    /**
     * A batch that holds only an unreadable record at {@code id} (for example one that fails its checksum).
     *
     * @param error what is wrong, naming the partition and id
     */
    public static IncomingBatch failure(int partition, long id, DiasporaException error) {
        return new IncomingBatch(partition, id, 0, ByteBuffer.allocate(0), new int[1], new long[0], new long[0],
                new long[0], null, java.util.Objects.requireNonNull(error, "error"));
    }

    /** @return the error of the record after the good ones, or null */
    public DiasporaException error() {
        return error;
    }

    /** @return the partition */
    public int partition() {
        return partition;
    }

    /** @return the first EventID */
    public long firstId() {
        return firstId;
    }

    /** @return the number of records */
    public int count() {
        return count;
    }

    /** @return a view of record {@code i}'s serialized metadata (a slice; no copy) */
    public ByteBuffer metadata(int i) {
        return metadata.slice(offsets[i], offsets[i + 1] - offsets[i]);
    }

    /**
     * @return a window on the batch's metadata buffer for {@link #metadata(int, ByteBuffer)}: one object for the whole
     *     batch, independent of the buffer's own position and limit
     */
    public ByteBuffer metadataWindow() {
        return metadata.duplicate();
    }

    /**
     * Aims {@code window} (from {@link #metadataWindow()}) at record {@code i}'s serialized metadata, without making a
     * slice: for a reader that keeps no reference to the buffer once it has read it.
     *
     * @return {@code window}, its [position, limit) the record's metadata (absolute offsets)
     */
    public ByteBuffer metadata(int i, ByteBuffer window) {
        window.limit(window.capacity()).position(offsets[i]);
        return window.limit(offsets[i + 1]);
    }

    /** @return the serialized metadata size of record {@code i} */
    public int metadataSize(int i) {
        return offsets[i + 1] - offsets[i];
    }

    /** @return record {@code i}'s storage time in nanoseconds since the epoch */
    public long timestampNanos(int i) {
        return timestampsNanos[i];
    }

    /** @return record {@code i}'s data size */
    public long dataSize(int i) {
        return dataSizes[i];
    }

    /** @return record {@code i}'s driver-defined data location */
    public long location(int i) {
        return locations[i];
    }

    /** @return the descriptor of record {@code i}'s whole data */
    public DataDescriptor descriptor(int i) {
        return DataDescriptor.of(locations[i], dataSizes[i]);
    }

    /** Releases pooled resources; called once by the engine. */
    public void release() {
        if (release != null) {
            release.run();
        }
    }

    /**
     * Called by the engine, at most once and after {@link #release()}, when nothing it made from this batch refers to
     * the batch's metadata buffer and arrays (see the class comment): runs the driver's recycle hook, if any.
     */
    public void recycle() {
        if (recycle != null) {
            recycle.run();
        }
    }
}
