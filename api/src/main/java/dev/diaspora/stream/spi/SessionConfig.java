package dev.diaspora.stream.spi;

import dev.diaspora.stream.StartAt;

/**
 * What a driver needs to open a consumer's read session.
 *
 * <p>Thread safety: immutable.
 *
 * @param consumerName the consumer name (group), already validated: never a path
 * @param targets the explicit partitions, sorted and in range, or null for "all that are free"
 * @param startAt where partitions without a stored position start
 */
public record SessionConfig(String consumerName, int[] targets, StartAt startAt) {
}
