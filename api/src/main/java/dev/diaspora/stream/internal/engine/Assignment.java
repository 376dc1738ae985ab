package dev.diaspora.stream.internal.engine;

import dev.diaspora.stream.spi.ReadSession;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The partitions a consumer's {@link FetchLoop} reads: follows the session's assignment (drops the prefetched events
 * of a partition that left, starts one that arrived at the session's position), drops prefetched events as soon as
 * the session announces a revocation, keeps the per-partition state as large as the topic, and tells the session
 * which partitions to pause. Not API.
 *
 * <p>Thread safety: {@link #reported} from any thread; {@link #revoking} from the session's thread (inside the
 * fetch thread's calls, or while the session opens); the rest on the fetch thread (or in {@link FetchLoop}'s
 * constructor). Queue state is changed under the consumer's lock.
 */
final class Assignment {
    private final ReentrantLock lock;
    private final ReadyQueues queues;
    private final BatchMaterializer materializer;
    private final AckTracker acks;
    private final UnreadableEvents unreadable;
    private final GroupEvents group;
    private final Rewinds rewinds;
    private volatile Thread fetchThread; // null until the FetchLoop's constructor made it
    private Set<Integer> current = Set.of(); // fetch thread (and the constructor): what it reads; see reported
    /**
     * What {@link #reported()} gives: {@link #current} less the partitions the session revoked since the last
     * refresh, so a revocation shows at once (another member may hold the partition as soon as the session returns).
     */
    private volatile Set<Integer> reported = Set.of();
    private Set<Integer> sessionAssignment; // the session's set last seen
    /** Fetch thread: partitions revoked since the last refresh, which start afresh even if they are back by then. */
    private final Set<Integer> revokedSinceRefresh = new HashSet<>();
    private boolean[] paused = new boolean[0]; // what the session was told to pause

    Assignment(ReentrantLock lock, ReadyQueues queues, BatchMaterializer materializer, AckTracker acks,
            UnreadableEvents unreadable, GroupEvents group, Rewinds rewinds) {
        this.lock = lock;
        this.queues = queues;
        this.materializer = materializer;
        this.acks = acks;
        this.unreadable = unreadable;
        this.group = group;
        this.rewinds = rewinds;
    }

    /** Names the fetch thread once it exists: assignments from then on are announced by {@link #refresh}. */
    void fetchThread(Thread t) {
        this.fetchThread = t;
    }

    /** @return the partitions the fetch thread reads (fetch thread) */
    Set<Integer> current() {
        return current;
    }

    /** @return the partitions the consumer reads now, revocations included at once (any thread) */
    Set<Integer> reported() {
        return reported;
    }

    /** Reads the session's assignment; drops what left, starts what arrived. Fetch thread (or constructor). */
    void refresh(ReadSession session) {
        Set<Integer> now = session.assignment();
        if (now == sessionAssignment && revokedSinceRefresh.isEmpty()) {
            return;
        }
        sessionAssignment = now;
        Set<Integer> copy = Set.copyOf(now);
        // a partition revoked and assigned again between two refreshes (a rebalance that gave it away and back while
        // the thread was in the session) left and arrived: its prefetched events are stale, its tenure is new
        Set<Integer> revoked = revokedSinceRefresh.isEmpty() ? Set.of() : Set.copyOf(revokedSinceRefresh);
        revokedSinceRefresh.clear();
        if (copy.equals(current) && revoked.isEmpty()) {
            return;
        }
        int size = copy.stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
        if (size > paused.length) {
            grow(size); // partitions were added to the topic: before anything indexes them
        }
        Map<Integer, Long> starts = new HashMap<>();
        for (int p : copy) {
            if (!current.contains(p) || revoked.contains(p)) {
                starts.put(p, session.position(p));
            }
        }
        List<ReadyItem> dropped = new ArrayList<>();
        lock.lock();
        try {
            for (int p : current) {
                if (!copy.contains(p) || revoked.contains(p)) {
                    queues.leave(p, dropped);
                    paused[p] = false;
                }
            }
            for (Map.Entry<Integer, Long> e : starts.entrySet()) {
                int p = e.getKey();
                acks.begin(p); // an event of an earlier tenure can no longer be acknowledged
                queues.arrive(p, e.getValue());
                unreadable.started(p, e.getValue());
            }
            queues.assignment(copy.stream().mapToInt(Integer::intValue).sorted().toArray());
            current = copy;
            reported = copy;
        } finally {
            lock.unlock();
        }
        materializer.release(dropped);
        if (!starts.isEmpty()) {
            group.assigned(starts.keySet());
            if (fetchThread != null) { // not the first assignment (constructor): run lists it
                group.onAssigned(Set.copyOf(starts.keySet()));
            }
        }
    }

    /**
     * Makes the per-partition state cover {@code n} partitions (the topic grew; see {@code Driver.addPartitions}).
     * The queues are replaced under the lock, the fetch thread's own state by it; the state other threads update
     * without the lock grows in place ({@link PartitionLongs}).
     */
    void grow(int n) {
        acks.grow(n);
        unreadable.grow(n);
        group.grow(n);
        rewinds.grow(n);
        paused = Arrays.copyOf(paused, n);
        lock.lock();
        try {
            queues.grow(n);
        } finally {
            lock.unlock();
        }
    }

    /** SessionListener: acknowledged positions of partitions about to leave, which the session commits. */
    Map<Integer, Long> revoking(Set<Integer> leaving) {
        if (Thread.currentThread() == fetchThread) { // not while the session opens: nothing was announced yet
            group.onRevoked(Set.copyOf(leaving)); // may still acknowledge: read below
            revokedSinceRefresh.addAll(leaving);
            dropPrefetched(leaving); // stale from now on: their acknowledgements fail (below)
        }
        return acks.revoking(leaving);
    }

    /** Drops the prefetched events of partitions about to leave, so that none is delivered after the revocation. */
    private void dropPrefetched(Set<Integer> leaving) {
        List<ReadyItem> dropped = new ArrayList<>();
        lock.lock();
        try {
            for (int p : leaving) {
                if (current.contains(p)) {
                    queues.leave(p, dropped); // refresh makes it arrive again if the session still has it
                }
            }
            Set<Integer> left = new HashSet<>(reported);
            left.removeAll(leaving);
            reported = Set.copyOf(left);
        } finally {
            lock.unlock();
        }
        materializer.release(dropped);
    }

    /** Pauses the partitions whose ready events reached the read-ahead bound (or wait for a move), resumes the rest. */
    void updatePauses(ReadSession session) {
        for (int p : queues.parts()) {
            boolean want;
            lock.lock();
            try {
                want = queues.wantPause(p, rewinds.pending(p));
            } finally {
                lock.unlock();
            }
            if (want != paused[p]) {
                paused[p] = want;
                if (want) {
                    session.pause(p);
                } else {
                    session.resume(p);
                }
            }
        }
    }
}
