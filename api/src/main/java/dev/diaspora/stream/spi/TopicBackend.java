package dev.diaspora.stream.spi;

import dev.diaspora.stream.ConsumerGroup;
import dev.diaspora.stream.LostRange;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.PartitionBounds;
import dev.diaspora.stream.PartitionInfo;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * An open topic, as a driver sees it: partitions, stored components, appenders and read sessions.
 *
 * <p>Thread safety: implementations are thread-safe.
 */
public interface TopicBackend extends AutoCloseable {
    /** @return the topic name */
    String name();

    /**
     * @return the partitions in index order (never empty). Producers call this for every event: return a list kept
     *     ready, and a longer one once the driver knows partitions were added (see {@link Backend#addPartitions})
     */
    List<PartitionInfo> partitions();

    /** @return the component configurations stored at creation ({@link Backend#createTopic}) */
    Metadata components();

    /** @return the first retained and next EventID of partition {@code p} (checked to be in range) */
    PartitionBounds bounds(int p);

    /**
     * @return the ranges of EventIDs of partition {@code p}, between its bounds, that hold no event (see
     *     {@link dev.diaspora.stream.LostRange}); empty for drivers that never skip ids
     */
    default List<LostRange> lostRanges(int p) {
        return List.of();
    }

    /**
     * @return the bytes partition {@code p} (checked to be in range) occupies in storage, or empty if the driver does
     *     not know (the default)
     */
    default java.util.OptionalLong storedBytes(int p) {
        return java.util.OptionalLong.empty();
    }

    /**
     * @return the id of the first event of partition {@code p} stored at or after {@code time}, or
     *     {@code bounds(p).next()} if there is none
     * @throws UnsupportedOperationException if {@link Capabilities#timeLookup()} is false
     */
    long idForTime(int p, Instant time);

    /**
     * @return a new appender for one producer, owned by it: a {@link BatchAppender} (the engine batches) or a
     *     {@link RecordAppender} (the driver's client batches); never null
     */
    Appender appender(AppenderConfig config);

    /**
     * Opens a read session for one consumer: acquires the partitions (leases), resolves each one's start position
     * (stored position of the name, else {@code config.startAt()}).
     *
     * @throws dev.diaspora.stream.ConsumerConflictException if explicit targets are held by another live session of
     *     the name
     */
    ReadSession openSession(SessionConfig config);

    /** @return the consumer names with stored positions */
    Set<String> consumerNames();

    /** @return the stored positions (next id to read) of {@code name}; partitions without one are absent */
    Map<Integer, Long> committed(String name);

    /**
     * Reads the group of consumer name {@code name} without joining it (see
     * {@link dev.diaspora.stream.TopicHandle#describeGroup}). The default asks {@link LocalTopic#groups()} when this
     * backend is a {@link LocalTopic} with groups, and reports "not known" (empty) otherwise; a driver with its own
     * group protocol overrides it.
     *
     * @return the group, or empty if this driver does not report group membership
     */
    default Optional<ConsumerGroup> describeGroup(String name) {
        if (this instanceof LocalTopic) {
            GroupMembership groups = ((LocalTopic) this).groups();
            if (groups != null) {
                return groups.describe(name);
            }
        }
        return Optional.empty();
    }

    /** Stores positions of {@code name} outside any session (offline reset). */
    void storePositions(String name, Map<Integer, Long> positions);

    /** Releases the topic. Idempotent. */
    @Override
    void close();
}
