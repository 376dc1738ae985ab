package dev.diaspora.stream.internal.engine;

import dev.diaspora.stream.BackgroundErrorHandler;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.InterruptException;
import dev.diaspora.stream.StartAt;
import dev.diaspora.stream.spi.Clock;
import dev.diaspora.stream.spi.IncomingBatch;
import dev.diaspora.stream.spi.ReadSession;
import dev.diaspora.stream.spi.SessionConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A consumer's fetch thread, the only thread that uses the driver's {@link ReadSession} (so drivers whose client is
 * single-threaded, like Kafka's, work unchanged): it polls batches while the prefetch bound allows, has them prepared
 * ({@link BatchMaterializer}) and queued ({@link PullDeliverer#offer}); follows the session's assignment; pauses and
 * resumes partitions; moves partitions back or on ({@link Rewinds}); pauses after failed polls ({@link ReadFailures});
 * runs the application's seeks and commits as commands; persists acknowledgements every ackInterval; and tells the
 * session when the application stops pulling. Time is the driver's {@link Clock}. Not API.
 *
 * <p>Thread safety: {@link #commit}, {@link #seek}, {@link #assignment}, {@link #wakeup} and {@link #stop} from any
 * thread; the rest runs on the fetch thread (or in the constructor).
 */
final class FetchLoop {
    private static final Logger LOG = LoggerFactory.getLogger(ConsumerImpl.class);
    private static final long POLL_SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    /**
     * The longest wait in the session when nothing is timed sooner (no move to retry, the ack interval and the pull
     * watch further away): every wake-up of an idle tailing consumer costs CPU, and new events, commands, seeks,
     * resumed partitions and a stop all wake the session themselves.
     */
    private static final long IDLE_SLICE_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final String name;
    private final String topic;
    private final ReadSize readSize;
    private final int maxPrefetchBatches;
    private final long maxPrefetchBytes;
    private final long ackIntervalNanos;
    private final ReentrantLock lock;
    private final Condition space;
    private final ReadyQueues queues;
    private final PullDeliverer deliverer;
    private final BatchMaterializer materializer;
    private final AckTracker acks;
    private final UnreadableEvents unreadable;
    private final GroupEvents group;
    private final PollWatch pollWatch;
    private final BooleanSupplier inPull;
    private final ExpiredPositions expired;
    private final ReadSession session;
    private final Rewinds rewinds;
    private final Rewinds.Failer failPartition = this::failPartition;
    private final ConcurrentLinkedQueue<Runnable> commands = new ConcurrentLinkedQueue<>();
    private final LongAdder batchesFetched = new LongAdder();
    private final Thread thread;
    private Set<Integer> assignment = Set.of(); // fetch thread (and the constructor): what it reads; see reported
    /**
     * What {@link #assignment()} reports: {@link #assignment} less the partitions the session revoked since the last
     * refresh, so a revocation shows at once (another member may hold the partition as soon as the session returns).
     */
    private volatile Set<Integer> reported = Set.of();
    private Set<Integer> sessionAssignment; // the session's set last seen
    /** Fetch thread: partitions revoked since the last refresh, which start afresh even if they are back by then. */
    private final Set<Integer> revokedSinceRefresh = new HashSet<>();
    private boolean[] paused = new boolean[0]; // what the session was told to pause
    private volatile boolean running = true;
    private volatile RuntimeException closeError;
    private final BackgroundErrorHandler errors;
    private final ReadFailures failures;
    private final Clock clock;

    /**
     * Opens the session and reads its first assignment; {@link #start()} starts the thread.
     *
     * @param inPull whether an application thread is inside a pull right now (it counts as pulling)
     */
    FetchLoop(TopicHandleImpl topicHandle, ConsumerOptions options, ReentrantLock lock, Condition space,
            ReadyQueues queues, PullDeliverer deliverer, BatchMaterializer materializer, AckTracker acks,
            UnreadableEvents unreadable, GroupEvents group, PollWatch pollWatch, BooleanSupplier inPull) {
        this.name = options.name();
        this.topic = topicHandle.name();
        this.errors = topicHandle.driver().backgroundErrors(options.onBackgroundError());
        this.clock = topicHandle.driver().clock();
        this.rewinds = new Rewinds(clock);
        this.failures = new ReadFailures(name, topic, deliverer, errors, clock);
        this.readSize = new ReadSize(options.batchSize(), options.recycleEvents());
        this.maxPrefetchBatches = options.maxPrefetchBatches();
        this.maxPrefetchBytes = options.maxPrefetchBytes();
        this.ackIntervalNanos = options.ackInterval().toNanos();
        this.lock = lock;
        this.space = space;
        this.queues = queues;
        this.deliverer = deliverer;
        this.materializer = materializer;
        this.acks = acks;
        this.unreadable = unreadable;
        this.group = group;
        this.pollWatch = pollWatch;
        this.inPull = inPull;
        grow(topicHandle.partitions().size());
        this.expired = new ExpiredPositions(name, topic, this::revoking);
        this.session = topicHandle.backend().openSession(new SessionConfig(name, options.targets(),
                options.startAt(), expired, options.sessionTimeout(), options.heartbeatInterval(),
                options.onExpiredPosition()));
        try {
            refreshAssignment();
        } catch (RuntimeException e) {
            session.close();
            throw e;
        }
        this.thread = topicHandle.driver().newThread("consumer", this::run);
    }

    void start() {
        thread.start();
    }

    /** @return the partitions the consumer reads now */
    Set<Integer> assignment() {
        return reported;
    }

    /** @return ids passed over because retention had dropped them */
    long eventsExpired() {
        return expired.count();
    }

    long batchesFetched() {
        return batchesFetched.sum();
    }

    /** @return whether the loop still runs (false once the consumer stops) */
    boolean running() {
        return running;
    }

    /** Wakes the thread if it waits in the session (a partition may be resumed, a command waits). */
    void wakeup() {
        session.wakeup();
    }

    private void run() {
        long nextAck = clock.nanoTime() + ackIntervalNanos;
        if (!assignment.isEmpty()) {
            group.onAssigned(assignment);
        }
        try {
            while (running) {
                runCommands();
                long now = clock.nanoTime();
                if (now - nextAck >= 0 && deliverer.topicGone() == null) {
                    try {
                        persistAcks();
                    } catch (RuntimeException e) {
                        errors.onError(where() + "cannot persist acknowledgements yet, will retry", e);
                    }
                    nextAck = now + ackIntervalNanos;
                }
                rewinds.retry(now, session, assignment, failPartition);
                if (pollWatch.due(now)) {
                    watchPulls(now);
                }
                updatePauses();
                long room;
                lock.lock();
                try {
                    room = maxPrefetchBytes - queues.prefetchedBytes();
                    if (room <= 0 || deliverer.topicGone() != null) {
                        space.awaitNanos(POLL_SLICE_NANOS); // full, or nothing left to read: wait for close
                    }
                } finally {
                    lock.unlock();
                }
                if (room <= 0 || deliverer.topicGone() != null) {
                    keepAlive();
                    continue;
                }
                IncomingBatch b;
                try {
                    b = session.poll(readSize.events(), room, Math.max(1, Math.min(slice(now), nextAck - now)));
                } catch (InterruptException e) {
                    Thread.interrupted();
                    continue;
                } catch (RuntimeException e) {
                    failures.pollFailed(e);
                    continue;
                }
                failures.pollSucceeded();
                refreshAssignment();
                if (b != null) {
                    batchesFetched.increment();
                    grow(b);
                    handleBatch(b);
                }
            }
        } catch (InterruptedException e) {
            // closing
        } catch (Throwable t) {
            errors.onError(where() + "fetch thread failed", t);
            closeError = t instanceof RuntimeException ? (RuntimeException) t : new DiasporaException("fetch thread", t);
        } finally {
            try {
                runCommands();
                if (deliverer.topicGone() == null) {
                    persistAcks(); // a deleted topic has nowhere to keep them: the pulls already failed with it
                }
            } catch (RuntimeException e) {
                closeError = closeError != null ? closeError : e;
            }
            try {
                session.close();
            } catch (RuntimeException e) {
                closeError = closeError != null ? closeError : e;
            }
            runCommands(); // commands see !running and complete their futures
        }
    }

    /** @return how long the session may wait for events: short while a move waits, else up to the next check */
    private long slice(long now) {
        if (rewinds.anyPending()) {
            return POLL_SLICE_NANOS;
        }
        return Math.min(IDLE_SLICE_NANOS, pollWatch.nextCheck() - now);
    }

    private void handleBatch(IncomingBatch b) {
        int p = b.partition();
        BatchMaterializer.Prepared prepared = materializer.materialize(b, session);
        if (prepared.rewindTo() >= 0) {
            rewinds.request(p, prepared.rewindTo());
        }
        if (!deliverer.offer(p, prepared)) {
            materializer.release(prepared.items());
        }
        materializer.done(); // the queues hold the items now: the scratch list lets go of them
    }

    /**
     * Tells the session when the application has not pulled for maxPollInterval (a group member then leaves its
     * group) and when it pulls again (it rejoins).
     */
    private void watchPulls(long now) {
        Boolean idle = pollWatch.check(now, deliverer.waiting() || inPull.getAsBoolean());
        if (idle == null) {
            return;
        }
        try {
            if (session.applicationIdle(idle)) {
                if (idle) {
                    LOG.warn("consumer '{}' of topic '{}': the application has not pulled for more than"
                            + " maxPollInterval ({} ms): left the group until it pulls again, so that the other members"
                            + " read its partitions", name, topic, pollWatch.maxMillis());
                } else {
                    LOG.info("consumer '{}' of topic '{}': the application pulls again: rejoined the group", name,
                            topic);
                }
            }
        } catch (RuntimeException e) {
            pollWatch.undo(!idle);
            errors.onError(where() + "cannot " + (idle ? "leave" : "rejoin") + " the group yet, will retry", e);
        }
        refreshAssignment();
    }

    /** Lets a group session heartbeat and follow rebalances while the engine does not poll it. */
    private void keepAlive() {
        try {
            session.keepAlive();
        } catch (RuntimeException e) {
            failures.upkeepFailed(e);
        }
        refreshAssignment();
    }

    private String where() {
        return failures.where();
    }

    private void runCommands() {
        Runnable r;
        while ((r = commands.poll()) != null) {
            r.run();
        }
    }

    /** Reads the session's assignment; drops what left, starts what arrived. Fetch thread (or constructor). */
    private void refreshAssignment() {
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
        if (copy.equals(assignment) && revoked.isEmpty()) {
            return;
        }
        int size = copy.stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
        if (size > paused.length) {
            grow(size); // partitions were added to the topic: before anything indexes them
        }
        Map<Integer, Long> starts = new HashMap<>();
        for (int p : copy) {
            if (!assignment.contains(p) || revoked.contains(p)) {
                starts.put(p, session.position(p));
            }
        }
        List<ReadyItem> dropped = new ArrayList<>();
        lock.lock();
        try {
            for (int p : assignment) {
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
            assignment = copy;
            reported = copy;
        } finally {
            lock.unlock();
        }
        materializer.release(dropped);
        if (!starts.isEmpty()) {
            group.assigned(starts.keySet());
            if (thread != null) { // not for the first assignment, made in the constructor: listed as assigned in run
                group.onAssigned(Set.copyOf(starts.keySet()));
            }
        }
    }

    /**
     * Makes the per-partition state cover {@code n} partitions (the topic grew; see {@code Driver.addPartitions}).
     * The queues are replaced under the lock, the fetch thread's own state by it; the state other threads update
     * without the lock grows in place ({@link PartitionLongs}).
     */
    private void grow(int n) {
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
    private Map<Integer, Long> revoking(Set<Integer> leaving) {
        if (Thread.currentThread() == thread) { // not while the session opens: nothing was announced yet
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
                if (assignment.contains(p)) {
                    queues.leave(p, dropped); // refreshAssignment makes it arrive again if the session still has it
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

    private void failPartition(int p, DiasporaException e) {
        lock.lock();
        try {
            queues.fail(p, ReadyMarker.failed(e));
        } finally {
            lock.unlock();
        }
        deliverer.deliver();
    }

    private void updatePauses() {
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

    private void persistAcks() {
        Map<Integer, Long> dirty = acks.uncommitted(queues.parts());
        if (dirty != null) {
            session.commit(dirty);
            acks.committed(dirty);
        }
    }

    /** Persists the acknowledgements on the fetch thread; the future completes when they are stored. */
    CompletableFuture<Void> commit() {
        CompletableFuture<Void> f = new CompletableFuture<>();
        commands.add(() -> {
            if (!running && Thread.currentThread() != thread) {
                f.complete(null);
                return;
            }
            try {
                persistAcks();
                f.complete(null);
            } catch (RuntimeException e) {
                f.completeExceptionally(e);
            }
        });
        if (!thread.isAlive()) {
            runCommands();
        }
        session.wakeup();
        return f;
    }

    /** Moves partition {@code p} on the fetch thread; the future completes when it moved. */
    CompletableFuture<Void> seek(int p, StartAt position) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        commands.add(() -> {
            if (!running && Thread.currentThread() != thread) {
                done.completeExceptionally(new IllegalStateException("consumer closed during seek"));
                return;
            }
            try {
                long id = session.seek(p, position);
                rewinds.cancel(p); // the user's position wins over a pending re-read
                List<ReadyItem> dropped = new ArrayList<>();
                lock.lock();
                try {
                    queues.seeked(p, id, dropped);
                } finally {
                    lock.unlock();
                }
                materializer.release(dropped);
                done.complete(null);
            } catch (RuntimeException e) {
                done.completeExceptionally(e);
            }
        });
        session.wakeup();
        return done;
    }

    /** An adaptive read size grows after a full read; the partitions' read-ahead bound follows it. */
    private void grow(IncomingBatch b) {
        if (b.error() == null && readSize.afterRead(b.count())) {
            lock.lock();
            try {
                queues.pauseThreshold((long) readSize.events() * maxPrefetchBatches);
            } finally {
                lock.unlock();
            }
        }
    }

    /**
     * Stops the loop and waits for it to persist the acknowledgements and close the session (unless called on the
     * fetch thread itself).
     *
     * @return the first error met while doing so, or null
     */
    RuntimeException stop() {
        running = false;
        session.wakeup();
        if (Thread.currentThread() != thread) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                throw new InterruptException("unsubscribe", e);
            }
        }
        return closeError;
    }
}
