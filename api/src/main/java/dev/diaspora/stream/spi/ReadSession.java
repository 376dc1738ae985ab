package dev.diaspora.stream.spi;

import dev.diaspora.stream.StartAt;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One consumer's reads: the partitions it holds, their positions, batches of records, and data by descriptor.
 *
 * <p>Thread safety: confined to the consumer's fetch thread, except {@link #wakeup()}, which any thread may call.
 * That single thread is what lets drivers whose client is not thread-safe (Kafka) commit and poll together.
 */
public interface ReadSession extends AutoCloseable {
    /**
     * @return the partitions this session reads now. It may change inside {@link #poll} (group rebalance); the engine
     *     reads it again after every poll, drops prefetched events of partitions that left, and starts delivering those
     *     that arrived (at {@link #position(int)}). Return the same instance while it does not change.
     */
    Set<Integer> assignment();

    /** @return the next EventID this session will read from {@code p} */
    long position(int p);

    /**
     * Waits at most {@code timeoutNanos} for records of an assigned, unpaused partition after its position, and
     * returns a batch of one partition (at most {@code maxEvents} events; at least one event even if it is larger than
     * {@code maxBytes}), advancing that partition's position past it. Partitions with records are served round robin.
     *
     * @return a batch, or null on timeout or {@link #wakeup()}; a batch may end with an unreadable record
     *     ({@link IncomingBatch#error()}), after which the engine pauses the partition until a seek
     */
    IncomingBatch poll(int maxEvents, long maxBytes, long timeoutNanos);

    /**
     * Fills each request's target view with exactly the bytes its descriptor selects, in flattened order. Requests
     * are sorted by partition and EventID, so consecutive ranges can be coalesced. A failure of one event is reported
     * with {@link DataRequest#fail}; a whole-call exception fails every request.
     */
    void readData(List<DataRequest> requests);

    /** Stores positions (next id to read) of this session's name durably; returns when they are durable. */
    void commit(Map<Integer, Long> positions);

    /** Moves the read position of {@code p}; returns the resolved EventID. */
    long seek(int p, StartAt position);

    /** Stops returning records of {@code p} until {@link #resume(int)}. */
    void pause(int p);

    /** Resumes {@code p}. */
    void resume(int p);

    /**
     * Called by the engine at least every 100 ms while it does not {@link #poll} (its prefetch is full), so a session
     * in a group keeps heartbeating and follows rebalances; the engine reads {@link #assignment()} again after it.
     */
    default void keepAlive() {
    }

    /**
     * Told by the engine, on the fetch thread, when the application has not pulled for
     * {@code ConsumerOptions.maxPollInterval} ({@code idle} true) and when it pulls again (false). A group member
     * leaves its group while idle (its partitions given up as on a clean leave: through
     * {@link SessionListener#revoking}, positions stored first) and rejoins when it is no longer idle; the engine reads
     * {@link #assignment()} again after the call. The default does nothing (sessions outside a group); the kafka
     * driver leaves and rejoins through Kafka's protocol.
     *
     * @return whether the session left (idle) or rejoined (not idle) a group, for the engine's log
     */
    default boolean applicationIdle(boolean idle) {
        return false;
    }

    /** Makes a blocked or the next {@link #poll} return null promptly. Any thread. */
    void wakeup();

    /** Releases the partitions (leases) and the session. Idempotent. */
    @Override
    void close();
}
