package dev.diaspora.stream;

import java.time.Duration;
import java.util.Objects;

/**
 * Options of a {@link Producer}, built fluently: {@code ProducerOptions.named("app1").batchSize(BatchSize.of(128))}.
 * Each setter returns a new, immutable instance.
 *
 * <p>Defaults: adaptive batch size, 2 batches in flight per partition ({@code maxInFlightBatches}),
 * {@link Ordering#STRICT}, the driver's default thread pool (0 threads: the pipeline runs inline in {@code push}),
 * block on back-pressure for at most 60 s, the pending bounds the driver suggests (else at most
 * {@value #DEFAULT_MAX_PENDING_EVENTS} pending events and 64 MiB pending bytes: metadata plus referenced data; see below),
 * batches sealed at 4 MiB, no linger, 30 s to flush on close.
 *
 * <p>The memory bound is both counts at once: {@code push} admits an event while the events and bytes pending (pushed,
 * outcome not yet known), this event included, stay within {@code maxPendingEvents} and {@code maxPendingBytes} (an
 * event larger than {@code maxPendingBytes} passes when nothing else is pending). A push blocked there
 * ({@link BackPressure#BLOCK}) resumes once a sixteenth of the bound is free again (events and bytes), or nothing is
 * pending, rather than as soon as one event completes; it also looks again every 10 ms.
 *
 * <p>Where the bounds come from: a bound given to {@link #maxPendingEvents(int)} or {@link #maxPendingBytes(long)} is
 * the one in force. A bound not given is the driver's suggestion when its driver makes one, sized to what the
 * driver's own client holds (the kafka driver: from its producer's {@code buffer.memory}, see the driver's README),
 * else {@link #DEFAULT_MAX_PENDING_EVENTS} events or {@link #DEFAULT_MAX_PENDING_BYTES} bytes. The getters of these
 * options report {@link #DEFAULT_MAX_PENDING_EVENTS}/{@link #DEFAULT_MAX_PENDING_BYTES} for a bound not given
 * ({@link #maxPendingEventsSet()} tells which); {@link Producer#options()} of an open producer reports the bounds
 * in force, as if given. Set a bound to cap the heap a producer may hold: each pending event costs its metadata and
 * data plus a few hundred bytes of bookkeeping.
 *
 * <p>Thread safety: immutable.
 */
public final class ProducerOptions {
    /** What {@code push} does at the memory bound. */
    public enum BackPressure {
        /** Block for at most {@code maxBlock}, then throw {@link BackPressureException}. */
        BLOCK,
        /** Throw {@link BackPressureException} at once. */
        FAIL_FAST
    }

    /** The pending-events bound of a producer whose options and driver give none: {@value}. */
    public static final int DEFAULT_MAX_PENDING_EVENTS = 65_536;
    /** The pending-bytes bound of a producer whose options and driver give none: {@value} (64 MiB). */
    public static final long DEFAULT_MAX_PENDING_BYTES = 64L << 20;
    /** The value of {@link #maxPendingEvents} and {@link #maxPendingBytes} while the user has given none. */
    private static final int NOT_SET = 0;

    private static final ProducerOptions DEFAULTS = new ProducerOptions("", BatchSize.adaptive(), 2, Ordering.STRICT,
            null, BackPressure.BLOCK, Duration.ofSeconds(60), NOT_SET, NOT_SET, 4L << 20, Duration.ZERO,
            Duration.ofSeconds(30), null, null);

    private final String name;
    private final BatchSize batchSize;
    private final int maxInFlightBatches;
    private final Ordering ordering;
    private final ThreadPool threadPool;
    private final BackPressure backPressure;
    private final Duration maxBlock;
    private final int maxPendingEvents; // NOT_SET unless given
    private final long maxPendingBytes; // NOT_SET unless given
    private final long maxBatchBytes;
    private final Duration linger;
    private final Duration closeTimeout;
    private final PushErrorHandler onError;
    private final BackgroundErrorHandler onBackgroundError;

    private ProducerOptions(String name, BatchSize batchSize, int maxInFlightBatches, Ordering ordering,
            ThreadPool threadPool, BackPressure backPressure, Duration maxBlock, int maxPendingEvents,
            long maxPendingBytes, long maxBatchBytes, Duration linger, Duration closeTimeout, PushErrorHandler onError,
            BackgroundErrorHandler onBackgroundError) {
        this.name = name;
        this.batchSize = batchSize;
        this.maxInFlightBatches = maxInFlightBatches;
        this.ordering = ordering;
        this.threadPool = threadPool;
        this.backPressure = backPressure;
        this.maxBlock = maxBlock;
        this.maxPendingEvents = maxPendingEvents;
        this.maxPendingBytes = maxPendingBytes;
        this.maxBatchBytes = maxBatchBytes;
        this.linger = linger;
        this.closeTimeout = closeTimeout;
        this.onError = onError;
        this.onBackgroundError = onBackgroundError;
    }

    /** @return the defaults, with an empty name */
    public static ProducerOptions defaults() {
        return DEFAULTS;
    }

    /** @return the defaults with this producer name (used in logs and metrics) */
    public static ProducerOptions named(String name) {
        return DEFAULTS.name(name);
    }

    private ProducerOptions copy(String name, BatchSize batchSize, int maxInFlightBatches, Ordering ordering,
            ThreadPool threadPool, BackPressure backPressure, Duration maxBlock, int maxPendingEvents,
            long maxPendingBytes, long maxBatchBytes, Duration linger, Duration closeTimeout, PushErrorHandler onError,
            BackgroundErrorHandler onBackgroundError) {
        return new ProducerOptions(name, batchSize, maxInFlightBatches, ordering, threadPool, backPressure, maxBlock,
                maxPendingEvents, maxPendingBytes, maxBatchBytes, linger, closeTimeout, onError,
                onBackgroundError);
    }

    /** Sets the producer's name. */
    public ProducerOptions name(String name) {
        return copy(Objects.requireNonNull(name, "name"), batchSize, maxInFlightBatches, ordering, threadPool,
                backPressure, maxBlock, maxPendingEvents, maxPendingBytes, maxBatchBytes, linger, closeTimeout, onError,
                onBackgroundError);
    }

    /** Sets the batch size per partition. */
    public ProducerOptions batchSize(BatchSize batchSize) {
        return copy(name, Objects.requireNonNull(batchSize, "batchSize"), maxInFlightBatches, ordering, threadPool,
                backPressure, maxBlock, maxPendingEvents, maxPendingBytes, maxBatchBytes, linger, closeTimeout, onError,
                onBackgroundError);
    }

    /**
     * Sets how many appends of one partition may be in flight to the driver at once (sealed batches handed to the
     * driver whose outcome is not known yet). With an adaptive batch size this is also what makes batches grow: a
     * batch is sealed at once while fewer than this many are in flight, and accumulates events while all are busy.
     *
     * @throws IllegalArgumentException if &lt; 1
     */
    public ProducerOptions maxInFlightBatches(int maxInFlightBatches) {
        positive("maxInFlightBatches", maxInFlightBatches);
        return copy(name, batchSize, maxInFlightBatches, ordering, threadPool, backPressure, maxBlock, maxPendingEvents,
                maxPendingBytes, maxBatchBytes, linger, closeTimeout, onError,
                onBackgroundError);
    }

    /**
     * The former name of {@link #maxInFlightBatches(int)}, which it calls.
     *
     * @deprecated the consumer's option of the same name meant something else (its read-ahead); use
     *     {@link #maxInFlightBatches(int)}
     */
    @Deprecated(since = "0.1.0", forRemoval = true)
    public ProducerOptions maxNumBatches(int maxNumBatches) {
        positive("maxNumBatches", maxNumBatches);
        return maxInFlightBatches(maxNumBatches);
    }

    /**
     * Sets the ordering. {@link Ordering#STRICT}, the default, is the only ordering producers have.
     *
     * @throws IllegalArgumentException for {@link Ordering#LOOSE}, which no producer implements (see its Javadoc for
     *     what to use instead)
     */
    public ProducerOptions ordering(Ordering ordering) {
        if (Objects.requireNonNull(ordering, "ordering") != Ordering.STRICT) {
            throw new IllegalArgumentException("ordering " + ordering + " is not supported: every producer keeps push"
                    + " order per partition (Ordering.STRICT, the default), so remove the ordering(" + ordering
                    + ") call; for more throughput give the producer a threadPool (the pipeline leaves the pushing"
                    + " thread), raise maxInFlightBatches, or push from several producers to several partitions");
        }
        return copy(name, batchSize, maxInFlightBatches, ordering, threadPool,
                backPressure, maxBlock, maxPendingEvents, maxPendingBytes, maxBatchBytes, linger, closeTimeout, onError,
                onBackgroundError);
    }

    /** Sets the pool that runs the validate/select/serialize pipeline; null means the driver's default. */
    public ProducerOptions threadPool(ThreadPool threadPool) {
        return copy(name, batchSize, maxInFlightBatches, ordering, threadPool, backPressure, maxBlock, maxPendingEvents,
                maxPendingBytes, maxBatchBytes, linger, closeTimeout, onError,
                onBackgroundError);
    }

    /** Sets what {@code push} does at the memory bound ({@code maxPendingEvents}, {@code maxPendingBytes}). */
    public ProducerOptions backPressure(BackPressure backPressure) {
        return copy(name, batchSize, maxInFlightBatches, ordering, threadPool,
                Objects.requireNonNull(backPressure, "backPressure"), maxBlock, maxPendingEvents, maxPendingBytes,
                maxBatchBytes, linger, closeTimeout, onError,
                onBackgroundError);
    }

    /** Sets how long {@code push} blocks at the memory bound before it throws. */
    public ProducerOptions maxBlock(Duration maxBlock) {
        nonNegative("maxBlock", maxBlock);
        return copy(name, batchSize, maxInFlightBatches, ordering, threadPool, backPressure, maxBlock, maxPendingEvents,
                maxPendingBytes, maxBatchBytes, linger, closeTimeout, onError,
                onBackgroundError);
    }

    /**
     * Sets the producer-wide bound on events pushed and not yet completed, in place of the driver's suggestion (see
     * the class comment).
     *
     * @throws IllegalArgumentException if &lt; 1
     */
    public ProducerOptions maxPendingEvents(int maxPendingEvents) {
        positive("maxPendingEvents", maxPendingEvents);
        return copy(name, batchSize, maxInFlightBatches, ordering, threadPool, backPressure, maxBlock, maxPendingEvents,
                maxPendingBytes, maxBatchBytes, linger, closeTimeout, onError,
                onBackgroundError);
    }

    /**
     * Sets the producer-wide bound on bytes (metadata plus data) pushed and not yet completed, in place of the
     * driver's suggestion (see the class comment).
     *
     * @throws IllegalArgumentException if &lt; 1
     */
    public ProducerOptions maxPendingBytes(long maxPendingBytes) {
        positive("maxPendingBytes", maxPendingBytes);
        return copy(name, batchSize, maxInFlightBatches, ordering, threadPool, backPressure, maxBlock, maxPendingEvents,
                maxPendingBytes, maxBatchBytes, linger, closeTimeout, onError,
                onBackgroundError);
    }

    /** Sets the size (metadata plus data) at which a partition's open batch is sealed. */
    public ProducerOptions maxBatchBytes(long maxBatchBytes) {
        positive("maxBatchBytes", maxBatchBytes);
        return copy(name, batchSize, maxInFlightBatches, ordering, threadPool, backPressure, maxBlock, maxPendingEvents,
                maxPendingBytes, maxBatchBytes, linger, closeTimeout, onError,
                onBackgroundError);
    }

    /** Sets how long a fixed-size batch may wait to fill before it is sent anyway; zero (the default) waits for flush. */
    public ProducerOptions linger(Duration linger) {
        nonNegative("linger", linger);
        return copy(name, batchSize, maxInFlightBatches, ordering, threadPool, backPressure, maxBlock, maxPendingEvents,
                maxPendingBytes, maxBatchBytes, linger, closeTimeout, onError,
                onBackgroundError);
    }

    /** Sets how long {@code close()} waits for the final flush. */
    public ProducerOptions closeTimeout(Duration closeTimeout) {
        nonNegative("closeTimeout", closeTimeout);
        return copy(name, batchSize, maxInFlightBatches, ordering, threadPool, backPressure, maxBlock, maxPendingEvents,
                maxPendingBytes, maxBatchBytes, linger, closeTimeout, onError,
                onBackgroundError);
    }

    /**
     * Sets the handler called once for every event whose push fails (invalid metadata, a validator's rejection, a
     * storage error...), whichever form of push was used, so that failures cannot go unnoticed by code that does not
     * inspect every future. It runs on the driver's timer thread ({@code diaspora-<driver>-timer}), never on the
     * thread that called {@code push} and never under an engine lock, in the order the failures happen; it must not
     * block, and an exception it throws is logged and ignored. {@link Producer#flush()} also fails when events
     * failed since the previous flush. Null (the default) calls nothing.
     */
    public ProducerOptions onError(PushErrorHandler onError) {
        return copy(name, batchSize, maxInFlightBatches, ordering, threadPool, backPressure, maxBlock, maxPendingEvents,
                maxPendingBytes, maxBatchBytes, linger, closeTimeout, onError,
                onBackgroundError);
    }

    /** @return the handler of failed pushes, or null */
    public PushErrorHandler onError() {
        return onError;
    }

    /**
     * Sets the handler of failures on this producer's background work that no push's future carries: its drain task
     * on the thread pool failing outside any one event (the drain goes on with the next events). Failed events go to
     * their futures and to {@link #onError(PushErrorHandler)}, not here. See {@link BackgroundErrorHandler} for its
     * threading rules. Null (the default) uses the driver's handler
     * ({@link Driver#open(String, Metadata, BackgroundErrorHandler)}), which logs unless set.
     */
    public ProducerOptions onBackgroundError(BackgroundErrorHandler handler) {
        return copy(name, batchSize, maxInFlightBatches, ordering, threadPool, backPressure, maxBlock, maxPendingEvents,
                maxPendingBytes, maxBatchBytes, linger, closeTimeout, onError, handler);
    }

    /** @return the handler of the producer's unreported background failures, or null for the driver's */
    public BackgroundErrorHandler onBackgroundError() {
        return onBackgroundError;
    }

    /** @return the producer's name */
    public String name() {
        return name;
    }

    /** @return the batch size */
    public BatchSize batchSize() {
        return batchSize;
    }

    /** @return appends in flight per partition, at most */
    public int maxInFlightBatches() {
        return maxInFlightBatches;
    }

    /**
     * @return {@link #maxInFlightBatches()}
     * @deprecated use {@link #maxInFlightBatches()}
     */
    @Deprecated(since = "0.1.0", forRemoval = true)
    public int maxNumBatches() {
        return maxInFlightBatches;
    }

    /** @return the ordering: {@link Ordering#STRICT} */
    public Ordering ordering() {
        return ordering;
    }

    /** @return the thread pool, or null for the driver's default */
    public ThreadPool threadPool() {
        return threadPool;
    }

    /** @return the back-pressure policy */
    public BackPressure backPressure() {
        return backPressure;
    }

    /** @return the longest block in push */
    public Duration maxBlock() {
        return maxBlock;
    }

    /**
     * @return the pending-events bound given to {@link #maxPendingEvents(int)}, or {@link #DEFAULT_MAX_PENDING_EVENTS}
     *     if none was (a producer then uses its driver's suggestion when there is one; {@link Producer#options()}
     *     reports the bound in force)
     */
    public int maxPendingEvents() {
        return maxPendingEvents != NOT_SET ? maxPendingEvents : DEFAULT_MAX_PENDING_EVENTS;
    }

    /** @return true if {@link #maxPendingEvents(int)} gave the bound, false if the driver's suggestion applies */
    public boolean maxPendingEventsSet() {
        return maxPendingEvents != NOT_SET;
    }

    /**
     * @return the pending-bytes bound given to {@link #maxPendingBytes(long)}, or {@link #DEFAULT_MAX_PENDING_BYTES}
     *     if none was (a producer then uses its driver's suggestion when there is one; {@link Producer#options()}
     *     reports the bound in force)
     */
    public long maxPendingBytes() {
        return maxPendingBytes != NOT_SET ? maxPendingBytes : DEFAULT_MAX_PENDING_BYTES;
    }

    /** @return true if {@link #maxPendingBytes(long)} gave the bound, false if the driver's suggestion applies */
    public boolean maxPendingBytesSet() {
        return maxPendingBytes != NOT_SET;
    }

    /** @return the batch byte cap */
    public long maxBatchBytes() {
        return maxBatchBytes;
    }

    /** @return the linger, zero if off */
    public Duration linger() {
        return linger;
    }

    /** @return the close timeout */
    public Duration closeTimeout() {
        return closeTimeout;
    }

    static void positive(String what, long v) {
        if (v < 1) {
            throw new IllegalArgumentException(what + " must be >= 1, got " + v);
        }
    }

    static void nonNegative(String what, Duration d) {
        if (Objects.requireNonNull(d, what).isNegative()) {
            throw new IllegalArgumentException(what + " must not be negative, got " + d);
        }
    }

    @Override
    public String toString() {
        return "ProducerOptions[name=" + name + ", batchSize=" + batchSize + ", maxInFlightBatches=" + maxInFlightBatches
                + ", ordering=" + ordering + "]";
    }
}
