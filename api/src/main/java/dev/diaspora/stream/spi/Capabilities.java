package dev.diaspora.stream.spi;

import java.util.Set;

/**
 * What a driver can do, declared by its provider; the TCK skips (with the reason) the contracts a driver lacks.
 *
 * <p>Thread safety: immutable.
 *
 * @param crossProcess other processes see the same topics (files, kafka, netty; not memory)
 * @param persistent topics and positions survive closing and reopening the driver with the same options
 * @param nativePartialRead a sub-view reads only the selected bytes from storage (files, netty; not kafka)
 * @param timeLookup {@code startAt(time)} is supported
 * @param deleteTopic topics can be deleted
 * @param maxEventSize the largest event (metadata plus data) the driver stores, in bytes
 * @param consumerGroups consumers of one name without targets form a balanced, rebalancing group that honours
 *     {@code ConsumerOptions.sessionTimeout} (memory, files, netty: {@link LocalTopic#groups()}; kafka: Kafka's
 *     protocol)
 * @param staleMemberTakeover the leases of a member whose fetch thread stalls past its session timeout, in a process
 *     that lives on, are taken over by the live members (memory; kafka, where the member is dropped when its fetch
 *     thread does not poll Kafka within the session timeout); false where a lease is an OS lock held until its process
 *     dies (files: a dead process loses them at once, a stalled one keeps them until it wakes up and gives
 *     them up); false on netty too, where a lease is bound to the member's connection to the partition's server
 * @param retention the topic options {@code retention.ms} and {@code retention.bytes} drop old events (memory, files,
 *     netty; not yet kafka), reading time from {@link StorageClock}, and reads below the first retained id fail with
 *     {@link dev.diaspora.stream.PositionExpiredException}
 * @param metadataVerbatim consumers receive the metadata text exactly as it was pushed (every driver but
 *     {@code files-v0}, which stores metadata as the C++ library does: the same JSON value, re-written compact with
 *     sorted keys, integers beyond 64 bits as doubles)
 * @param addPartitions {@code Driver.addPartitions} grows a topic, and open producers and consumers see the new
 *     partitions without reopening (memory, files, kafka; not netty)
 * @param alterableOptions the topic options {@code Driver.alterTopic} may change (for example
 *     {@code retention.ms}); empty if the driver cannot change a topic's options after creation
 */
public record Capabilities(boolean crossProcess, boolean persistent, boolean nativePartialRead, boolean timeLookup,
        boolean deleteTopic, long maxEventSize, boolean consumerGroups, boolean staleMemberTakeover,
        boolean retention, boolean metadataVerbatim, boolean addPartitions, Set<String> alterableOptions) {
    /** Copies the set of alterable options. */
    public Capabilities {
        alterableOptions = Set.copyOf(alterableOptions);
    }

    /** Capabilities of a driver that delivers metadata verbatim and whose topics cannot change after creation. */
    public Capabilities(boolean crossProcess, boolean persistent, boolean nativePartialRead, boolean timeLookup,
            boolean deleteTopic, long maxEventSize, boolean consumerGroups, boolean staleMemberTakeover,
            boolean retention) {
        this(crossProcess, persistent, nativePartialRead, timeLookup, deleteTopic, maxEventSize, consumerGroups,
                staleMemberTakeover, retention, true, false, Set.of());
    }

    /** Capabilities of a driver without retention. */
    public Capabilities(boolean crossProcess, boolean persistent, boolean nativePartialRead, boolean timeLookup,
            boolean deleteTopic, long maxEventSize, boolean consumerGroups, boolean staleMemberTakeover) {
        this(crossProcess, persistent, nativePartialRead, timeLookup, deleteTopic, maxEventSize, consumerGroups,
                staleMemberTakeover, false);
    }

    /** Capabilities of a driver without consumer groups. */
    public Capabilities(boolean crossProcess, boolean persistent, boolean nativePartialRead, boolean timeLookup,
            boolean deleteTopic, long maxEventSize) {
        this(crossProcess, persistent, nativePartialRead, timeLookup, deleteTopic, maxEventSize, false, false);
    }

    /** @return a copy with these group capabilities */
    public Capabilities withGroups(boolean consumerGroups, boolean staleMemberTakeover) {
        return new Capabilities(crossProcess, persistent, nativePartialRead, timeLookup, deleteTopic, maxEventSize,
                consumerGroups, staleMemberTakeover, retention, metadataVerbatim, addPartitions, alterableOptions);
    }

    /** @return a copy with this retention capability */
    public Capabilities withRetention(boolean retention) {
        return new Capabilities(crossProcess, persistent, nativePartialRead, timeLookup, deleteTopic, maxEventSize,
                consumerGroups, staleMemberTakeover, retention, metadataVerbatim, addPartitions, alterableOptions);
    }

    /** @return a copy with this metadata capability */
    public Capabilities withMetadataVerbatim(boolean metadataVerbatim) {
        return new Capabilities(crossProcess, persistent, nativePartialRead, timeLookup, deleteTopic, maxEventSize,
                consumerGroups, staleMemberTakeover, retention, metadataVerbatim, addPartitions, alterableOptions);
    }

    /**
     * @param addPartitions whether {@code Driver.addPartitions} works
     * @param alterableOptions the topic options {@code Driver.alterTopic} may change
     * @return a copy with these topic-change capabilities
     */
    public Capabilities withTopicChanges(boolean addPartitions, String... alterableOptions) {
        return new Capabilities(crossProcess, persistent, nativePartialRead, timeLookup, deleteTopic, maxEventSize,
                consumerGroups, staleMemberTakeover, retention, metadataVerbatim, addPartitions, Set.of(alterableOptions));
    }
}
