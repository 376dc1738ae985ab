package dev.diaspora.stream.spi;

import java.time.Duration;

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
}
