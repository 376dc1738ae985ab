package dev.diaspora.stream;

/**
 * What a consumer does when a partition's position lies below the first event the topic still retains (retention
 * dropped the events there): a stored position of its name, a {@code seek}, or a consumer that fell behind while
 * reading. Set with {@link ConsumerOptions#onExpiredPosition(ExpiredPositionPolicy)}. Every case is logged at WARN
 * and the ids passed over are counted in {@link ConsumerMetrics#eventsExpired()}.
 *
 * <p>Thread safety: immutable.
 */
public enum ExpiredPositionPolicy {
    /** Go on at the first retained event (the default): nothing retained is missed. */
    EARLIEST,
    /** Go on at the end of the partition: only events stored from now on are read. */
    LATEST,
    /**
     * Fail every pull of that partition with a {@link PositionExpiredException} naming the partition, the position
     * and the first retained id, until the consumer seeks ({@code seek(p, StartAt.EARLIEST)} for instance); the other
     * partitions go on.
     */
    FAIL
}
