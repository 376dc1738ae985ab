package dev.diaspora.stream.internal.engine;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerMetrics;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.EventProcessor;
import dev.diaspora.stream.EventsLostException;
import dev.diaspora.stream.InterruptException;
import dev.diaspora.stream.StartAt;
import dev.diaspora.stream.StopEventProcessor;
import dev.diaspora.stream.ThreadPool;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.internal.metrics.LatencyHistogram;
import dev.diaspora.stream.spi.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.ConcurrentModificationException;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * The consumer engine, as the application sees it. Its parts, each with one job: the {@link FetchLoop} owns the
 * driver's session on one thread per consumer (polls, assignment, pauses, rewinds, seeks, commits); the
 * {@link BatchMaterializer} turns each batch into events (deserializer, selector, allocator, one data read per batch);
 * the {@link ReadyQueues} hold them per partition with the prefetch accounting; the {@link PullDeliverer} hands them
 * to pulls, round robin across partitions, one event at a time; the {@link AckTracker} keeps the acknowledged
 * positions. This class confines pulls to one thread at a time and checks the application's calls. Not API.
 *
 * <p>Thread safety: as {@link Consumer} documents: pulls confined to one thread at a time, the rest thread-safe.
 */
final class ConsumerImpl implements Consumer {
    /** The longest wait for an event in an inline {@code process()}, which then looks at its idle timeout again. */
    private static final Duration IDLE_SLICE = Duration.ofMillis(100);

    private final TopicHandleImpl topic;
    private final ConsumerOptions options;
    private final ReentrantLock lock = new ReentrantLock(); // guards the ready queues and the waiting pulls
    private final ReadyQueues queues;
    private final PullDeliverer deliverer;
    private final BatchMaterializer materializer;
    private final EventRecycler recycler; // null unless recycleEvents
    private final AckTracker acks;
    private final UnreadableEvents unreadable;
    private final PartitionLongs delivered; // per topic partition: next id to deliver
    private final PollWatch pollWatch;
    private final FetchLoop fetch;

    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicBoolean stopped = new AtomicBoolean();
    private final AtomicReference<Thread> owner = new AtomicReference<>();
    private int ownerDepth; // touched only by the owner

    ConsumerImpl(TopicHandleImpl topic, ConsumerOptions options) {
        this.topic = topic;
        this.options = options;
        int n = topic.partitions().size();
        int readBatch = ReadSize.initial(options.batchSize());
        this.unreadable = new UnreadableEvents(options.name(), topic.name(), options.onUnreadableEvent(), n);
        GroupEvents group = new GroupEvents(options.name(), topic.name(), options.assignmentListener(), n,
                topic.driver().backgroundErrors(options.onBackgroundError()));
        this.acks = new AckTracker(options.name(), topic.name(), n, group, unreadable);
        this.delivered = new PartitionLongs(n, 0);
        Condition space = lock.newCondition();
        this.queues = new ReadyQueues((long) readBatch * options.maxPrefetchBatches(), delivered,
                new ReadyQueues.Signals() {
                    @Override
                    public void spaceFreed() {
                        space.signal();
                    }

                    @Override
                    public void belowThreshold(int partition) {
                        fetch.wakeup(); // set before any item is taken: items arrive from the running loop
                    }
                });
        // the pool holds at most what the ready queues can (plus the batch being prepared)
        this.recycler = !options.recycleEvents() ? null : new EventRecycler(this, options.dataAllocator(),
                (int) Math.min(1 << 16, (long) ReadSize.max(options.batchSize(), options.recycleEvents())
                        * (options.maxPrefetchBatches() * (long) n + 1)),
                options.maxPrefetchBytes());
        this.materializer = new BatchMaterializer(this, topic.serializer(), options.dataSelector(),
                options.dataAllocator(), recycler, options.onUnreadableEvent(), unreadable, acks);
        this.deliverer = new PullDeliverer(lock, queues, materializer::release, recycler, topic.driver().clock());
        this.pollWatch = new PollWatch(options.maxPollInterval().toNanos(),
                topic.driver().clock().nanoTime());
        this.fetch = new FetchLoop(topic, options, lock, space, queues, deliverer, materializer, acks, unreadable,
                group, pollWatch, () -> owner.get() != null);
        fetch.start();
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
        return fetch.assignment();
    }

    // ---------------------------------------------------------------- delivery

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
            owner.setRelease(null); // no full fence per pull: the next owner's enter is ordered after it by the caller
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
            return deliverer.pull();
        } finally {
            exit();
        }
    }

    @Override
    public Optional<Event> poll(Duration timeout) {
        enter();
        try {
            checkNotClosed();
            return deliverer.poll(timeout);
        } finally {
            exit();
        }
    }

    @Override
    public int poll(EventProcessor processor, int maxEvents, Duration timeout) {
        Objects.requireNonNull(processor, "processor");
        Objects.requireNonNull(timeout, "timeout");
        enter();
        try {
            checkNotClosed();
            return deliverer.drain(processor, maxEvents, timeout);
        } finally {
            exit();
        }
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
            // the idle timeout is measured on the clock, waiting at most IDLE_SLICE at a time for an event
            Clock clock = topic.driver().clock();
            long idleNanos = idleTimeout.toNanos();
            long idleSince = clock.nanoTime();
            long count = 0;
            while (count < maxEvents) {
                long left = idleNanos - (clock.nanoTime() - idleSince);
                Optional<Event> e = pollPastLosses(left <= 0 ? Duration.ZERO
                        : left > IDLE_SLICE.toNanos() ? IDLE_SLICE : Duration.ofNanos(left));
                if (e.isEmpty()) {
                    if (left <= 0) {
                        break; // idle for the whole timeout, and nothing ready now either
                    }
                    continue;
                }
                if (e.get().isNoMoreEvents()) {
                    break;
                }
                idleSince = clock.nanoTime();
                try {
                    processor.process(e.get());
                } catch (StopEventProcessor s) {
                    break;
                }
                count++;
            }
            return count;
        }
        return new ParallelProcess(this, processor, pool, topic.driver().clock()).run(idleTimeout, maxEvents);
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
        if (!fetch.running()) {
            throw new IllegalStateException("consumer '" + options.name() + "' has unsubscribed; acknowledge before"
                    + " unsubscribe or close");
        }
        acks.acknowledge(p, id, tenure);
    }

    @Override
    public CompletableFuture<Void> commit() {
        checkNotClosed();
        return fetch.commit();
    }

    @Override
    public void seek(int partition, StartAt position) {
        checkNotClosed();
        Objects.requireNonNull(position, "position");
        checkAssigned(partition);
        if (!fetch.running()) {
            throw new IllegalStateException("consumer '" + options.name() + "' has unsubscribed");
        }
        try {
            fetch.seek(partition, position).get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw PullDeliverer.unwrap(e.getCause());
        } catch (TimeoutException e) {
            throw new DiasporaException("seek of partition " + partition + " timed out", e, true);
        } catch (InterruptedException e) {
            throw new InterruptException("seek", e);
        }
    }

    private void checkAssigned(int partition) {
        if (!assignment().contains(partition)) {
            throw new IllegalArgumentException("consumer '" + options.name() + "' does not read partition " + partition
                    + " (assigned: " + assignment() + ")");
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
        long prefetchedEvents;
        long prefetchedBytes;
        lock.lock();
        try {
            prefetchedEvents = queues.prefetchedEvents();
            prefetchedBytes = queues.prefetchedBytes();
        } finally {
            lock.unlock();
        }
        LatencyHistogram latency = deliverer.pollLatency();
        return new ConsumerMetrics(deliverer.eventsDelivered(), deliverer.bytesDelivered(), fetch.batchesFetched(),
                prefetchedEvents, prefetchedBytes, unreadable.skipped(), unreadable.lost(), fetch.eventsExpired(), lag,
                latency.percentileNanos(0.50), latency.percentileNanos(0.90), latency.percentileNanos(0.99),
                latency.percentileNanos(1.0));
    }

    /** @return how long pulls waited for the events they returned (0 for an event ready at the call) */
    LatencyHistogram pollLatency() {
        return deliverer.pollLatency();
    }

    // ---------------------------------------------------------------- lifecycle

    @Override
    public void unsubscribe() {
        checkNotClosed();
        stop();
    }

    private void stop() {
        List<ReadyItem> dropped = new ArrayList<>();
        deliverer.stop(dropped);
        materializer.release(dropped);
        if (stopped.compareAndSet(false, true)) {
            RuntimeException e = fetch.stop();
            if (recycler != null) {
                recycler.close(); // after the fetch thread: nothing is taken from the pool any more
            }
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
        return "Consumer[" + options.name() + " <- " + topic.name() + " " + assignment() + "]";
    }
}
