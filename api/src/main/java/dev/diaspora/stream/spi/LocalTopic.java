package dev.diaspora.stream.spi;

import dev.diaspora.stream.PartitionBounds;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What a log-structured driver (each partition an append-only log read by offset: memory, files) implements so that
 * {@link LocalReadSession} provides its consumers: reads by offset, data by descriptor, stored positions, leases, and
 * a change notifier for tailing.
 *
 * <p>Thread safety: implementations are thread-safe.
 */
public interface LocalTopic {
    /** @return the number of partitions */
    int numPartitions();

    /** @return the first retained and next EventID of {@code p} */
    PartitionBounds bounds(int p);

    /**
     * Reads up to {@code maxEvents} records of {@code p} from {@code fromId} (at least one if any exists, even if it
     * is larger than {@code maxBytes}).
     *
     * @return the batch, or null if {@code fromId} is at the end. A record that cannot be read (checksum, truncation)
     *     ends the batch: return the good records before it with the error (see
     *     {@link IncomingBatch#IncomingBatch(int, long, int, java.nio.ByteBuffer, int[], long[], long[], long[],
     *     Runnable, dev.diaspora.stream.DiasporaException)}), or {@link IncomingBatch#failure} if it is the first;
     *     the engine fails pulls from that partition until the consumer seeks past it, and other partitions go on.
     */
    IncomingBatch read(int p, long fromId, int maxEvents, long maxBytes);

    /** @return the first id of {@code p} stored at or after {@code time}, or the end */
    long idForTime(int p, Instant time);

    /** Fills data requests, as {@link ReadSession#readData}. */
    void readData(List<DataRequest> requests);

    /** @return the stored positions of {@code name} */
    Map<Integer, Long> committed(String name);

    /** Stores positions of {@code name} durably. */
    void commit(String name, Map<Integer, Long> positions);

    /**
     * Takes the lease of ({@code name}, {@code p}) for one live session; the lease must be released when the holder
     * dies (the OS releases a file lock, a server drops a connection's leases).
     *
     * @return the lease, to close when done, or null if another live session holds it
     */
    AutoCloseable tryLease(String name, int p);

    /** @return the notifier that {@link #read} callers wait on for new records */
    ChangeNotifier notifier();

    /**
     * @return the group membership of this topic's consumer names, or null if the driver has none: then a session
     *     without explicit targets takes every free partition once, when it opens (first come, first served)
     */
    default GroupMembership groups() {
        return null;
    }
}
