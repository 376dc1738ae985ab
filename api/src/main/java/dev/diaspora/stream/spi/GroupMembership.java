package dev.diaspora.stream.spi;

import dev.diaspora.stream.ConsumerGroup;
import java.time.Duration;
import java.util.Optional;

/**
 * Group membership for the consumers of one name on one topic, provided by a {@link LocalTopic} (see
 * {@link LocalTopic#groups()}): members join, heartbeat and leave, and each reads the sorted list of live members,
 * from which every member computes the same assignment ({@link GroupAssignor}). The session logic (who reads what,
 * handoff of positions, lease retries) lives once, in {@link LocalReadSession}; a driver only provides liveness and
 * leases bound to it.
 *
 * <p>Thread safety: implementations are thread-safe.
 */
public interface GroupMembership {
    /**
     * Joins the group of {@code consumerName}.
     *
     * @param sessionTimeout how long this member stays live without a heartbeat
     * @return the new member, live until it leaves ({@link GroupMember#close()}) or misses its heartbeats
     */
    GroupMember join(String consumerName, Duration sessionTimeout);

    /**
     * Reads the group of {@code consumerName} without joining it: the live members (those {@link GroupMember#members()}
     * would list, as far as one read can tell) and, per member, the partitions whose lease it holds. Must not disturb
     * the group: no lease is taken, no member is added, nobody's heartbeat is affected (a driver may clean up the
     * files of members whose process is gone, as {@link GroupMember#members()} does).
     *
     * @return the group (with no members if nobody consumes under that name), or empty if this membership cannot
     *     report it (the default, so that drivers written before this method compile unchanged; tools then say that
     *     the driver does not report membership)
     */
    default Optional<ConsumerGroup> describe(String consumerName) {
        return Optional.empty();
    }
}
