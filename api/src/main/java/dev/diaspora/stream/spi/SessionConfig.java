package dev.diaspora.stream.spi;

import dev.diaspora.stream.StartAt;

/**
 * What a driver needs to open a consumer's read session.
 *
 * <p>Thread safety: immutable.
 *
 * @param consumerName the consumer name (group), already validated: never a path
 * @param targets the explicit partitions, sorted and in range, or null for "all that are free" (or, for drivers with
 *     group protocols, "what the group gives")
 * @param startAt where partitions without a stored position start
 * @param listener the engine's callbacks, for sessions whose assignment can change
 */
public record SessionConfig(String consumerName, int[] targets, StartAt startAt, SessionListener listener) {
    /** A config whose session never calls back (fixed assignment). */
    public SessionConfig(String consumerName, int[] targets, StartAt startAt) {
        this(consumerName, targets, startAt, SessionListener.NONE);
    }
}
