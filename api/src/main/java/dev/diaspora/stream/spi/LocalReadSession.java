package dev.diaspora.stream.spi;

import dev.diaspora.stream.ConsumerConflictException;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.EventsLostException;
import dev.diaspora.stream.InterruptException;
import dev.diaspora.stream.PositionExpiredException;
import dev.diaspora.stream.StartAt;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The read session of every log-structured driver, built on {@link LocalTopic}: leases the partitions, resolves start
 * positions (stored position, else {@code startAt}; a stored position below the first retained id resumes at the
 * first), serves partitions with records round robin, and tails through the topic's {@link ChangeNotifier}.
 *
 * <p><b>Retention.</b> A position below the first retained id (a stored position, a {@code seek}, or a read that
 * {@link LocalTopic#read} answers with a {@link PositionExpiredException} because retention dropped the events
 * meanwhile) follows {@link SessionConfig#onExpiredPosition()}: EARLIEST and LATEST move the position to the first
 * retained id or the end, FAIL keeps it and hands the failure to the engine, which fails pulls of the partition until
 * a seek. Each case is reported to {@link SessionListener#expired}. The rules are {@link ExpiredPositionRule}'s,
 * which drivers with a read session of their own apply too.
 *
 * <p><b>Assignment.</b> With explicit targets the session leases them when it opens and keeps them (static
 * assignment, outside any group). Without targets, if the topic provides {@link LocalTopic#groups()}, the session is
 * a member of the group of its consumer name ({@link GroupSession}): it heartbeats, reads the live members, computes
 * the balanced assignment every member computes ({@link GroupAssignor}), gives up the partitions it should no longer
 * read (storing their acknowledged positions first, through a lease it still holds) and takes the new ones as soon as
 * their leases are free. Otherwise it takes every free partition once, when it opens.
 *
 * <p><b>Added partitions.</b> Partitions added to the topic after the session opened ({@link LocalTopic#numPartitions()}
 * grows) join the assignment: a group member's next check includes them in the balanced assignment, a session without
 * targets and without groups takes the free ones at its next poll, and a session with targets keeps its targets. A
 * new partition without a stored position is read from its first event, whatever {@code startAt} says: its events
 * were all written after the consumer opened.
 *
 * <p>Thread safety: confined to one thread, except {@link #wakeup()}.
 */
public class LocalReadSession implements ReadSession {
    private static final Logger LOG = LoggerFactory.getLogger(LocalReadSession.class);

    private final LocalTopic topic;
    private final String name;
    private final StartAt startAt;
    private final SessionListener listener;
    private final ExpiredPositionRule onExpired;
    private final TreeMap<Integer, Part> held = new TreeMap<>();
    private Part[] order = new Part[0]; // held partitions in index order, for round robin
    private Set<Integer> assignment = Set.of();
    private final GroupSession group; // null: static assignment
    private final boolean allPartitions; // no targets, no group: takes added partitions too
    private final int initialPartitions; // the count when the session opened; later ones start at their first event
    private int seenPartitions; // static sessions: the count whose partitions were offered
    private volatile boolean woken;
    private int next; // round-robin cursor into order
    private boolean closed;

    private static final class Part {
        final int p;
        final Lease lease;
        long position;
        boolean paused;

        Part(int p, Lease lease, long position) {
            this.p = p;
            this.lease = lease;
            this.position = position;
        }
    }

    /**
     * Leases the partitions and resolves their positions; joins the group of the name when the session has no
     * targets and the topic has {@link LocalTopic#groups()}.
     *
     * @throws ConsumerConflictException if explicit targets are held by another live session of the name
     */
    public LocalReadSession(LocalTopic topic, SessionConfig config) {
        this.topic = topic;
        this.name = config.consumerName();
        this.startAt = config.startAt();
        this.listener = config.listener();
        this.onExpired = new ExpiredPositionRule(config.onExpiredPosition(), listener);
        this.initialPartitions = topic.numPartitions();
        this.seenPartitions = initialPartitions;
        GroupMembership gm = config.targets() == null ? topic.groups() : null;
        this.allPartitions = config.targets() == null && gm == null;
        if (gm != null) {
            this.group = new GroupSession(gm, name, topic::numPartitions, config.sessionTimeout(),
                    config.heartbeatInterval());
            try {
                group.settle(this);
            } catch (RuntimeException e) {
                closeQuietly();
                throw e;
            }
            return;
        }
        this.group = null;
        Map<Integer, Lease> got = new TreeMap<>();
        try {
            if (config.targets() != null) {
                for (int p : config.targets()) {
                    AutoCloseable lease = topic.tryLease(name, p);
                    if (lease == null) {
                        throw new ConsumerConflictException("Partition " + p + " is already read by another live consumer"
                                + " named '" + name + "'; each partition goes to one consumer of a name at a time. Use"
                                + " other targets, another name, or close the other consumer.");
                    }
                    got.put(p, Lease.of(lease));
                }
            } else {
                for (int p = 0; p < initialPartitions; p++) {
                    AutoCloseable lease = topic.tryLease(name, p);
                    if (lease != null) {
                        got.put(p, Lease.of(lease));
                    }
                }
            }
            acquire(got);
        } catch (RuntimeException e) {
            release(got.values()); // a failed open holds nothing: the next attempt (after a reset) gets the partitions
            throw e;
        }
    }

    /**
     * Starts reading newly leased partitions at their stored positions (else {@code startAt}). Damaged positions fail
     * (never a reset); the caller then releases the leases.
     */
    void acquire(Map<Integer, Lease> leases) {
        if (leases.isEmpty()) {
            return;
        }
        Map<Integer, Long> stored = topic.committed(name);
        List<Part> add = new ArrayList<>();
        for (Map.Entry<Integer, Lease> e : leases.entrySet()) {
            int p = e.getKey();
            Long s = stored.get(p);
            add.add(new Part(p, e.getValue(), s != null ? clamp(p, s)
                    : resolve(p, p >= initialPartitions ? StartAt.EARLIEST : startAt)));
        }
        for (Part part : add) {
            held.put(part.p, part);
        }
        changed();
    }

    /**
     * Stops reading {@code ps}: asks the engine for their acknowledged positions not yet stored, stores them through
     * the leases still held (a lease taken over by another member stores nothing: the new owner starts after the last
     * stored acknowledgement), then releases the leases.
     */
    void giveUp(Collection<Integer> ps, String why) {
        Set<Integer> leaving = new LinkedHashSet<>();
        for (int p : ps) {
            if (held.containsKey(p)) {
                leaving.add(p);
            }
        }
        if (leaving.isEmpty()) {
            return;
        }
        Map<Integer, Long> acked = listener.revoking(Collections.unmodifiableSet(leaving));
        Map<Integer, Long> store = new TreeMap<>();
        List<Integer> notStored = new ArrayList<>();
        for (Map.Entry<Integer, Long> e : acked.entrySet()) {
            Part part = held.get(e.getKey());
            if (part != null && part.lease.held()) {
                store.put(e.getKey(), e.getValue());
            } else {
                notStored.add(e.getKey());
            }
        }
        if (!notStored.isEmpty()) {
            LOG.warn("consumer '{}': the leases of partitions {} were taken over ({}); their last acknowledgements are"
                    + " not stored, and their new reader starts after the last stored ones (events in between are"
                    + " delivered again)", name, notStored, why);
        }
        try {
            if (!store.isEmpty()) {
                topic.commit(name, store);
            }
        } catch (RuntimeException e) {
            LOG.warn("consumer '{}': cannot store the positions {} of the partitions it gives up ({}): their new reader"
                    + " starts after the last stored ones: {}", name, store, why, e.toString());
        }
        List<Lease> leases = new ArrayList<>();
        for (int p : leaving) {
            leases.add(held.remove(p).lease);
        }
        changed();
        try {
            release(leases);
        } catch (RuntimeException e) {
            LOG.warn("consumer '{}': {}", name, e.getMessage());
        }
    }

    /** @return the partitions held now, with their leases */
    Map<Integer, Lease> heldLeases() {
        Map<Integer, Lease> m = new TreeMap<>();
        for (Part part : held.values()) {
            m.put(part.p, part.lease);
        }
        return m;
    }

    private void changed() {
        order = held.values().toArray(new Part[0]);
        next = 0;
        assignment = Collections.unmodifiableSet(new LinkedHashSet<>(held.keySet()));
    }

    /** A stored position below the first retained id follows the policy (FAIL: stays, and the read will fail). */
    private long clamp(int p, long pos) {
        return onExpired.start(p, pos, topic.bounds(p));
    }

    private long resolve(int p, StartAt at) {
        return onExpired.resolve(p, at, topic.bounds(p), time -> topic.idForTime(p, time));
    }

    private Part part(int p) {
        Part part = held.get(p);
        if (part == null) {
            throw new IllegalArgumentException("partition " + p + " is not assigned to consumer '" + name
                    + "' (assigned: " + assignment + ")");
        }
        return part;
    }

    @Override
    public Set<Integer> assignment() {
        return assignment;
    }

    @Override
    public long position(int p) {
        return part(p).position;
    }

    @Override
    public IncomingBatch poll(int maxEvents, long maxBytes, long timeoutNanos) {
        long deadline = System.nanoTime() + timeoutNanos;
        ChangeNotifier notifier = topic.notifier();
        while (true) {
            if (group != null || allPartitions) {
                Set<Integer> before = assignment;
                if (group != null) {
                    group.maintain(this, false);
                } else {
                    takeAddedPartitions();
                }
                if (assignment != before) {
                    return null; // the engine reads the new assignment before anything else moves
                }
            }
            long version = notifier.version();
            Part[] order = this.order;
            for (int k = 0; k < order.length; k++) {
                int i = (next + k) % order.length;
                Part part = order[i];
                if (part.paused) {
                    continue;
                }
                IncomingBatch b = read(part, maxEvents, maxBytes);
                if (b != null && (b.count() > 0 || b.error() != null)) {
                    // an unreadable record stays the position: the engine pauses the partition until a seek;
                    // a lost range is passed: the engine reports it once and the next read returns what follows
                    part.position = b.error() instanceof EventsLostException
                            ? ((EventsLostException) b.error()).lastLostId() + 1 : b.firstId() + b.count();
                    next = (i + 1) % order.length;
                    return b;
                }
            }
            if (woken) {
                woken = false;
                return null;
            }
            long now = System.nanoTime();
            long left = deadline - now;
            if (left <= 0) {
                return null;
            }
            if (group != null) {
                left = Math.min(left, Math.max(1, group.nextCheck() - now));
            }
            try {
                notifier.await(version, left);
            } catch (InterruptedException e) {
                throw new InterruptException("waiting for new events", e);
            }
        }
    }

    /**
     * Reads at the partition's position; a read below the first retained id follows the policy: EARLIEST or LATEST
     * move the position and read again (a few times, if retention keeps overtaking), FAIL returns the failure.
     */
    private IncomingBatch read(Part part, int maxEvents, long maxBytes) {
        for (int attempt = 0;; attempt++) {
            IncomingBatch b = topic.read(part.p, part.position, maxEvents, maxBytes);
            if (b == null || b.count() > 0 || !(b.error() instanceof PositionExpiredException)) {
                return b;
            }
            PositionExpiredException e = (PositionExpiredException) b.error();
            long resume = onExpired.overtaken(part.p, part.position, e.firstRetainedId(), () -> topic.bounds(part.p),
                    attempt);
            if (resume < 0) {
                return b;
            }
            b.release();
            part.position = resume;
        }
    }

    /** A session without targets or groups: leases the free partitions added since it last looked. */
    private void takeAddedPartitions() {
        int n = topic.numPartitions();
        if (n <= seenPartitions) {
            return;
        }
        Map<Integer, Lease> got = new TreeMap<>();
        try {
            for (int p = seenPartitions; p < n; p++) {
                AutoCloseable lease = topic.tryLease(name, p);
                if (lease != null) {
                    got.put(p, Lease.of(lease));
                }
            }
            acquire(got);
        } catch (RuntimeException e) {
            release(got.values());
            throw e;
        }
        seenPartitions = n;
    }

    @Override
    public void keepAlive() {
        if (group != null) {
            group.maintain(this, false);
        } else if (allPartitions) {
            takeAddedPartitions();
        }
    }

    /** Leaves the group while the application does not pull, rejoins when it does (see {@link GroupSession#leave}). */
    @Override
    public boolean applicationIdle(boolean idle) {
        if (group == null) {
            return false;
        }
        if (idle) {
            group.leave(this, "the application has not pulled for longer than maxPollInterval");
        } else {
            group.rejoin();
        }
        return true;
    }

    @Override
    public void readData(List<DataRequest> requests) {
        topic.readData(requests);
    }

    /**
     * Stores positions of partitions whose lease is still held; partitions already given up are not this session's
     * to store (skipped).
     *
     * @throws ConsumerConflictException after storing the others, if a partition this session still reads lost its
     *     lease (taken over, or lost with a connection while another member took it): those positions are not
     *     stored, so a commit never reports success for them; the session gives the partition up at its next check
     */
    @Override
    public void commit(Map<Integer, Long> positions) {
        if (positions.isEmpty()) {
            return;
        }
        Map<Integer, Long> store = new TreeMap<>();
        List<Integer> lost = new ArrayList<>();
        for (Map.Entry<Integer, Long> e : positions.entrySet()) {
            Part part = held.get(e.getKey());
            if (part != null && part.lease.held()) {
                store.put(e.getKey(), e.getValue());
            } else if (part != null) {
                lost.add(e.getKey());
            }
        }
        if (!store.isEmpty()) {
            topic.commit(name, store);
        }
        if (!lost.isEmpty()) {
            throw new ConsumerConflictException("Consumer '" + name + "' lost partitions " + lost + " to another"
                    + " member of its name: their acknowledgements after the last stored position are not stored, and"
                    + " their new reader delivers those events again. This consumer gives them up at its next poll");
        }
    }

    @Override
    public long seek(int p, StartAt position) {
        Part part = part(p);
        part.position = resolve(p, position);
        return part.position;
    }

    @Override
    public void pause(int p) {
        part(p).paused = true;
    }

    @Override
    public void resume(int p) {
        part(p).paused = false;
    }

    @Override
    public void wakeup() {
        woken = true;
        topic.notifier().wakeAll();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        List<Lease> leases = new ArrayList<>();
        for (Part part : held.values()) {
            leases.add(part.lease);
        }
        held.clear();
        changed();
        try {
            release(leases); // before leaving: once others see this member gone, the leases are free
        } finally {
            if (group != null) {
                group.close();
            }
        }
    }

    private void closeQuietly() {
        try {
            close();
        } catch (RuntimeException e) {
            LOG.debug("consumer '{}': closing a session that failed to open: {}", name, e.toString());
        }
    }

    private void release(Collection<Lease> leases) {
        DiasporaException first = null;
        for (Lease l : leases) {
            try {
                l.close();
            } catch (RuntimeException e) {
                if (first == null) {
                    first = new DiasporaException("cannot release the lease of consumer '" + name + "': " + e, e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
