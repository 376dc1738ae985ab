package dev.diaspora.stream.spi;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The group side of a {@link LocalReadSession}: membership, the target assignment, and moving partitions towards it.
 *
 * <p>Every check (at most every {@link #CHECK_NANOS}, or the heartbeat interval if shorter) the member heartbeats when
 * due, reads the live members and computes its share with {@link GroupAssignor}. Partitions it holds outside its share
 * are given up (positions stored first, then leases released: a clean handoff); partitions of its share it does not
 * hold are leased if free, else retried at the next check (the previous owner releases them at its own next check,
 * or its process dies and the OS releases them, or the driver lets a dead member's lease be taken over). A member
 * that missed its own deadline (its thread stalled longer than the session timeout) gives every partition up first,
 * storing only through leases still held, and rejoins.
 *
 * <p>Time is {@link System#nanoTime()}, the engine's clock. Thread safety: confined to the session's thread.
 */
final class GroupSession {
    /** The longest time between two looks at the members (the lease-retry period too). */
    static final long CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final GroupMembership groups;
    private final String name;
    private final Duration sessionTimeout;
    private GroupMember member; // null while it has left (the application is idle)
    private final java.util.function.IntSupplier numPartitions; // grows when partitions are added
    private final long timeoutNanos;
    private final long heartbeatNanos;
    private final long checkNanos;
    private long lastBeat;
    private long nextBeat;
    private long nextCheck;
    private boolean closed;

    GroupSession(GroupMembership groups, String name, java.util.function.IntSupplier numPartitions, Duration sessionTimeout,
            Duration heartbeatInterval) {
        this.groups = groups;
        this.name = name;
        this.sessionTimeout = sessionTimeout;
        this.numPartitions = numPartitions;
        this.timeoutNanos = sessionTimeout.toNanos();
        this.heartbeatNanos = heartbeatInterval.toNanos();
        this.checkNanos = Math.min(CHECK_NANOS, heartbeatNanos);
        this.member = groups.join(name, sessionTimeout);
        restartClock();
    }

    private void restartClock() {
        long now = System.nanoTime();
        this.lastBeat = now;
        this.nextBeat = now + heartbeatNanos;
        this.nextCheck = now;
    }

    /**
     * Gives every partition up as on a clean leave (positions stored first, then leases released) and leaves the
     * group, so that the live members take the partitions at their next check; {@link #maintain} does nothing until
     * {@link #rejoin}. For a member whose application stopped pulling. Idempotent.
     */
    void leave(LocalReadSession session, String why) {
        if (closed || member == null) {
            return;
        }
        try {
            session.giveUp(new ArrayList<>(session.heldLeases().keySet()), why);
        } finally {
            member.close();
            member = null;
        }
    }

    /** Joins the group again after {@link #leave}; the next {@link #maintain} takes a share. Idempotent. */
    void rejoin() {
        if (closed || member != null) {
            return;
        }
        member = groups.join(name, sessionTimeout);
        restartClock();
    }

    /** @return when the next check is due ({@link System#nanoTime()}) */
    long nextCheck() {
        return nextCheck;
    }

    /** How long a joining member waits for its share to be released by the members that held it. */
    static final long SETTLE_NANOS = TimeUnit.SECONDS.toNanos(1);
    /**
     * How often a joining member retries the leases of its share while it settles: after 10 ms at first, doubling
     * (jittered, so that members joining together spread their tries) up to 80 ms, within the member's check period.
     */
    static final Backoff SETTLE_RETRY = Backoff.exponential(Duration.ofMillis(10), Duration.ofMillis(80));

    /**
     * Moves the session to its share right after joining: the members that held it release it at their next check
     * (within 100 ms), so the new member opens with a balanced assignment in the common case; it waits at most
     * {@link #SETTLE_NANOS} (or the session timeout if shorter), then goes on with what it has and retries the rest at
     * every check.
     */
    void settle(LocalReadSession session) {
        Backoff.Retry retry = SETTLE_RETRY.deadline(Duration.ofNanos(Math.min(SETTLE_NANOS, timeoutNanos)))
                .start(Clock.system());
        try {
            while (!maintain(session, true) && retry.pause()) {
                // the members that held the share release it at their next check
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Heartbeats when due and moves the session's partitions towards its share.
     *
     * @return whether the session holds exactly its share (as far as this check knows)
     */
    boolean maintain(LocalReadSession session, boolean force) {
        long now = System.nanoTime();
        if (closed || member == null || (!force && now - nextCheck < 0)) {
            return true;
        }
        nextCheck = now + checkNanos;
        if (now - lastBeat > timeoutNanos) {
            session.giveUp(new ArrayList<>(session.heldLeases().keySet()), "this member missed its heartbeats for "
                    + TimeUnit.NANOSECONDS.toMillis(now - lastBeat) + " ms, more than its session timeout");
        }
        if (now - nextBeat >= 0 || now - lastBeat > timeoutNanos) {
            member.heartbeat();
            lastBeat = now;
            nextBeat = now + heartbeatNanos;
        }
        List<String> members = member.members();
        int n = numPartitions.getAsInt();
        int[] share = GroupAssignor.assign(members, n).getOrDefault(member.id(), new int[0]);
        boolean[] mine = new boolean[n];
        for (int p : share) {
            mine[p] = true;
        }
        Map<Integer, Lease> held = session.heldLeases();
        List<Integer> leaving = new ArrayList<>();
        for (Map.Entry<Integer, Lease> e : held.entrySet()) {
            if (!mine[e.getKey()] || !e.getValue().held()) {
                leaving.add(e.getKey());
            }
        }
        session.giveUp(leaving, "rebalance among " + members.size() + " members");
        Map<Integer, Lease> got = new TreeMap<>();
        boolean complete = leaving.isEmpty();
        try {
            for (int p : share) {
                if (!held.containsKey(p)) { // one given up just now is retried at the next check, once the engine saw it go
                    Lease l = member.tryLease(p);
                    if (l != null) {
                        got.put(p, l);
                    } else {
                        complete = false;
                    }
                }
            }
            session.acquire(got);
            return complete;
        } catch (RuntimeException e) {
            for (Lease l : got.values()) {
                try {
                    l.close();
                } catch (RuntimeException e2) {
                    e.addSuppressed(e2);
                }
            }
            throw e;
        }
    }

    /** Leaves the group. */
    void close() {
        if (!closed) {
            closed = true;
            if (member != null) {
                member.close();
            }
        }
    }
}
