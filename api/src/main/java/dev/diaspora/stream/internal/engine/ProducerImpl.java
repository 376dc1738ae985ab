package dev.diaspora.stream.internal.engine;

import dev.diaspora.stream.BackgroundErrorHandler;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.EventTooLargeException;
import dev.diaspora.stream.EventsFailedException;
import dev.diaspora.stream.InterruptException;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.PartitionInfo;
import dev.diaspora.stream.PartitionSelector;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.ProducerMetrics;
import dev.diaspora.stream.ProducerOptions;
import dev.diaspora.stream.PushCallback;
import dev.diaspora.stream.Serializer;
import dev.diaspora.stream.ThreadPool;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.ValidationException;
import dev.diaspora.stream.Validator;
import dev.diaspora.stream.internal.components.Components;
import dev.diaspora.stream.internal.metrics.LatencyHistogram;
import dev.diaspora.stream.spi.Appender;
import dev.diaspora.stream.spi.AppenderConfig;
import dev.diaspora.stream.spi.Backend;
import dev.diaspora.stream.spi.BatchAppender;
import dev.diaspora.stream.spi.Clock;
import dev.diaspora.stream.spi.RecordAppender;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * The producer engine: permits in {@code push}, then validate, select, serialize (inline, or on the pool through one
 * drain task per producer, which also keeps STRICT order), then the partition's batcher. Not API.
 */
final class ProducerImpl implements Producer {
    private static final int DRAIN_BURST = 256;
    /**
     * How long a drain task that has found more than one event waits, spinning, for the next push before it lets the
     * pool thread go: a pusher in the middle of a burst then needs no wake-up of the pool (lock, task, notify, futex).
     * A drain that found one event at a time (a slow or idle producer) does not wait, so idle costs nothing.
     */
    private static final long DRAIN_LINGER_NANOS = 20_000;

    private final TopicHandleImpl topic;
    private final ProducerOptions options;
    private final Appender appender;
    /** The appender if the engine batches ({@link PartitionBatcher}s), else null. */
    private final BatchAppender batchAppender;
    /** The appender if the driver's client batches (one {@code send} per event, no batchers), else null. */
    private final RecordAppender recordAppender;
    private final boolean recordMode;
    private final ThreadPool pool;
    private final Validator validator;
    private final PartitionSelector selector;
    private final Serializer serializer;
    /**
     * The default serializer with a {@link BatchAppender}: the batch copies the metadata's text itself, with no buffer
     * view.
     */
    private final boolean verbatimIntoBatch;
    /** One per partition; replaced by a longer copy (same batchers first) when the topic grows. */
    private volatile PartitionBatcher[] batchers;
    private final PermitGate gate;
    private final Clock clock;
    private final long maxEventSize;
    private final String maxEventSizeOption;
    private final long producerId = ThreadLocalRandom.current().nextLong();
    private final AtomicBoolean closed = new AtomicBoolean();

    // pool mode: one drain task at a time processes the queue in push order
    private final ConcurrentLinkedQueue<Object> queue = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean draining = new AtomicBoolean();

    // failed events: reported by the next flush and to options.onError()
    private final PushFailures failures;
    private final BackgroundErrorHandler errors;

    private final LongAdder pushed = new LongAdder();
    private final LongAdder stored = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder bytesStored = new LongAdder();
    private final LongAdder batches = new LongAdder();
    private final LatencyHistogram pushLatency = new LatencyHistogram();
    /**
     * The topic's partitions as the selection last read them, with the push time (the producer's clock) of the event
     * that read them. A driver's {@code partitions()} may cost a clock read or a file check per call (the files driver
     * notices other processes' changes that way), so the selection reads them again only for an event pushed
     * {@link #PARTITIONS_NANOS} or more later, for one pushed at the same reading of the clock (a clock that stands
     * still, as a test's may, cannot tell how old a reading is) or before it (pushing threads race to process their
     * events), and at once for a chosen partition beyond them.
     * Partitions only grow: a stale list never names a missing one. No count per event: pushing threads share this
     * field, and a write per event would bounce its cache line between them.
     */
    private volatile KnownPartitions knownPartitions;
    /** How long the selection uses one reading of the topic's partitions, at most (by the events' push times). */
    static final long PARTITIONS_NANOS = 1_000_000;

    /** One reading of the topic's partitions, and the push time of the event that made it. */
    private record KnownPartitions(List<PartitionInfo> list, long readAt) {
    }

    ProducerImpl(TopicHandleImpl topic, ProducerOptions options) {
        this.topic = topic;
        this.options = topic.driver().withPendingBounds(options); // options() reports the bounds in force
        this.pool = options.threadPool() != null ? options.threadPool() : topic.driver().defaultThreadPool();
        this.validator = topic.validator();
        this.selector = topic.selector();
        this.serializer = topic.serializer();
        this.clock = topic.driver().clock();
        this.gate = new PermitGate(this.options.maxPendingEvents(), this.options.maxPendingBytes(), clock);
        this.errors = topic.driver().backgroundErrors(options.onBackgroundError());
        this.failures = new PushFailures(options.name(), topic.name(), options.onError(), topic.driver()::timer);
        Backend.EventSizeLimit limit = topic.driver().maxEventSize();
        this.maxEventSize = limit.bytes();
        this.maxEventSizeOption = limit.option();
        this.appender = Objects.requireNonNull(topic.backend().appender(
                new AppenderConfig(options.name(), producerId, options.maxInFlightBatches(), options.ordering())),
                () -> "the '" + topic.driver().name() + "' driver returned no appender for topic '" + topic.name()
                        + "': TopicBackend.appender must return a BatchAppender or a RecordAppender");
        // Appender is sealed: exactly one of the two
        this.recordAppender = appender instanceof RecordAppender ? (RecordAppender) appender : null;
        this.batchAppender = appender instanceof BatchAppender ? (BatchAppender) appender : null;
        this.recordMode = recordAppender != null;
        this.verbatimIntoBatch = !recordMode && serializer == Components.defaultSerializer();
        this.batchers = new PartitionBatcher[0];
        batcher(topic.partitions().size() - 1);
    }

    /** @return partition {@code p}'s batcher, made (with those of the partitions before it) if the topic grew */
    private PartitionBatcher batcher(int p) {
        PartitionBatcher[] b = batchers;
        if (p < b.length) {
            return b[p];
        }
        synchronized (this) {
            b = batchers;
            if (p >= b.length) {
                PartitionBatcher[] grown = java.util.Arrays.copyOf(b, p + 1);
                long linger = options.linger().toNanos();
                for (int i = b.length; i < grown.length; i++) {
                    grown[i] = new PartitionBatcher(this, i, batchAppender, options.batchSize(),
                            options.maxInFlightBatches(), options.maxBatchBytes(), linger);
                }
                batchers = grown;
                b = grown;
            }
            return b[p];
        }
    }

    long id() {
        return producerId;
    }

    ScheduledFuture<?> schedule(Runnable r, long delayNanos) {
        return topic.driver().timer().schedule(r, delayNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public String name() {
        return options.name();
    }

    @Override
    public TopicHandle topic() {
        return topic;
    }

    /** @return the memory bound (tests) */
    PermitGate gate() {
        return gate;
    }

    @Override
    public ProducerOptions options() {
        return options;
    }

    @Override
    public CompletableFuture<Long> push(Metadata metadata, DataView data) {
        CompletableFuture<Long> f = new CompletableFuture<>();
        submit(metadata, data, -1, f, null);
        return f;
    }

    @Override
    public CompletableFuture<Long> push(Metadata metadata, DataView data, int partition) {
        topic.checkPartition(partition);
        CompletableFuture<Long> f = new CompletableFuture<>();
        submit(metadata, data, partition, f, null);
        return f;
    }

    @Override
    public void push(Metadata metadata, DataView data, int partition, PushCallback callback) {
        Objects.requireNonNull(callback, "callback");
        if (partition != -1) {
            topic.checkPartition(partition);
        }
        submit(metadata, data, partition, null, callback);
    }

    private void submit(Metadata metadata, DataView data, int partition, CompletableFuture<Long> f, PushCallback cb) {
        Objects.requireNonNull(metadata, "metadata");
        Objects.requireNonNull(data, "data");
        checkOpen();
        long bytes = metadata.size() + data.size();
        gate.acquire(bytes, options.backPressure(), options.maxBlock().toNanos());
        pushed.increment();
        PendingEvent e = recordMode
                ? new RecordEvent(this, metadata, data, partition, bytes, f, cb, pushLatency, clock)
                : new PendingEvent(metadata, data, partition, bytes, f, cb, pushLatency, clock);
        if (pool.threadCount() == 0) {
            process(e);
        } else {
            queue.add(e);
            scheduleDrain();
        }
    }

    private void scheduleDrain() {
        if (!draining.get() && draining.compareAndSet(false, true)) {
            pool.execute(this::drain);
        }
    }

    private void drain() {
        try {
            drainQueue();
        } catch (Throwable t) { // escaped the handling of one event (an Error, an engine bug): no future carries it
            errors.onError("producer '" + options.name() + "' of topic '" + topic.name() + "': the drain task failed;"
                    + " it goes on with the next events", t);
            draining.set(false);
            if (!queue.isEmpty()) {
                scheduleDrain();
            }
        }
    }

    private void drainQueue() {
        boolean burst = false; // more than one event came during this task: a pusher is busy, worth waiting for
        while (true) {
            int taken = 0;
            for (; taken < DRAIN_BURST; taken++) {
                Object o = queue.poll();
                if (o == null) {
                    break;
                }
                if (o instanceof PendingEvent) {
                    process((PendingEvent) o);
                } else {
                    @SuppressWarnings("unchecked")
                    CompletableFuture<Void> marker = (CompletableFuture<Void>) o;
                    flushNow().whenComplete((v, err) -> marker.complete(null));
                }
            }
            burst |= taken > 1;
            if (burst && taken < DRAIN_BURST && awaitPush()) {
                continue; // the burst goes on, without a wake-up
            }
            if (queue.isEmpty()) {
                draining.set(false);
                // a push may have queued between the check and the reset; take the drain back if so
                if (queue.isEmpty() || !draining.compareAndSet(false, true)) {
                    return;
                }
            } else {
                // let other tasks of the pool run between bursts
                pool.execute(this::drain);
                return;
            }
        }
    }

    /**
     * @return true if a push arrived within {@link #DRAIN_LINGER_NANOS} (a bounded spin). The spin is timed by the
     *     JVM's clock, not the producer's: it bounds CPU spent spinning, no rule a test moves a clock for, and on a
     *     test clock that stands still it would never end.
     */
    private boolean awaitPush() {
        long deadline = System.nanoTime() + DRAIN_LINGER_NANOS;
        do {
            if (!queue.isEmpty()) {
                return true;
            }
            Thread.onSpinWait();
        } while (System.nanoTime() - deadline < 0);
        return !queue.isEmpty();
    }

    /** validate, select, serialize; then the batcher. Failures fail this event only. */
    private void process(PendingEvent e) {
        int p = -1;
        try {
            e.metadata.checkSyntax();
            validator.validate(e.metadata, e.data);
            List<PartitionInfo> partitions = partitionsFor(e);
            p = selector.select(e.metadata, e.requested, partitions);
            if (p < 0 || p >= partitions.size()) {
                throw new DiasporaException("partition selector " + selector.config() + " returned partition " + p
                        + ", outside [0, " + partitions.size() + ")");
            }
            ByteBuffer serialized = verbatimIntoBatch ? null : serializer.serialize(e.metadata);
            int metadataSize = serialized == null ? e.metadata.size() : serialized.remaining();
            long size = metadataSize + e.data.size();
            if (size > maxEventSize) {
                throw new EventTooLargeException("event of " + size + " bytes (metadata " + metadataSize
                        + " + data " + e.data.size() + ") exceeds the driver's limit of " + maxEventSize
                        + " bytes; split the data or raise " + maxEventSizeOption);
            }
            if (recordMode) {
                send(e, p, serialized, size);
            } else {
                batcher(p).add(e, serialized);
            }
        } catch (DiasporaException ex) {
            failEarly(e, p, ex);
        } catch (RuntimeException ex) {
            failEarly(e, p, new ValidationException("the topic's components rejected the event: " + ex, ex));
        }
    }

    /** @return the topic's partitions for {@code e}'s selection: a recent reading, or a new one (see the field) */
    private List<PartitionInfo> partitionsFor(PendingEvent e) {
        KnownPartitions k = knownPartitions;
        long age = k == null ? 0 : e.pushedAt() - k.readAt;
        if (k == null || age <= 0 || age >= PARTITIONS_NANOS || e.requested >= k.list.size()) {
            k = new KnownPartitions(topic.partitions(), e.pushedAt()); // grows when partitions are added
            knownPartitions = k;
        }
        return k.list;
    }

    /** A {@link RecordAppender}: one event straight to the driver, which batches by itself. */
    private void send(PendingEvent e, int p, ByteBuffer serialized, long size) {
        batches.increment();
        RecordEvent r = (RecordEvent) e; // recordMode: submit made a RecordEvent
        r.sending(p, size);
        recordAppender.send(p, serialized, e.data, r);
    }

    /** The driver's outcome of one {@link #send}, on a driver thread. */
    void recordCompleted(RecordEvent e, int p, long size, long id, Throwable err) {
        Throwable cause = err == null || err instanceof DiasporaException ? err
                : new DiasporaException("partition " + p + ": the driver failed to store the event: " + err, err);
        if (cause == null) {
            e.succeed(p, id);
        } else {
            e.fail(p, cause);
            failures.failed(p, e.metadata, cause, true);
        }
        completed(1, e.permitBytes, size, cause);
    }

    private void failEarly(PendingEvent e, int p, DiasporaException ex) {
        e.fail(p, ex);
        failures.failed(p, e.metadata, ex, false);
        failed.increment();
        gate.release(1, e.permitBytes);
    }

    /** An event of a batch failed; called before the batch's flush waiters complete. */
    void eventFailed(int p, PendingEvent e, Throwable cause) {
        failures.failed(p, e.metadata, cause, true);
    }

    void batchSent() {
        batches.increment();
    }

    /** Called once per batch, after its events completed. */
    void completed(int count, long permitBytes, long bytes, Throwable error) {
        gate.release(count, permitBytes);
        if (error == null) {
            stored.add(count);
            bytesStored.add(bytes);
        } else {
            failed.add(count);
        }
    }

    @Override
    public CompletableFuture<Void> flush() {
        checkOpen();
        return flushInternal(false);
    }

    private CompletableFuture<Void> flushInternal(boolean closing) {
        CompletableFuture<Void> all;
        if (pool.threadCount() == 0) {
            all = flushNow();
        } else {
            CompletableFuture<Void> marker = new CompletableFuture<>();
            queue.add(marker);
            scheduleDrain();
            all = marker;
        }
        return all.thenCompose(v -> {
            EventsFailedException failed = failures.takeSinceFlush(closing);
            return failed == null ? CompletableFuture.completedFuture(null) : CompletableFuture.failedFuture(failed);
        });
    }

    private CompletableFuture<Void> flushNow() {
        if (recordMode) {
            return recordAppender.flush();
        }
        PartitionBatcher[] batchers = this.batchers;
        CompletableFuture<?>[] fs = new CompletableFuture<?>[batchers.length];
        for (int p = 0; p < batchers.length; p++) {
            fs[p] = batchers[p].flush();
        }
        return CompletableFuture.allOf(fs);
    }

    /** @return the times from push to stored of the events stored so far */
    LatencyHistogram pushLatency() {
        return pushLatency;
    }

    @Override
    public ProducerMetrics metrics() {
        return new ProducerMetrics(pushed.sum(), stored.sum(), failed.sum(), bytesStored.sum(), batches.sum(),
                gate.pendingEvents(), gate.pendingBytes(), gate.blockedNanos());
    }

    private void checkOpen() {
        if (closed.get()) {
            throw new IllegalStateException("producer '" + options.name() + "' of topic '" + topic.name()
                    + "' is closed");
        }
    }

    @Override
    public void close() {
        close(options.closeTimeout());
    }

    @Override
    public void close(Duration timeout) {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        DiasporaException failure = null;
        try {
            flushInternal(true).get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            failure = new DiasporaException("producer '" + options.name() + "': close timed out after " + timeout
                    + " waiting for pending events; events not yet sent were failed");
        } catch (ExecutionException e) {
            failure = e.getCause() instanceof DiasporaException ? (DiasporaException) e.getCause()
                    : new DiasporaException("producer close: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            throw new InterruptException("closing producer '" + options.name() + "'", e);
        } finally {
            if (failure != null) {
                for (PartitionBatcher b : batchers) {
                    b.abandon(new DiasporaException("producer '" + options.name() + "' closed before the event was"
                            + " sent"));
                }
            }
            appender.close();
            topic.closed(this);
        }
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public String toString() {
        return "Producer[" + options.name() + " -> " + topic.name() + "]";
    }
}
