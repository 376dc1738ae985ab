package dev.diaspora.stream.internal.engine;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerMetrics;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataAllocator;
import dev.diaspora.stream.DataDescriptor;
import dev.diaspora.stream.DataSelector;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.EventProcessor;
import dev.diaspora.stream.EventsLostException;
import dev.diaspora.stream.InterruptException;
import dev.diaspora.stream.InvalidSelectionException;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Serializer;
import dev.diaspora.stream.StartAt;
import dev.diaspora.stream.StopEventProcessor;
import dev.diaspora.stream.ThreadPool;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.TopicNotFoundException;
import dev.diaspora.stream.UnreadableEventPolicy;
import dev.diaspora.stream.spi.DataRequest;
import dev.diaspora.stream.spi.IncomingBatch;
import dev.diaspora.stream.spi.ReadSession;
import dev.diaspora.stream.spi.SessionConfig;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.ConcurrentModificationException;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Set;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consumer engine. One fetch thread per consumer owns the driver's {@link ReadSession}: it polls batches, runs
 * deserializer, selector and allocator, asks the driver for the selected bytes of the whole batch at once, and puts
 * the events in per-partition ready queues; it also applies seeks and persists acknowledgements (so drivers whose
 * client is single-threaded, like Kafka's, work unchanged). Application threads take events from the ready queues,
 * round robin across partitions, one event at a time. Not API.
 */
final class ConsumerImpl implements Consumer {
    private static final Logger LOG = LoggerFactory.getLogger(ConsumerImpl.class);
    private static final long POLL_SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final long REWIND_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

    private final TopicHandleImpl topic;
    private final ConsumerOptions options;
    private final ReadSession session;
    private final Serializer serializer;
    private final DataSelector selector;
    private final DataAllocator allocator;
    private final int readBatch;
    private final long maxPrefetchBytes;
    private final long pauseThreshold;
    private final long ackIntervalNanos;
    private volatile Set<Integer> assignment = Set.of();
    private Set<Integer> sessionAssignment; // fetch thread: the session's set last seen
    private volatile int[] parts = new int[0]; // assigned partitions, sorted; replaced under lock
    // per partition, indexed by partition; replaced by longer copies when the topic grows (grow)
    private boolean[] assigned; // guarded by lock

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition space = lock.newCondition();
    private ArrayDeque<Object>[] ready; // guarded by lock: EventImpl or ReadyMarker
    private long[] readyEvents; // guarded by lock
    private boolean[] pausedShadow; // guarded by lock: what the fetch thread has paused
    private boolean[] failed; // guarded by lock
    /** Per partition: the EventID to read again after a retriable data-read failure, or -1; fetch thread only. */
    private long[] rewindTo;
    private long nextRewindAttempt;
    private long prefetchedBytes; // guarded by lock
    private long prefetchedEvents; // guarded by lock
    private int cursor; // guarded by lock
    private final ArrayDeque<CompletableFuture<Event>> pending = new ArrayDeque<>(); // guarded by lock
    private boolean delivering; // guarded by lock
    private boolean unsubscribed; // guarded by lock

    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicBoolean stopped = new AtomicBoolean();
    private final AtomicReference<Thread> owner = new AtomicReference<>();
    private int ownerDepth; // touched only by the owner

    private final PartitionLongs acked; // per topic partition: next id after the last acknowledged, or -1
    private final Tenures tenures;
    private long[] committed; // fetch thread only
    private final PartitionLongs delivered; // per topic partition: next id to deliver
    private boolean[] paused; // fetch thread only
    private final ConcurrentLinkedQueue<Runnable> commands = new ConcurrentLinkedQueue<>();
    private final Thread fetchThread;
    private volatile boolean running = true;
    /** Set when the session reports the topic deleted (or replaced): every later pull fails with it. */
    private volatile DiasporaException topicGone;
    private volatile RuntimeException closeError;

    private final LongAdder eventsDelivered = new LongAdder();
    private final LongAdder bytesDelivered = new LongAdder();
    private final LongAdder batchesFetched = new LongAdder();
    private final UnreadableEvents unreadable;
    private final ExpiredPositions expired;
    private final GroupEvents group;
    private final PollWatch pollWatch;

    @SuppressWarnings("unchecked")
    ConsumerImpl(TopicHandleImpl topic, ConsumerOptions options) {
        this.topic = topic;
        this.options = options;
        this.serializer = topic.serializer();
        this.selector = options.dataSelector();
        this.allocator = options.dataAllocator();
        this.readBatch = options.batchSize().valueOr(ConsumerOptions.ADAPTIVE_READ_BATCH);
        this.maxPrefetchBytes = options.maxPrefetchBytes();
        this.pauseThreshold = (long) readBatch * options.maxNumBatches();
        this.ackIntervalNanos = options.ackInterval().toNanos();
        int n = topic.partitions().size();
        this.unreadable = new UnreadableEvents(options.name(), topic.name(), options.onUnreadableEvent(), n);
        this.assigned = new boolean[0];
        this.ready = new ArrayDeque[0];
        this.readyEvents = new long[0];
        this.pausedShadow = new boolean[0];
        this.failed = new boolean[0];
        this.rewindTo = new long[0];
        this.paused = new boolean[0];
        this.committed = new long[0];
        this.acked = new PartitionLongs(n, -1);
        this.tenures = new Tenures(n);
        this.delivered = new PartitionLongs(n, 0);
        this.group = new GroupEvents(options.name(), topic.name(), options.assignmentListener(), n);
        grow(n);
        this.pollWatch = new PollWatch(options.maxPollInterval().toNanos(), System.nanoTime());
        this.expired = new ExpiredPositions(options.name(), topic.name(), this::revoking);
        this.session = topic.backend().openSession(new SessionConfig(options.name(), options.targets(),
                options.startAt(), expired, options.sessionTimeout(), options.heartbeatInterval(),
                options.onExpiredPosition()));
        try {
            refreshAssignment();
        } catch (RuntimeException e) {
            session.close();
            throw e;
        }
        this.fetchThread = topic.driver().newThread("consumer", this::fetchLoop);
        fetchThread.start();
    }

    @Override
    public String name() {
        return options.name();
    }

    @Override
    public TopicHandle topic() {
        return topic;
    }

    @Override
    public ConsumerOptions options() {
        return options;
    }

    @Override
    public Set<Integer> assignment() {
        return assignment;
    }

    // ---------------------------------------------------------------- fetch thread

    private void fetchLoop() {
        long nextAck = System.nanoTime() + ackIntervalNanos;
        if (!assignment.isEmpty()) {
            group.onAssigned(assignment);
        }
        try {
            while (running) {
                runCommands();
                long now = System.nanoTime();
                if (now - nextAck >= 0 && topicGone == null) {
                    try {
                        persistAcks();
                    } catch (RuntimeException e) {
                        LOG.warn("consumer '{}' of topic '{}': cannot persist acknowledgements yet, will retry: {}",
                                options.name(), topic.name(), e.toString());
                    }
                    nextAck = now + ackIntervalNanos;
                }
                retryRewinds(now);
                if (pollWatch.due(now)) {
                    watchPulls(now);
                }
                updatePauses();
                long room;
                lock.lock();
                try {
                    room = maxPrefetchBytes - prefetchedBytes;
                    if (room <= 0) {
                        space.awaitNanos(POLL_SLICE_NANOS);
                    }
                } finally {
                    lock.unlock();
                }
                if (room <= 0) {
                    keepAlive();
                    continue;
                }
                if (topicGone != null) {
                    lock.lock();
                    try {
                        space.awaitNanos(POLL_SLICE_NANOS); // nothing left to read; wait for close
                    } finally {
                        lock.unlock();
                    }
                    keepAlive();
                    continue;
                }
                IncomingBatch b;
                try {
                    b = session.poll(readBatch, room, Math.max(1, Math.min(POLL_SLICE_NANOS, nextAck - now)));
                } catch (InterruptException e) {
                    Thread.interrupted();
                    continue;
                } catch (RuntimeException e) {
                    sessionError(e);
                    continue;
                }
                refreshAssignment();
                if (b != null) {
                    batchesFetched.increment();
                    handleBatch(b);
                }
            }
        } catch (InterruptedException e) {
            // closing
        } catch (Throwable t) {
            LOG.error("consumer '{}' of topic '{}': fetch thread failed", options.name(), topic.name(), t);
            closeError = t instanceof RuntimeException ? (RuntimeException) t : new DiasporaException("fetch thread", t);
        } finally {
            try {
                runCommands();
                if (topicGone == null) {
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
            Runnable r;
            while ((r = commands.poll()) != null) {
                r.run(); // commands see !running and complete their futures
            }
        }
    }

    /**
     * Tells the session when the application has not pulled for maxPollInterval (a group member then leaves its
     * group) and when it pulls again (it rejoins).
     */
    private void watchPulls(long now) {
        boolean waiting;
        lock.lock();
        try {
            waiting = !pending.isEmpty();
        } finally {
            lock.unlock();
        }
        Boolean idle = pollWatch.check(now, waiting || owner.get() != null);
        if (idle == null) {
            return;
        }
        try {
            if (session.applicationIdle(idle)) {
                if (idle) {
                    LOG.warn("consumer '{}' of topic '{}': the application has not pulled for more than"
                            + " maxPollInterval ({} ms): left the group until it pulls again, so that the other members"
                            + " read its partitions", options.name(), topic.name(), pollWatch.maxMillis());
                } else {
                    LOG.info("consumer '{}' of topic '{}': the application pulls again: rejoined the group",
                            options.name(), topic.name());
                }
            }
        } catch (RuntimeException e) {
            pollWatch.undo(!idle);
            LOG.warn("consumer '{}' of topic '{}': cannot {} the group yet, will retry: {}", options.name(),
                    topic.name(), idle ? "leave" : "rejoin", e.toString());
        }
        refreshAssignment();
    }

    /** Lets a group session heartbeat and follow rebalances while the engine does not poll it. */
    private void keepAlive() {
        try {
            session.keepAlive();
        } catch (RuntimeException e) {
            if (e instanceof TopicNotFoundException) {
                if (topicGone == null) {
                    topicGone((TopicNotFoundException) e);
                }
            } else {
                LOG.warn("consumer '{}' of topic '{}': group upkeep failed, retrying: {}", options.name(),
                        topic.name(), e.toString());
            }
        }
        refreshAssignment();
    }

    private void sessionError(RuntimeException e) {
        DiasporaException d = e instanceof DiasporaException ? (DiasporaException) e
                : new DiasporaException("consumer '" + options.name() + "' of topic '" + topic.name()
                        + "': the driver failed to read: " + e, e);
        if (d instanceof TopicNotFoundException) {
            topicGone(d);
            return;
        }
        LOG.warn("consumer '{}' of topic '{}': read failed, retrying: {}", options.name(), topic.name(), e.toString());
        CompletableFuture<Event> f;
        lock.lock();
        try {
            f = pending.poll();
        } finally {
            lock.unlock();
        }
        if (f != null) {
            f.completeExceptionally(d);
        }
        try {
            Thread.sleep(100);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The topic was deleted or replaced: retrying cannot help. Fails every pending pull and every later one with the
     * driver's error (which names the topic and says to reopen it), logs it once, and stops reading.
     */
    private void topicGone(DiasporaException d) {
        LOG.error("consumer '{}' of topic '{}': {}; the consumer stops reading, close it", options.name(),
                topic.name(), d.getMessage());
        List<CompletableFuture<Event>> failed = new ArrayList<>();
        lock.lock();
        try {
            topicGone = d;
            CompletableFuture<Event> f;
            while ((f = pending.poll()) != null) {
                failed.add(f);
            }
        } finally {
            lock.unlock();
        }
        for (CompletableFuture<Event> f : failed) {
            f.completeExceptionally(d);
        }
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
        if (now == sessionAssignment) {
            return;
        }
        sessionAssignment = now;
        Set<Integer> copy = Set.copyOf(now);
        if (copy.equals(assignment)) {
            return;
        }
        int size = copy.stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
        if (size > assigned.length) {
            grow(size); // partitions were added to the topic: before anything indexes them
        }
        Map<Integer, Long> starts = new HashMap<>();
        for (int p : copy) {
            if (!assignment.contains(p)) {
                starts.put(p, session.position(p));
            }
        }
        List<Object> dropped = new ArrayList<>();
        lock.lock();
        try {
            for (int p : assignment) {
                if (!copy.contains(p)) {
                    assigned[p] = false;
                    dropReady(p, dropped);
                    failed[p] = false;
                    paused[p] = false;
                    pausedShadow[p] = false;
                }
            }
            for (Map.Entry<Integer, Long> e : starts.entrySet()) {
                assigned[e.getKey()] = true;
                tenures.begin(e.getKey()); // an event of an earlier tenure can no longer be acknowledged
                acked.set(e.getKey(), -1); // what this consumer acknowledged in an earlier tenure is stored or void
                committed[e.getKey()] = -1;
                delivered.set(e.getKey(), e.getValue());
                unreadable.started(e.getKey(), e.getValue());
            }
            parts = copy.stream().mapToInt(Integer::intValue).sorted().toArray();
            cursor = 0;
            assignment = copy;
        } finally {
            lock.unlock();
        }
        releaseAll(dropped);
        if (!starts.isEmpty()) {
            group.assigned(starts.keySet());
            if (fetchThread != null) { // not for the first assignment, made in the constructor: listed as assigned below
                group.onAssigned(Set.copyOf(starts.keySet()));
            }
        }
    }

    /**
     * Makes the per-partition state cover {@code n} partitions (the topic grew; see {@code Driver.addPartitions}).
     * Fetch thread (or constructor): the arrays guarded by the lock are replaced under it, those of the fetch thread
     * by it; the state other threads update without the lock grows in place ({@link PartitionLongs}).
     */
    @SuppressWarnings("unchecked")
    private void grow(int n) {
        int old = assigned.length;
        acked.grow(n);
        delivered.grow(n);
        tenures.grow(n);
        unreadable.grow(n);
        group.grow(n);
        rewindTo = java.util.Arrays.copyOf(rewindTo, n);
        java.util.Arrays.fill(rewindTo, old, n, -1);
        paused = java.util.Arrays.copyOf(paused, n);
        committed = java.util.Arrays.copyOf(committed, n);
        java.util.Arrays.fill(committed, old, n, -1);
        lock.lock();
        try {
            ArrayDeque<Object>[] r = java.util.Arrays.copyOf(ready, n);
            for (int i = old; i < n; i++) {
                r[i] = new ArrayDeque<>();
            }
            ready = r;
            readyEvents = java.util.Arrays.copyOf(readyEvents, n);
            pausedShadow = java.util.Arrays.copyOf(pausedShadow, n);
            failed = java.util.Arrays.copyOf(failed, n);
            assigned = java.util.Arrays.copyOf(assigned, n);
        } finally {
            lock.unlock();
        }
    }

    /** Drops partition {@code p}'s prefetched events into {@code into}. Holds lock. */
    private void dropReady(int p, List<Object> into) {
        for (Object o : ready[p]) {
            if (o instanceof EventImpl) {
                prefetchedBytes -= ((EventImpl) o).bytes();
                prefetchedEvents--;
            }
            into.add(o);
        }
        ready[p].clear();
        readyEvents[p] = 0;
        space.signal();
    }

    /** SessionListener: acknowledged positions of partitions about to leave, which the session commits. */
    private Map<Integer, Long> revoking(Set<Integer> leaving) {
        if (Thread.currentThread() == fetchThread) { // not while the session opens: nothing was announced yet
            group.onRevoked(Set.copyOf(leaving)); // may still acknowledge: read below
        }
        group.revoke(leaving); // an acknowledgement after this either is read below or throws
        Map<Integer, Long> out = new HashMap<>();
        for (int p : leaving) {
            long a = acked.get(p);
            if (a > committed[p]) {
                out.put(p, a);
                committed[p] = a;
            }
        }
        return out;
    }

    /** Moves partitions with a pending rewind back to the event to read again (the seek may need the server). */
    private void retryRewinds(long now) {
        if (now - nextRewindAttempt < 0) {
            return;
        }
        for (int p = 0; p < rewindTo.length; p++) {
            if (rewindTo[p] < 0) {
                continue;
            }
            if (!assignment.contains(p)) {
                rewindTo[p] = -1;
                continue;
            }
            try {
                session.seek(p, StartAt.id(rewindTo[p]));
                rewindTo[p] = -1;
            } catch (DiasporaException e) {
                if (!e.isRetriable()) {
                    rewindTo[p] = -1;
                    failPartition(p, e);
                }
                nextRewindAttempt = now + REWIND_RETRY_NANOS;
            } catch (RuntimeException e) {
                rewindTo[p] = -1;
                failPartition(p, new DiasporaException("partition " + p + ": cannot read the events after a failed"
                        + " data read again: " + e, e));
            }
        }
    }

    private void failPartition(int p, DiasporaException e) {
        lock.lock();
        try {
            ready[p].add(ReadyMarker.failed(e));
            failed[p] = true;
        } finally {
            lock.unlock();
        }
        deliver();
    }

    private void updatePauses() {
        int[] parts = this.parts;
        for (int i = 0; i < parts.length; i++) {
            int p = parts[i];
            boolean want;
            lock.lock();
            try {
                want = failed[p] || readyEvents[p] >= pauseThreshold || rewindTo[p] >= 0;
                pausedShadow[p] = want;
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
        Map<Integer, Long> dirty = null;
        for (int p : parts) { // revoked partitions were committed by the session through revoking()
            long a = acked.get(p);
            if (a > committed[p]) {
                if (dirty == null) {
                    dirty = new HashMap<>();
                }
                dirty.put(p, a);
            }
        }
        if (dirty != null) {
            session.commit(dirty);
            for (Map.Entry<Integer, Long> e : dirty.entrySet()) {
                committed[e.getKey()] = e.getValue();
            }
        }
    }

    private void handleBatch(IncomingBatch b) {
        int p = b.partition();
        int idx = p;
        int n = b.count();
        boolean failStops = options.onUnreadableEvent() == UnreadableEventPolicy.FAIL;
        DiasporaException[] unprepared = null; // per event: why it could not be prepared (deserialize, select, allocate)
        List<DataRequest> requests = null;
        DataDescriptor[] selections = new DataDescriptor[n];
        DataRequest[] byEvent = new DataRequest[n];
        Metadata[] mds = new Metadata[n];
        int good = n;
        for (int i = 0; i < n; i++) {
            long id = b.firstId() + i;
            try {
                Metadata md = serializer.deserialize(b.metadata(i));
                DataDescriptor whole = b.descriptor(i);
                DataDescriptor sel = selector.select(md, whole);
                if (sel == null) {
                    sel = DataDescriptor.NONE;
                }
                if (sel.size() > 0) {
                    if (!sel.isDerivedFrom(whole)) {
                        throw new InvalidSelectionException("partition " + p + ", event " + id + ": the data selector"
                                + " returned " + sel + ", which was not made from the descriptor it was given ("
                                + whole + "); return the given descriptor, a view of it, or DataDescriptor.NONE");
                    }
                    DataView target = allocator.allocate(md, sel);
                    if (target == null || target.size() < sel.size()) {
                        if (target != null) {
                            allocator.release(target);
                        }
                        throw new InvalidSelectionException("partition " + p + ", event " + id + ": the data allocator"
                                + " returned " + (target == null ? "null" : target.size() + " bytes")
                                + " for a selection of " + sel.size() + " bytes");
                    }
                    DataRequest r = new DataRequest(p, id, sel, target);
                    if (requests == null) {
                        requests = new ArrayList<>();
                    }
                    requests.add(r);
                    byEvent[i] = r;
                }
                mds[i] = md;
                selections[i] = sel;
            } catch (RuntimeException e) {
                DiasporaException d = e instanceof DiasporaException ? (DiasporaException) e
                        : new DiasporaException("partition " + p + ", event " + id
                                + ": the deserializer, data selector or allocator failed: " + e, e);
                if (unprepared == null) {
                    unprepared = new DiasporaException[n];
                }
                unprepared[i] = d; // handled in order below, so that nothing after a rewind point is counted
                if (failStops) {
                    good = i;
                    break;
                }
            }
        }
        if (requests != null) {
            try {
                session.readData(requests);
            } catch (RuntimeException e) {
                for (DataRequest r : requests) {
                    r.fail(e instanceof DiasporaException ? (DiasporaException) e
                            : new DiasporaException("partition " + p + ", event " + r.eventId()
                                    + ": the driver failed to read the data: " + e, e));
                }
            }
        }
        List<Object> out = new ArrayList<>(good + 1);
        long bytes = 0;
        int events = 0;
        int tenure = tenures.current(p); // one read per batch: tenures change on this (the fetch) thread only
        for (int i = 0; i < good; i++) {
            if (unprepared != null && unprepared[i] != null) {
                out.add(unreadable.unreadable(p, b.firstId() + i, unprepared[i], acked)); // SKIP
                continue;
            }
            DataRequest r = byEvent[i];
            if (r != null && r.error() != null) {
                long id = b.firstId() + i;
                ReadyMarker m = r.error().isRetriable() ? null : unreadable.unreadable(p, id, r.error(), acked);
                if (m != null && !m.sticky()) {
                    allocator.release(r.target()); // skipped: the other events' data is good
                    out.add(m);
                    continue;
                }
                for (int j = i; j < good; j++) {
                    if (byEvent[j] != null) {
                        allocator.release(byEvent[j].target());
                    }
                }
                if (m == null) {
                    // a transient failure (a lost connection): deliver what came before it, pause the partition
                    // and read it again from there (retryRewinds), rather than stopping it until the user seeks
                    rewindTo[p] = id;
                } else {
                    out.add(m);
                }
                good = -1;
                break;
            }
            DataView data = r == null ? DataView.EMPTY : r.target().trim(selections[i].size());
            EventImpl e = new EventImpl(this, mds[i], data, p, b.firstId() + i, b.timestampNanos(i), tenure);
            bytes += e.bytes();
            events++;
            out.add(e);
        }
        if (good >= 0 && good < n) { // FAIL: the event that stopped the preparing loop
            out.add(unreadable.unreadable(p, b.firstId() + good, unprepared[good], acked));
        } else if (good == n && b.error() != null) {
            out.add(recordError(p, b.firstId() + n, b.error())); // the driver could not read the record after them
        }
        b.release();
        boolean anyFailure = !out.isEmpty() && out.get(out.size() - 1) instanceof ReadyMarker
                && ((ReadyMarker) out.get(out.size() - 1)).sticky();
        lock.lock();
        try {
            if (unsubscribed || !assigned[p]) {
                releaseAll(out);
                return;
            }
            for (Object o : out) {
                ready[idx].add(o);
            }
            readyEvents[idx] += events;
            prefetchedEvents += events;
            prefetchedBytes += bytes;
            if (anyFailure) {
                failed[idx] = true;
            }
        } finally {
            lock.unlock();
        }
        deliver();
    }

    /**
     * The marker for a record the driver could not read: a lost range is reported once and the session moved past
     * it; an unreadable record follows the policy (skipped: the session is moved past it); a retriable error stops
     * the partition as before.
     */
    private ReadyMarker recordError(int p, long id, DiasporaException error) {
        if (error instanceof EventsLostException) {
            EventsLostException lost = (EventsLostException) error;
            rewindTo[p] = lost.lastLostId() + 1; // a no-op for a session that has already moved past the range
            return unreadable.lost(lost, acked);
        }
        if (error.isRetriable()) {
            return ReadyMarker.failed(error);
        }
        ReadyMarker m = unreadable.unreadable(p, id, error, acked);
        if (!m.sticky()) {
            rewindTo[p] = id + 1; // the session stays at an unreadable record: move it past
        }
        return m;
    }

    private void releaseAll(List<Object> items) {
        for (Object o : items) {
            if (o instanceof EventImpl && ((EventImpl) o).data().size() > 0) {
                allocator.release(((EventImpl) o).data());
            }
        }
    }

    // ---------------------------------------------------------------- delivery

    /**
     * Takes the next ready item round robin: an event, or a marker whose error the pull fails with (a sticky failure
     * is left in place, a lost range is taken). Holds lock.
     */
    private Object takeNext() {
        int[] ps = parts;
        int n = ps.length;
        for (int k = 0; k < n; k++) {
            int at = (cursor + k) % n;
            int i = ps[at];
            Object o = ready[i].peek();
            while (o instanceof ReadyMarker && ((ReadyMarker) o).kind == ReadyMarker.Kind.SKIPPED) {
                ready[i].poll(); // a skipped event: the position moves past it, no pull sees it
                delivered.set(i, ((ReadyMarker) o).nextId);
                o = ready[i].peek();
            }
            if (o == null) {
                continue;
            }
            cursor = (at + 1) % n;
            if (o instanceof ReadyMarker) {
                ReadyMarker m = (ReadyMarker) o;
                if (!m.sticky()) { // a lost range: reported to this pull only
                    ready[i].poll();
                    delivered.set(i, m.nextId);
                }
                return o;
            }
            ready[i].poll();
            EventImpl e = (EventImpl) o;
            readyEvents[i]--;
            prefetchedEvents--;
            prefetchedBytes -= e.bytes();
            delivered.set(e.partition(), e.id() + 1);
            space.signal();
            if (pausedShadow[i] && !failed[i] && readyEvents[i] < pauseThreshold) {
                pausedShadow[i] = false;
                session.wakeup();
            }
            return e;
        }
        return null;
    }

    /** Puts a lost-range marker back at the head of its queue (its future was cancelled). Holds lock. */
    private void putBack(ReadyMarker m) {
        int i = m.partition;
        if (!m.sticky() && assigned[i]) {
            ready[i].addFirst(m);
            delivered.set(i, m.id);
        }
    }

    /** Puts an event back at the head of its queue (its future was cancelled). Holds lock. */
    private void putBack(EventImpl e) {
        int i = e.partition();
        if (!assigned[i]) {
            return; // the partition left while the future was being cancelled; its next owner reads the event
        }
        ready[i].addFirst(e);
        readyEvents[i]++;
        prefetchedEvents++;
        prefetchedBytes += e.bytes();
        delivered.set(e.partition(), e.id());
    }

    /** Pairs pending pulls with ready events; one deliverer at a time keeps partition order when a pull is cancelled. */
    private void deliver() {
        lock.lock();
        try {
            if (delivering) {
                return;
            }
            delivering = true;
        } finally {
            lock.unlock();
        }
        while (true) {
            CompletableFuture<Event> f;
            Object item;
            lock.lock();
            try {
                while ((f = pending.peek()) != null && f.isDone()) {
                    pending.poll();
                }
                item = f == null ? null : takeNext();
                if (item == null) {
                    delivering = false;
                    return;
                }
                pending.poll();
            } finally {
                lock.unlock();
            }
            if (item instanceof ReadyMarker) {
                ReadyMarker m = (ReadyMarker) item;
                if (!f.completeExceptionally(m.error) && !m.sticky()) {
                    lock.lock();
                    try {
                        putBack(m);
                    } finally {
                        lock.unlock();
                    }
                }
            } else if (f.complete((EventImpl) item)) {
                counted((EventImpl) item);
            } else {
                lock.lock();
                try {
                    putBack((EventImpl) item);
                } finally {
                    lock.unlock();
                }
            }
        }
    }

    private void counted(EventImpl e) {
        eventsDelivered.increment();
        bytesDelivered.add(e.data().size());
    }

    private void enter() {
        pollWatch.pulled();
        Thread t = Thread.currentThread();
        if (owner.get() == t) {
            ownerDepth++;
            return;
        }
        if (!owner.compareAndSet(null, t)) {
            throw new ConcurrentModificationException("Consumer '" + options.name() + "' is used by thread "
                    + owner.get().getName() + "; pull, poll, process and iteration are confined to one thread at a"
                    + " time");
        }
        ownerDepth = 1;
    }

    private void exit() {
        if (--ownerDepth == 0) {
            owner.set(null);
        }
    }

    private void checkNotClosed() {
        if (closed.get()) {
            throw new IllegalStateException("consumer '" + options.name() + "' of topic '" + topic.name()
                    + "' is closed");
        }
    }

    @Override
    public CompletableFuture<Event> pull() {
        enter();
        try {
            checkNotClosed();
            CompletableFuture<Event> f = new CompletableFuture<>();
            lock.lock();
            try {
                if (unsubscribed) {
                    return CompletableFuture.completedFuture(EventImpl.NO_MORE);
                }
                if (topicGone != null) {
                    return CompletableFuture.failedFuture(topicGone);
                }
                if (!delivering && pending.isEmpty()) {
                    Object o = takeNext();
                    if (o instanceof ReadyMarker) {
                        return CompletableFuture.failedFuture(((ReadyMarker) o).error);
                    } else if (o != null) {
                        counted((EventImpl) o);
                        return CompletableFuture.completedFuture((EventImpl) o);
                    }
                }
                pending.add(f);
            } finally {
                lock.unlock();
            }
            deliver();
            return f;
        } finally {
            exit();
        }
    }

    @Override
    public Optional<Event> poll(Duration timeout) {
        enter();
        try {
            checkNotClosed();
            CompletableFuture<Event> f = new CompletableFuture<>();
            lock.lock();
            try {
                if (unsubscribed) {
                    return Optional.of(EventImpl.NO_MORE);
                }
                if (topicGone != null) {
                    throw topicGone;
                }
                if (!delivering && pending.isEmpty()) {
                    Object o = takeNext();
                    if (o instanceof ReadyMarker) {
                        throw ((ReadyMarker) o).error;
                    } else if (o != null) {
                        counted((EventImpl) o);
                        return Optional.of((EventImpl) o);
                    }
                }
                if (timeout.isZero() || timeout.isNegative()) {
                    return Optional.empty();
                }
                pending.add(f);
            } finally {
                lock.unlock();
            }
            deliver();
            try {
                return Optional.of(f.get(timeout.toNanos(), TimeUnit.NANOSECONDS));
            } catch (TimeoutException e) {
                if (f.cancel(false)) {
                    forget(f);
                    return Optional.empty();
                }
                return Optional.of(joinUnwrapped(f));
            } catch (ExecutionException e) {
                throw unwrap(e.getCause());
            } catch (InterruptedException e) {
                if (f.cancel(false)) {
                    forget(f);
                    throw new InterruptException("poll", e);
                }
                Thread.currentThread().interrupt();
                return Optional.of(joinUnwrapped(f));
            }
        } finally {
            exit();
        }
    }

    private void forget(CompletableFuture<Event> f) {
        lock.lock();
        try {
            pending.remove(f);
        } finally {
            lock.unlock();
        }
    }

    private static Event joinUnwrapped(CompletableFuture<Event> f) {
        try {
            return f.join();
        } catch (CompletionException e) {
            throw unwrap(e.getCause());
        }
    }

    private static RuntimeException unwrap(Throwable t) {
        if (t instanceof RuntimeException) {
            return (RuntimeException) t;
        }
        return new DiasporaException(String.valueOf(t), t);
    }

    /**
     * {@link #poll} for {@code process}, iteration and streams, which go on past a lost range: it was logged at WARN
     * and counted in {@link ConsumerMetrics#eventsLost()} when it was read; only pull and poll report it.
     */
    Optional<Event> pollPastLosses(Duration timeout) {
        while (true) {
            try {
                return poll(timeout);
            } catch (EventsLostException e) {
                // reported: WARN and eventsLost; the next event of the partition follows
            }
        }
    }

    @Override
    public long process(EventProcessor processor, Duration idleTimeout, long maxEvents, ThreadPool pool) {
        if (pool == null || pool.threadCount() == 0) {
            long count = 0;
            while (count < maxEvents) {
                Optional<Event> e = pollPastLosses(idleTimeout);
                if (e.isEmpty() || e.get().isNoMoreEvents()) {
                    break;
                }
                try {
                    processor.process(e.get());
                } catch (StopEventProcessor s) {
                    break;
                }
                count++;
            }
            return count;
        }
        return new ParallelProcess(this, processor, pool).run(idleTimeout, maxEvents);
    }

    @Override
    public Iterator<Event> iterator(Duration idleTimeout) {
        return new Iterator<>() {
            private Event next;
            private boolean done;

            @Override
            public boolean hasNext() {
                if (next != null) {
                    return true;
                }
                if (done) {
                    return false;
                }
                Optional<Event> e = pollPastLosses(idleTimeout);
                if (e.isEmpty() || e.get().isNoMoreEvents()) {
                    done = true;
                    return false;
                }
                next = e.get();
                return true;
            }

            @Override
            public Event next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                Event e = next;
                next = null;
                return e;
            }
        };
    }

    @Override
    public Stream<Event> stream() {
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(iterator(),
                Spliterator.ORDERED | Spliterator.NONNULL), false);
    }

    // ---------------------------------------------------------------- positions

    void acknowledge(int p, long id, int tenure) {
        checkNotClosed();
        if (!running) {
            throw new IllegalStateException("consumer '" + options.name() + "' has unsubscribed; acknowledge before"
                    + " unsubscribe or close");
        }
        tenures.acknowledge(acked, p, id + 1, tenure, options.name(), topic.name());
        group.checkAck(p, id);
        unreadable.stepOver(p, acked); // skipped or lost events right after it count as consumed
    }

    @Override
    public CompletableFuture<Void> commit() {
        checkNotClosed();
        CompletableFuture<Void> f = new CompletableFuture<>();
        commands.add(() -> {
            if (!running && Thread.currentThread() != fetchThread) {
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
        if (!fetchThread.isAlive()) {
            Runnable r;
            while ((r = commands.poll()) != null) {
                r.run();
            }
        }
        session.wakeup();
        return f;
    }

    @Override
    public void seek(int partition, StartAt position) {
        checkNotClosed();
        java.util.Objects.requireNonNull(position, "position");
        checkAssigned(partition);
        if (!running) {
            throw new IllegalStateException("consumer '" + options.name() + "' has unsubscribed");
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        commands.add(() -> {
            if (!running && Thread.currentThread() != fetchThread) {
                done.completeExceptionally(new IllegalStateException("consumer closed during seek"));
                return;
            }
            try {
                long id = session.seek(partition, position);
                rewindTo[partition] = -1; // the user's position wins over a pending re-read
                List<Object> dropped = new ArrayList<>();
                lock.lock();
                try {
                    dropReady(partition, dropped);
                    failed[partition] = false;
                    delivered.set(partition, id);
                } finally {
                    lock.unlock();
                }
                releaseAll(dropped);
                done.complete(null);
            } catch (RuntimeException e) {
                done.completeExceptionally(e);
            }
        });
        session.wakeup();
        try {
            done.get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw unwrap(e.getCause());
        } catch (TimeoutException e) {
            throw new DiasporaException("seek of partition " + partition + " timed out", e, true);
        } catch (InterruptedException e) {
            throw new InterruptException("seek", e);
        }
    }

    private void checkAssigned(int partition) {
        if (!assignment.contains(partition)) {
            throw new IllegalArgumentException("consumer '" + options.name() + "' does not read partition " + partition
                    + " (assigned: " + assignment + ")");
        }
    }

    @Override
    public long position(int partition) {
        checkAssigned(partition);
        return delivered.get(partition);
    }

    @Override
    public ConsumerMetrics metrics() {
        return counters(ConsumerLag.total(topic, this)); // asks the driver: outside the lock
    }

    /** @return the counters, with {@code lag} as given (the MBean reads the lag on its own) */
    ConsumerMetrics counters(long lag) {
        lock.lock();
        try {
            return new ConsumerMetrics(eventsDelivered.sum(), bytesDelivered.sum(), batchesFetched.sum(),
                    prefetchedEvents, prefetchedBytes, unreadable.skipped(), unreadable.lost(), expired.count(), lag);
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- lifecycle

    @Override
    public void unsubscribe() {
        checkNotClosed();
        stop();
    }

    private void stop() {
        List<CompletableFuture<Event>> waiting;
        List<Object> dropped = new ArrayList<>();
        lock.lock();
        try {
            unsubscribed = true;
            waiting = new ArrayList<>(pending);
            pending.clear();
            for (ArrayDeque<Object> q : ready) {
                dropped.addAll(q);
                q.clear();
            }
            prefetchedBytes = 0;
            prefetchedEvents = 0;
            space.signalAll();
        } finally {
            lock.unlock();
        }
        for (CompletableFuture<Event> f : waiting) {
            f.complete(EventImpl.NO_MORE);
        }
        releaseAll(dropped);
        if (stopped.compareAndSet(false, true)) {
            running = false;
            session.wakeup();
            if (Thread.currentThread() != fetchThread) {
                try {
                    fetchThread.join();
                } catch (InterruptedException e) {
                    throw new InterruptException("unsubscribe", e);
                }
            }
            RuntimeException e = closeError;
            if (e != null) {
                throw e instanceof DiasporaException ? e : new DiasporaException("consumer '" + options.name()
                        + "': could not persist positions or release the partitions: " + e, e);
            }
        }
    }

    @Override
    public void close() {
        if (closed.get()) {
            return;
        }
        try {
            stop();
        } finally {
            closed.set(true);
            topic.closed(this);
        }
    }

    @Override
    public String toString() {
        return "Consumer[" + options.name() + " <- " + topic.name() + " " + assignment + "]";
    }
}
