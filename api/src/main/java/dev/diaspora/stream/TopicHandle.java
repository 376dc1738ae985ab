package dev.diaspora.stream;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * An open topic: its partitions, its components, and the factory of producers and consumers.
 *
 * <p>Closing a handle closes the producers and consumers made from it. Thread safety: thread-safe.
 */
public interface TopicHandle extends AutoCloseable {
    /** @return the topic name */
    String name();

    /**
     * @return the partitions, in index order; a later call returns more once partitions are added
     *     ({@link Driver#addPartitions})
     */
    List<PartitionInfo> partitions();

    /** @return the topic's validator */
    Validator validator();

    /** @return the topic's partition selector */
    PartitionSelector selector();

    /** @return the topic's serializer */
    Serializer serializer();

    /** @return a producer with the default options */
    default Producer producer() {
        return producer(ProducerOptions.defaults());
    }

    /** @return a producer with these options */
    Producer producer(ProducerOptions options);

    /** @return a consumer with this name and the default options */
    default Consumer consumer(String name) {
        return consumer(ConsumerOptions.named(name));
    }

    /**
     * @return a consumer with these options
     * @throws ConsumerConflictException if explicit targets are held by another live consumer of the name
     */
    Consumer consumer(ConsumerOptions options);

    /**
     * @return the first retained and the next EventID of a partition
     * @throws IllegalArgumentException if the partition is out of range
     */
    PartitionBounds bounds(int partition);

    /**
     * @return the ranges of EventIDs of a partition, between its bounds, that hold no event: ids a writer skipped
     *     after a crash lost the tail of the log, or events storage lost. A consumer whose position is in one receives
     *     an {@link EventsLostException} and continues after it. Empty for drivers that never skip ids.
     * @throws IllegalArgumentException if the partition is out of range
     */
    default List<LostRange> lostRanges(int partition) {
        return List.of();
    }

    /**
     * @return the bytes partition {@code partition} occupies in the driver's storage, or empty if the driver does not
     *     report it. A snapshot, for monitoring and {@code diaspora-ctl topic describe}. {@code files}: the size of
     *     its files (events, indexes and bookkeeping); {@code memory}: the metadata and data bytes of its retained
     *     events; {@code kafka}: the size of its log on the partition's leader (each follower holds about as much
     *     again); the other drivers report nothing.
     * @throws IllegalArgumentException if the partition is out of range
     */
    default OptionalLong storedBytes(int partition) {
        return OptionalLong.empty();
    }

    /** @return the names that have stored positions on this topic */
    Set<String> consumerNames();

    /** @return the stored position (next id to read) of {@code name} per partition; partitions without one are absent */
    Map<Integer, Long> positions(String name);

    /**
     * Reads the group of consumer name {@code name} without joining it: its live members and the partitions each
     * holds (see {@link ConsumerGroup} for what "live" means per driver). A name nobody consumes has a group with no
     * members. Joins, leaves and rebalances are not disturbed; the result is a snapshot.
     *
     * @return the group, or empty if the driver does not report group membership (kafka and netty today; the default
     *     for drivers without it)
     * @throws IllegalArgumentException if {@code name} is not a valid consumer name
     */
    default Optional<ConsumerGroup> describeGroup(String name) {
        ConsumerOptions.named(name); // validates the name
        return Optional.empty();
    }

    /**
     * Moves the stored positions of {@code name} on every partition. Consumers of that name that are live keep their
     * in-memory positions; reset while none is running.
     */
    void resetPositions(String name, StartAt position);

    /** Closes producers and consumers made from this handle. Idempotent. */
    @Override
    void close();
}
