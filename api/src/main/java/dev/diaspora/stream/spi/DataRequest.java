package dev.diaspora.stream.spi;

import dev.diaspora.stream.DataDescriptor;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.DiasporaException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * One event's data read: fill {@link #target()} from offset 0 with exactly the bytes {@link #descriptor()} selects,
 * in flattened order. The target holds at least {@code descriptor().size()} bytes.
 *
 * <p>Ownership: the engine's. A driver uses a request only inside the {@code readData} call it was given to: the
 * engine re-aims the same object at another event ({@link #reuse}) for a later read, so a driver must not keep it.
 *
 * <p>Thread safety: confined to the fetch thread.
 */
public final class DataRequest {
    private int partition;
    private long eventId;
    private DataDescriptor descriptor;
    private DataView target;
    private DiasporaException error;

    /**
     * @param partition the event's partition
     * @param eventId the event's id
     * @param descriptor the selected data, derived from the event's own descriptor
     * @param target where to put it
     */
    public DataRequest(int partition, long eventId, DataDescriptor descriptor, DataView target) {
        reuse(partition, eventId, descriptor, target);
    }

    /**
     * Re-aims this request at another event and clears its failure: for the engine, which reuses its requests from
     * one read to the next (drivers never call it; see the class comment).
     *
     * @return this request
     */
    public DataRequest reuse(int partition, long eventId, DataDescriptor descriptor, DataView target) {
        this.partition = partition;
        this.eventId = eventId;
        this.descriptor = descriptor;
        this.target = target;
        this.error = null;
        return this;
    }

    /** Drops the references to the event's descriptor and target, so that a pooled request pins no event. */
    public void clear() {
        descriptor = null;
        target = null;
        error = null;
    }

    /** @return the event's partition */
    public int partition() {
        return partition;
    }

    /** @return the event's id */
    public long eventId() {
        return eventId;
    }

    /** @return the selection */
    public DataDescriptor descriptor() {
        return descriptor;
    }

    /** @return the view to fill */
    public DataView target() {
        return target;
    }

    /** Marks this event's read as failed; the engine fails its pull with {@code error}. */
    public void fail(DiasporaException error) {
        if (this.error == null) {
            this.error = error;
        }
    }

    /**
     * Replaces this event's failure with a more precise one, for a driver that learns the reason after a first
     * failure (the files driver: a segment that retention removed while it was read).
     */
    public void replaceFailure(DiasporaException error) {
        this.error = java.util.Objects.requireNonNull(error, "error");
    }

    /** @return the failure, or null */
    public DiasporaException error() {
        return error;
    }

    /**
     * Fills the target from the event's whole data held in memory ({@code whole}'s [position, limit)); for drivers
     * whose data arrives inline (memory, Kafka). Does not change {@code whole}'s position.
     */
    public void fillFrom(ByteBuffer whole) {
        long[] at = {0};
        int base = whole.position();
        descriptor.flatten((off, size) -> {
            if (off + size > whole.remaining()) {
                throw new DiasporaException("partition " + partition + " event " + eventId + ": selected range ["
                        + off + ", " + (off + size) + ") exceeds the data size " + whole.remaining());
            }
            at[0] += target.write(at[0], whole.slice(base + (int) off, (int) size));
        });
    }

    /** Receives one run of requests of the same partition. */
    @FunctionalInterface
    public interface PartitionRun {
        /** @param requests consecutive requests of {@code partition}, a view of the caller's list */
        void read(int partition, List<DataRequest> requests);
    }

    /**
     * Splits {@code requests} into runs of consecutive requests of the same partition, in order, so that a driver
     * storing partitions apart reads each run with one call (and can coalesce neighbouring events' reads).
     */
    public static void byPartition(List<DataRequest> requests, PartitionRun run) {
        int i = 0;
        while (i < requests.size()) {
            int p = requests.get(i).partition;
            int j = i + 1;
            while (j < requests.size() && requests.get(j).partition == p) {
                j++;
            }
            run.read(p, requests.subList(i, j));
            i = j;
        }
    }
}
