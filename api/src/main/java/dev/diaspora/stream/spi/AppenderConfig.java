package dev.diaspora.stream.spi;

import dev.diaspora.stream.Ordering;

/**
 * What a driver needs to know about the producer an appender serves.
 *
 * <p>Thread safety: immutable.
 *
 * @param producerName the producer's name
 * @param producerId a random id, unique per producer, for drivers that deduplicate retried batches
 * @param maxInFlight the most appends outstanding per partition
 * @param ordering the producer's ordering
 */
public record AppenderConfig(String producerName, long producerId, int maxInFlight, Ordering ordering) {
}
