package dev.diaspora.stream.spi;

import java.util.List;

/**
 * One member of a consumer group (see {@link GroupMembership}).
 *
 * <p>Ownership: the read session that joined closes it (leaving the group). Thread safety: confined to the session's
 * thread.
 */
public interface GroupMember extends AutoCloseable {
    /** @return this member's id: unique in the group, the same in every process that lists it */
    String id();

    /**
     * Records that this member is alive (now). A member that missed its own deadline is live again from this call on
     * (it rejoins); the session has given its partitions up before calling it.
     */
    void heartbeat();

    /**
     * @return the ids of the live members, sorted: those that joined, have not left, and heartbeated within their
     *     session timeout (a driver that can tell a dead process at once, by a lock it held, leaves it out at once)
     */
    List<String> members();

    /**
     * Takes the lease of partition {@code p} for this member. A lease whose member is no longer live may be taken
     * over (memory driver), or stays held until its holder's process dies (files: OS locks).
     *
     * @return the lease, or null if another live session holds it
     */
    Lease tryLease(int p);

    /** Leaves the group. Idempotent. */
    @Override
    void close();
}
