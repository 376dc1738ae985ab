package dev.diaspora.stream.spi;

import java.util.Map;
import java.util.Set;

/**
 * The engine's side of a read session, for drivers whose partitions can be taken away while the session runs
 * (group rebalances, as in Kafka).
 *
 * <p>Threading: called only on the consumer's fetch thread, from inside {@link ReadSession#poll} (where a client such
 * as Kafka's runs its rebalance callbacks).
 */
public interface SessionListener {
    /** A listener for sessions whose assignment never changes. */
    SessionListener NONE = partitions -> Map.of();

    /**
     * The session is about to lose {@code partitions}: returns the acknowledged positions (next id to read) of those
     * partitions that are not yet committed. The session must commit them before giving the partitions up; the engine
     * then counts them as committed. After the next {@code poll} returns, the engine reads
     * {@link ReadSession#assignment()} again and drops the prefetched events of partitions no longer assigned.
     */
    Map<Integer, Long> revoking(Set<Integer> partitions);

    /**
     * Partition {@code p}'s position {@code position} lies below {@code firstRetained}, the first id the partition
     * retains (retention dropped the events there), and the session goes on at {@code resumeAt}, or stays (and fails
     * reads with {@link dev.diaspora.stream.PositionExpiredException}) if {@code resumeAt} is -1. The engine logs it
     * and counts it. The default does nothing.
     */
    default void expired(int p, long position, long firstRetained, long resumeAt) {
    }
}
