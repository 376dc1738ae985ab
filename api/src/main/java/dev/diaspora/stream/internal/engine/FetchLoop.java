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
 * ({@link BatchMaterializer}) and queued ({@link PullDeliverer#offer}); follows the session's assignment and pauses
 * and resumes partitions ({@link Assignment}); moves partitions back or on ({@link Rewinds}); pauses after failed
 * polls ({@link ReadFailures}); runs the application's seeks and commits as commands; persists acknowledgements
 * every ackInterval; and tells the session when the application stops pulling. Time is the driver's {@link Clock}.
 * Not API.
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
    private final Assignment assignment;
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
        this.assignment = new Assignment(lock, queues, materializer, acks, unreadable, group, rewinds);
        assignment.grow(topicHandle.partitions().size());
        this.expired = new ExpiredPositions(name, topic, assignment::revoking);
        this.session = topicHandle.backend().openSession(new SessionConfig(name, options.targets(),
                options.startAt(), expired, options.sessionTimeout(), options.heartbeatInterval(),
                options.onExpiredPosition()));
        try {
            assignment.refresh(session);
        } catch (RuntimeException e) {
            session.close();
            throw e;
        }
        this.thread = topicHandle.driver().newThread("consumer", this::run);
        assignment.fetchThread(thread);
    }

    void start() {
        thread.start();
    }

    /** @return the partitions the consumer reads now */
    Set<Integer> assignment() {
        return assignment.reported();
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
        if (!assignment.current().isEmpty()) {
            group.onAssigned(assignment.current());
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
                rewinds.retry(now, session, assignment.current(), failPartition);
                if (pollWatch.due(now)) {
                    watchPulls(now);
                }
                assignment.updatePauses(session);
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
                assignment.refresh(session);
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
            closeError = t instanceof RuntimeException ? (RuntimeException) t
                    : new DiasporaException("fetch thread", t);
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
        assignment.refresh(session);
    }

    /** Lets a group session heartbeat and follow rebalances while the engine does not poll it. */
    private void keepAlive() {
        try {
            session.keepAlive();
        } catch (RuntimeException e) {
            failures.upkeepFailed(e);
        }
        assignment.refresh(session);
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

    private void failPartition(int p, DiasporaException e) {
        lock.lock();
        try {
            queues.fail(p, ReadyMarker.failed(e));
        } finally {
            lock.unlock();
        }
        deliverer.deliver();
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
