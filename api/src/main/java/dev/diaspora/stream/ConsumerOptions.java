package dev.diaspora.stream;

import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;

/**
 * Options of a {@link Consumer}, built fluently: {@code ConsumerOptions.named("app2").dataSelector(...)}. Each setter
 * returns a new, immutable instance.
 *
 * <p>The name is required: it identifies the stored positions ({@link Event#acknowledge()}) and the group of
 * consumers that share the partitions. Defaults: all partitions, start at {@link StartAt#EARLIEST} for partitions with
 * no stored position, {@link DataSelector#ALL} and {@link DataAllocator#heap()} (Java users expect the data; set
 * {@link DataSelector#NONE} for metadata-only consumers), adaptive batch size (reads of 512 events, growing to 4096
 * while they come back full), 2 read batches read ahead per partition ({@code maxPrefetchBatches}), 64 MiB prefetched
 * at most, acknowledgements persisted every second, and {@link UnreadableEventPolicy#FAIL} for events that cannot be
 * read, and {@link ExpiredPositionPolicy#EARLIEST} for positions that retention dropped.
 *
 * <p>Consumers without targets that share a name form a group (see {@link Consumer}); {@link #sessionTimeout},
 * {@link #heartbeatInterval}, {@link #maxPollInterval} and {@link #assignmentListener} set how it treats this member.
 *
 * <p>Thread safety: immutable.
 */
public final class ConsumerOptions {
    /**
     * Events the first driver read asks for when the batch size is adaptive; the reads of such a consumer double from
     * there each time one comes back full, up to {@link #ADAPTIVE_MAX_READ_BATCH}.
     */
    public static final int ADAPTIVE_READ_BATCH = 512;

    /**
     * The most events a driver read asks for when the batch size is adaptive: reached after a few full reads (a
     * backlog), it keeps a consumer of small events from a remote driver from waiting a round trip per read. The reads
     * of a consumer opened with {@link #recycleEvents(boolean)} stay at {@link #ADAPTIVE_READ_BATCH}: a deeper
     * read-ahead would hold more pooled events.
     */
    public static final int ADAPTIVE_MAX_READ_BATCH = 4096;

    private final String name;
    private final int[] targets;
    private final StartAt startAt;
    private final DataSelector dataSelector;
    private final DataAllocator dataAllocator;
    private final BatchSize batchSize;
    private final int maxPrefetchBatches;
    private final long maxPrefetchBytes;
    private final Duration ackInterval;
    private final UnreadableEventPolicy onUnreadableEvent;
    private final Group group;
    private final ExpiredPositionPolicy onExpiredPosition;
    private final BackgroundErrorHandler onBackgroundError;
    private final boolean recycleEvents;

    /** The group settings, kept together so that the long constructor does not grow with them. */
    private record Group(Duration sessionTimeout, Duration heartbeatInterval, AssignmentListener listener,
            Duration maxPollInterval) {
        static final Group DEFAULT = new Group(DEFAULT_SESSION_TIMEOUT, null, AssignmentListener.NONE,
                DEFAULT_MAX_POLL_INTERVAL);
    }

    /** The default {@link #sessionTimeout(Duration)}: 10 s. */
    public static final Duration DEFAULT_SESSION_TIMEOUT = Duration.ofSeconds(10);

    /** The default {@link #maxPollInterval(Duration)}: 5 min. */
    public static final Duration DEFAULT_MAX_POLL_INTERVAL = Duration.ofMinutes(5);

    private ConsumerOptions(String name, int[] targets, StartAt startAt, DataSelector dataSelector,
            DataAllocator dataAllocator, BatchSize batchSize, int maxPrefetchBatches, long maxPrefetchBytes,
            Duration ackInterval, UnreadableEventPolicy onUnreadableEvent, Group group,
            ExpiredPositionPolicy onExpiredPosition, BackgroundErrorHandler onBackgroundError, boolean recycleEvents) {
        this.onBackgroundError = onBackgroundError;
        this.recycleEvents = recycleEvents;
        this.group = group;
        this.onExpiredPosition = onExpiredPosition;
        this.name = name;
        this.targets = targets;
        this.startAt = startAt;
        this.dataSelector = dataSelector;
        this.dataAllocator = dataAllocator;
        this.batchSize = batchSize;
        this.maxPrefetchBatches = maxPrefetchBatches;
        this.maxPrefetchBytes = maxPrefetchBytes;
        this.ackInterval = ackInterval;
        this.onUnreadableEvent = onUnreadableEvent;
    }

    /**
     * The defaults with this consumer name.
     *
     * @throws IllegalArgumentException if the name is empty, longer than 200 characters, or holds a path separator,
     *     a control character, or is {@code .} or {@code ..}
     */
    public static ConsumerOptions named(String name) {
        checkName(name);
        return new ConsumerOptions(name, null, StartAt.EARLIEST, DataSelector.ALL, DataAllocator.heap(),
                BatchSize.adaptive(), 2, 64L << 20, Duration.ofSeconds(1), UnreadableEventPolicy.FAIL, Group.DEFAULT,
                ExpiredPositionPolicy.EARLIEST, null, false);
    }

    private ConsumerOptions with(int[] targets, StartAt startAt, DataSelector dataSelector,
            DataAllocator dataAllocator, BatchSize batchSize, int maxPrefetchBatches, long maxPrefetchBytes,
            Duration ackInterval) {
        return new ConsumerOptions(name, targets, startAt, dataSelector, dataAllocator, batchSize, maxPrefetchBatches,
                maxPrefetchBytes, ackInterval, onUnreadableEvent, group, onExpiredPosition, onBackgroundError,
                recycleEvents);
    }

    private ConsumerOptions withGroup(Group g) {
        return new ConsumerOptions(name, targets, startAt, dataSelector, dataAllocator, batchSize, maxPrefetchBatches,
                maxPrefetchBytes, ackInterval, onUnreadableEvent, g, onExpiredPosition, onBackgroundError,
                recycleEvents);
    }

    /**
     * Sets how long a member of the consumer group (a consumer without {@link #targets}) stays a member without a
     * heartbeat; default 10 s. The fetch thread heartbeats, also while the application does not pull (see
     * {@link #heartbeatInterval(Duration)}; an application that stops pulling altogether is handled by
     * {@link #maxPollInterval(Duration)}). A consumer whose process dies, or whose fetch thread stalls (a data
     * selector or allocator or {@link AssignmentListener} that blocks) longer than this, loses its partitions to the
     * live members: within about this time plus 100 ms where the driver can take a dead member's leases over
     * (memory), and at once when its process dies where the OS releases its locks (files). Explicit targets are not
     * affected.
     *
     * @throws IllegalArgumentException if zero or negative
     */
    public ConsumerOptions sessionTimeout(Duration sessionTimeout) {
        Objects.requireNonNull(sessionTimeout, "sessionTimeout");
        if (sessionTimeout.isZero() || sessionTimeout.isNegative()) {
            throw new IllegalArgumentException("sessionTimeout must be positive (it is how long a consumer of a group"
                    + " may go without a heartbeat before its partitions move to the others), got " + sessionTimeout
                    + "; the default is " + DEFAULT_SESSION_TIMEOUT.toSeconds() + " s");
        }
        return withGroup(new Group(sessionTimeout, group.heartbeatInterval(), group.listener(),
                group.maxPollInterval()));
    }

    /**
     * Sets how often a group member heartbeats; default a third of the session timeout. It must be shorter than the
     * session timeout (checked when the consumer opens).
     *
     * @throws IllegalArgumentException if zero or negative
     */
    public ConsumerOptions heartbeatInterval(Duration heartbeatInterval) {
        Objects.requireNonNull(heartbeatInterval, "heartbeatInterval");
        if (heartbeatInterval.isZero() || heartbeatInterval.isNegative()) {
            throw new IllegalArgumentException("heartbeatInterval must be positive, got " + heartbeatInterval);
        }
        return withGroup(new Group(group.sessionTimeout(), heartbeatInterval, group.listener(),
                group.maxPollInterval()));
    }

    /** Sets the listener told when partitions are assigned to or revoked from this consumer. */
    public ConsumerOptions assignmentListener(AssignmentListener listener) {
        return withGroup(new Group(group.sessionTimeout(), group.heartbeatInterval(),
                Objects.requireNonNull(listener, "listener"), group.maxPollInterval()));
    }

    /**
     * Sets how long a group member may go without the application pulling (no {@code poll}, {@code pull},
     * {@code process} or iteration call running or started) before it leaves the group; default 5 min. The fetch
     * thread heartbeats on its own, so without this a consumer that is open but never polled (its application thread
     * hung, or forgot it) would keep its partitions, and their events would wait in its prefetch, forever. Once the
     * interval has passed the member gives its partitions up as on a clean leave (acknowledged positions stored first,
     * {@link AssignmentListener#onRevoked} told, a later {@link Event#acknowledge()} of their events throws
     * {@link ConsumerConflictException}) and leaves; the live members take them at their next check. The next pull
     * rejoins the group and the consumer gets a share again. Keep it longer than the longest time the application
     * spends on one event between two pulls. Explicit targets are not affected. Every driver with groups honours it
     * (kafka through Kafka's LeaveGroup).
     *
     * @throws IllegalArgumentException if zero or negative
     */
    public ConsumerOptions maxPollInterval(Duration maxPollInterval) {
        Objects.requireNonNull(maxPollInterval, "maxPollInterval");
        if (maxPollInterval.isZero() || maxPollInterval.isNegative()) {
            throw new IllegalArgumentException("maxPollInterval must be positive (it is how long a consumer of a group"
                    + " may go without the application pulling before it leaves the group), got " + maxPollInterval
                    + "; the default is " + DEFAULT_MAX_POLL_INTERVAL.toMinutes() + " min");
        }
        return withGroup(new Group(group.sessionTimeout(), group.heartbeatInterval(), group.listener(),
                maxPollInterval));
    }

    /** @return how long a group member may go without the application pulling before it leaves the group */
    public Duration maxPollInterval() {
        return group.maxPollInterval();
    }

    /** @return how long a group member stays one without a heartbeat */
    public Duration sessionTimeout() {
        return group.sessionTimeout();
    }

    /**
     * @return how often a group member heartbeats: the one set, else a third of the session timeout
     * @throws IllegalArgumentException if the interval set is not shorter than the session timeout
     */
    public Duration heartbeatInterval() {
        Duration sessionTimeout = group.sessionTimeout();
        Duration heartbeatInterval = group.heartbeatInterval();
        if (heartbeatInterval == null) {
            return sessionTimeout.dividedBy(3);
        }
        if (heartbeatInterval.compareTo(sessionTimeout) >= 0) {
            throw new IllegalArgumentException("heartbeatInterval (" + heartbeatInterval + ") must be shorter than"
                    + " sessionTimeout (" + sessionTimeout + "), or a live consumer would be taken for dead; about a"
                    + " third of it is usual");
        }
        return heartbeatInterval;
    }

    /** @return the assignment listener */
    public AssignmentListener assignmentListener() {
        return group.listener();
    }

    /**
     * Reads only these partitions (static assignment, outside the group of the name); fails at open if another live
     * consumer of the name holds one. Group members skip partitions a static consumer holds.
     */
    public ConsumerOptions targets(int... partitions) {
        Objects.requireNonNull(partitions, "partitions");
        int[] t = partitions.clone();
        Arrays.sort(t);
        for (int i = 0; i < t.length; i++) {
            if (t[i] < 0 || (i > 0 && t[i] == t[i - 1])) {
                throw new IllegalArgumentException("targets must be distinct partition indexes >= 0, got "
                        + Arrays.toString(partitions));
            }
        }
        if (t.length == 0) {
            throw new IllegalArgumentException("targets must name at least one partition");
        }
        return with(t, startAt, dataSelector, dataAllocator, batchSize, maxPrefetchBatches, maxPrefetchBytes, ackInterval);
    }

    /** Sets where partitions with no stored position start. */
    public ConsumerOptions startAt(StartAt startAt) {
        return with(targets, Objects.requireNonNull(startAt, "startAt"), dataSelector, dataAllocator, batchSize,
                maxPrefetchBatches, maxPrefetchBytes, ackInterval);
    }

    /** Sets the data selector. */
    public ConsumerOptions dataSelector(DataSelector dataSelector) {
        return with(targets, startAt, Objects.requireNonNull(dataSelector, "dataSelector"), dataAllocator, batchSize,
                maxPrefetchBatches, maxPrefetchBytes, ackInterval);
    }

    /** Sets the data allocator. */
    public ConsumerOptions dataAllocator(DataAllocator dataAllocator) {
        return with(targets, startAt, dataSelector, Objects.requireNonNull(dataAllocator, "dataAllocator"), batchSize,
                maxPrefetchBatches, maxPrefetchBytes, ackInterval);
    }

    /**
     * Chooses who owns the events handed to an {@link EventProcessor} by {@link Consumer#poll(EventProcessor, int,
     * java.time.Duration)}: with {@code true} each such event and its data buffer are valid only during the
     * {@code process} call, and the consumer reuses the event object and the data buffer for a later event once the
     * call returns; that takes the per-event allocation of the engine's event, its metadata, its descriptor and its
     * data buffer off the read path (the {@code files} driver then reuses its read buffers too: nothing is allocated
     * per event in steady state). Default {@code false}: the application owns every event.
     *
     * <p>Choose it for a flat heap (no garbage per event, so no collections caused by reading), not for events per
     * second: reused objects travel between the fetch thread's and the application's CPU caches, so on a 2-core
     * machine a batch poll of 1 KiB events from the {@code files} driver ran at about 0.7x the speed of the same poll
     * without it.
     *
     * <p>Under {@code true}:
     * <ul>
     *   <li>call {@link Event#keep()} inside the call for an event that stays valid (a copy; never recycled);</li>
     *   <li>the event's {@link Metadata} is the event's too (with the default serializer the consumer copies each
     *       event's text into the pooled event and shows it through one metadata object per pooled event, so that
     *       the driver can reuse its read buffers): valid only during the call, like the event; the metadata the
     *       {@link DataSelector} and the {@link DataAllocator} receive is that same object, valid during their call,
     *       and the {@link DataDescriptor} the selector receives is reused once the event's data is read (views made
     *       from it are independent);</li>
     *   <li>an event used after its call has returned is undefined: while it waits in the consumer's pool every method
     *       throws {@link IllegalStateException} saying so, but once reused it shows a later event, so never keep the
     *       reference; a {@link DataView} or buffer taken from it is reused the same way, without a check;</li>
     *   <li>{@link Consumer#pull()}, {@link Consumer#poll(java.time.Duration)}, {@link Consumer#process} and the
     *       iterators and streams hand out kept copies (as {@link Event#keep()}): their contract is unchanged, without
     *       the saving;</li>
     *   <li>the {@link DataAllocator} is asked for a buffer only when the consumer's pool holds none of the same size:
     *       buffers come back to the pool after each call, and {@link DataAllocator#release(DataView)} receives those
     *       the pool does not keep (above {@link #maxPrefetchBytes()} pooled, and all of them when the consumer
     *       closes);</li>
     *   <li>the pool belongs to the consumer: no state is shared between consumers.</li>
     * </ul>
     */
    public ConsumerOptions recycleEvents(boolean recycleEvents) {
        return new ConsumerOptions(name, targets, startAt, dataSelector, dataAllocator, batchSize, maxPrefetchBatches,
                maxPrefetchBytes, ackInterval, onUnreadableEvent, group, onExpiredPosition, onBackgroundError,
                recycleEvents);
    }

    /** @return whether events handed to an {@link EventProcessor} are recycled after the call (see the setter) */
    public boolean recycleEvents() {
        return recycleEvents;
    }

    /** Sets the number of events per driver read. */
    public ConsumerOptions batchSize(BatchSize batchSize) {
        return with(targets, startAt, dataSelector, dataAllocator, Objects.requireNonNull(batchSize, "batchSize"),
                maxPrefetchBatches, maxPrefetchBytes, ackInterval);
    }

    /**
     * Sets how many read batches of one partition the consumer reads ahead of the application: the fetch thread
     * pauses a partition once it holds {@code maxPrefetchBatches} &times; the read batch size events that were not
     * pulled yet (the read batch size is {@link #batchSize(BatchSize)}; when adaptive, {@link #ADAPTIVE_READ_BATCH} at
     * first, growing to {@link #ADAPTIVE_MAX_READ_BATCH} as reads come back full), and resumes it as the application
     * pulls. {@link #maxPrefetchBytes(long)} bounds the whole consumer
     * as well.
     *
     * @throws IllegalArgumentException if &lt; 1
     */
    public ConsumerOptions maxPrefetchBatches(int maxPrefetchBatches) {
        ProducerOptions.positive("maxPrefetchBatches", maxPrefetchBatches);
        return with(targets, startAt, dataSelector, dataAllocator, batchSize, maxPrefetchBatches, maxPrefetchBytes,
                ackInterval);
    }

    /**
     * The former name of {@link #maxPrefetchBatches(int)}, which it calls.
     *
     * @deprecated the producer's option of the same name meant something else (appends in flight); use
     *     {@link #maxPrefetchBatches(int)}
     */
    @Deprecated(since = "0.1.0", forRemoval = true)
    public ConsumerOptions maxNumBatches(int maxNumBatches) {
        ProducerOptions.positive("maxNumBatches", maxNumBatches);
        return maxPrefetchBatches(maxNumBatches);
    }

    /** Sets the consumer-wide bound on prefetched bytes (metadata plus selected data). */
    public ConsumerOptions maxPrefetchBytes(long maxPrefetchBytes) {
        ProducerOptions.positive("maxPrefetchBytes", maxPrefetchBytes);
        return with(targets, startAt, dataSelector, dataAllocator, batchSize, maxPrefetchBatches, maxPrefetchBytes,
                ackInterval);
    }

    /** Sets how often acknowledgements are persisted. */
    public ConsumerOptions ackInterval(Duration ackInterval) {
        ProducerOptions.nonNegative("ackInterval", ackInterval);
        return with(targets, startAt, dataSelector, dataAllocator, batchSize, maxPrefetchBatches, maxPrefetchBytes,
                ackInterval);
    }

    /**
     * Was documented as the pool that runs the data selector and allocator, and never used: they run on the
     * consumer's fetch thread. Accepts null (no pool, which is what every consumer has) and rejects a pool.
     *
     * @throws IllegalArgumentException if {@code threadPool} is not null
     * @deprecated remove the call. The selector and allocator run on the consumer's fetch thread, one event at a
     *     time; to process events in parallel, pass a pool to
     *     {@link Consumer#process(EventProcessor, Duration, long, ThreadPool)}, or open more consumers of the name.
     */
    @Deprecated(since = "0.1.0", forRemoval = true)
    public ConsumerOptions threadPool(ThreadPool threadPool) {
        if (threadPool != null) {
            throw new IllegalArgumentException("ConsumerOptions.threadPool is not supported: a consumer runs its data"
                    + " selector and allocator on its fetch thread, so remove the threadPool call; to process events"
                    + " in parallel pass the pool to Consumer.process(processor, idleTimeout, maxEvents, pool), or"
                    + " open more consumers of the same name");
        }
        return this;
    }

    /**
     * Sets what the consumer does with an event it cannot deliver (damaged in storage, or its deserializer, data
     * selector or allocator throws): {@link UnreadableEventPolicy#FAIL} (the default) stops that partition at the
     * event until a seek; {@link UnreadableEventPolicy#SKIP} logs it at WARN, counts it in
     * {@link ConsumerMetrics#eventsSkipped()}, treats it as consumed and goes on.
     */
    public ConsumerOptions onUnreadableEvent(UnreadableEventPolicy policy) {
        Objects.requireNonNull(policy, "policy");
        return new ConsumerOptions(name, targets, startAt, dataSelector, dataAllocator, batchSize, maxPrefetchBatches,
                maxPrefetchBytes, ackInterval, policy, group, onExpiredPosition, onBackgroundError,
                recycleEvents);
    }

    /**
     * Sets what the consumer does when a partition's position (stored by its name, given to {@code seek}, or reached
     * while reading behind a topic's retention) lies below the first event the topic still retains, because
     * retention ({@code retention.ms}, {@code retention.bytes}) dropped the events there:
     * {@link ExpiredPositionPolicy#EARLIEST} (the default) goes on at the first retained event,
     * {@link ExpiredPositionPolicy#LATEST} at the end of the partition, and {@link ExpiredPositionPolicy#FAIL} fails
     * every pull of that partition with a {@link PositionExpiredException} (naming the partition, the position and
     * the first retained id) until the consumer seeks. Each time is logged at WARN and the dropped ids are counted in
     * {@link ConsumerMetrics#eventsExpired()}. Applies to drivers whose consumers use the shared read session (memory,
     * files, netty).
     */
    public ConsumerOptions onExpiredPosition(ExpiredPositionPolicy policy) {
        Objects.requireNonNull(policy, "policy");
        return new ConsumerOptions(name, targets, startAt, dataSelector, dataAllocator, batchSize, maxPrefetchBatches,
                maxPrefetchBytes, ackInterval, onUnreadableEvent, group, policy, onBackgroundError,
                recycleEvents);
    }

    /**
     * Sets the handler of failures on this consumer's fetch thread that no pull carries: acknowledgements that cannot
     * be stored yet (retried every {@code ackInterval}), group upkeep that fails (retried), an
     * {@link AssignmentListener} that throws, an unexpected failure that stops the fetch thread. Failures that reach pulls (a read error, a deleted topic) are not reported here too.
     * See {@link BackgroundErrorHandler} for its threading rules. Null (the default) uses the driver's handler
     * ({@link Driver#open(String, Metadata, BackgroundErrorHandler)}), which logs unless set.
     */
    public ConsumerOptions onBackgroundError(BackgroundErrorHandler handler) {
        return new ConsumerOptions(name, targets, startAt, dataSelector, dataAllocator, batchSize, maxPrefetchBatches,
                maxPrefetchBytes, ackInterval, onUnreadableEvent, group, onExpiredPosition, handler,
                recycleEvents);
    }

    /** @return the handler of the fetch thread's unreported failures, or null for the driver's */
    public BackgroundErrorHandler onBackgroundError() {
        return onBackgroundError;
    }

    /** @return what the consumer does when a position lies below the first retained event */
    public ExpiredPositionPolicy onExpiredPosition() {
        return onExpiredPosition;
    }

    /** @return what the consumer does with an event it cannot deliver */
    public UnreadableEventPolicy onUnreadableEvent() {
        return onUnreadableEvent;
    }

    /** @return the consumer name */
    public String name() {
        return name;
    }

    /** @return the explicit target partitions, sorted, or null for all */
    public int[] targets() {
        return targets == null ? null : targets.clone();
    }

    /** @return the start position for partitions with no stored position */
    public StartAt startAt() {
        return startAt;
    }

    /** @return the data selector */
    public DataSelector dataSelector() {
        return dataSelector;
    }

    /** @return the data allocator */
    public DataAllocator dataAllocator() {
        return dataAllocator;
    }

    /** @return the read batch size */
    public BatchSize batchSize() {
        return batchSize;
    }

    /** @return read batches prefetched per partition, at most */
    public int maxPrefetchBatches() {
        return maxPrefetchBatches;
    }

    /**
     * @return {@link #maxPrefetchBatches()}
     * @deprecated use {@link #maxPrefetchBatches()}
     */
    @Deprecated(since = "0.1.0", forRemoval = true)
    public int maxNumBatches() {
        return maxPrefetchBatches;
    }

    /** @return the prefetch bound in bytes */
    public long maxPrefetchBytes() {
        return maxPrefetchBytes;
    }

    /** @return how often acknowledgements are persisted */
    public Duration ackInterval() {
        return ackInterval;
    }

    /**
     * @return null: consumers have no pool
     * @deprecated see {@link #threadPool(ThreadPool)}
     */
    @Deprecated(since = "0.1.0", forRemoval = true)
    public ThreadPool threadPool() {
        return null;
    }

    /** Checks a consumer name: it may become a file name, so it is never a path. */
    static void checkName(String name) {
        Objects.requireNonNull(name, "consumer name");
        if (name.isEmpty() || name.length() > 200 || name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException("invalid consumer name '" + name
                    + "': it must be 1 to 200 characters and not '.' or '..'");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '/' || c == '\\' || Character.isISOControl(c)) {
                throw new IllegalArgumentException("invalid consumer name '" + name
                        + "': it must not contain '/', '\\' or control characters");
            }
        }
    }

    @Override
    public String toString() {
        return "ConsumerOptions[name=" + name + ", targets=" + (targets == null ? "all" : Arrays.toString(targets))
                + ", startAt=" + startAt + ", batchSize=" + batchSize + ", onUnreadableEvent=" + onUnreadableEvent
                + ", onExpiredPosition=" + onExpiredPosition + (recycleEvents ? ", recycleEvents" : "") + "]";
    }
}
