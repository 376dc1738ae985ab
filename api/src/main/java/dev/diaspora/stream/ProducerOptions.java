package dev.diaspora.stream;

import java.time.Duration;
import java.util.Objects;

/**
 * Options of a {@link Producer}, built fluently: {@code ProducerOptions.named("app1").batchSize(BatchSize.of(128))}.
 * Each setter returns a new, immutable instance.
 *
 * <p>Defaults: adaptive batch size, 2 batches in flight per partition, {@link Ordering#STRICT}, the driver's default
 * thread pool (0 threads: the pipeline runs inline in {@code push}), block on back-pressure for at most 60 s, at most
 * 65,536 pending events and 64 MiB pending bytes (metadata plus referenced data), batches sealed at 4 MiB, no linger,
 * 30 s to flush on close.
 *
 * <p>The memory bound is both counts at once: {@code push} admits an event while the events and bytes pending (pushed,
 * outcome not yet known), this event included, stay within {@code maxPendingEvents} and {@code maxPendingBytes} (an
 * event larger than {@code maxPendingBytes} passes when nothing else is pending). A push blocked there
 * ({@link BackPressure#BLOCK}) resumes once a sixteenth of the bound is free again (events and bytes), or nothing is
 * pending, rather than as soon as one event completes; it also looks again every 10 ms.
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

    private static final ProducerOptions DEFAULTS = new ProducerOptions("", BatchSize.adaptive(), 2, Ordering.STRICT,
            null, BackPressure.BLOCK, Duration.ofSeconds(60), 65_536, 64L << 20, 4L << 20, Duration.ZERO,
            Duration.ofSeconds(30), null);

    private final String name;
    private final BatchSize batchSize;
    private final int maxNumBatches;
    private final Ordering ordering;
    private final ThreadPool threadPool;
    private final BackPressure backPressure;
    private final Duration maxBlock;
    private final int maxPendingEvents;
    private final long maxPendingBytes;
    private final long maxBatchBytes;
    private final Duration linger;
    private final Duration closeTimeout;
    private final PushErrorHandler onError;

    private ProducerOptions(String name, BatchSize batchSize, int maxNumBatches, Ordering ordering,
            ThreadPool threadPool, BackPressure backPressure, Duration maxBlock, int maxPendingEvents,
            long maxPendingBytes, long maxBatchBytes, Duration linger, Duration closeTimeout, PushErrorHandler onError) {
        this.name = name;
        this.batchSize = batchSize;
        this.maxNumBatches = maxNumBatches;
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
    }

    /** @return the defaults, with an empty name */
    public static ProducerOptions defaults() {
        return DEFAULTS;
    }

    /** @return the defaults with this producer name (used in logs and metrics) */
    public static ProducerOptions named(String name) {
        return DEFAULTS.name(name);
    }

    private ProducerOptions copy(String name, BatchSize batchSize, int maxNumBatches, Ordering ordering,
            ThreadPool threadPool, BackPressure backPressure, Duration maxBlock, int maxPendingEvents,
            long maxPendingBytes, long maxBatchBytes, Duration linger, Duration closeTimeout, PushErrorHandler onError) {
        return new ProducerOptions(name, batchSize, maxNumBatches, ordering, threadPool, backPressure, maxBlock,
                maxPendingEvents, maxPendingBytes, maxBatchBytes, linger, closeTimeout, onError);
    }

    /** Sets the producer's name. */
    public ProducerOptions name(String name) {
        return copy(Objects.requireNonNull(name, "name"), batchSize, maxNumBatches, ordering, threadPool,
                backPressure, maxBlock, maxPendingEvents, maxPendingBytes, maxBatchBytes, linger, closeTimeout, onError);
    }

    /** Sets the batch size per partition. */
    public ProducerOptions batchSize(BatchSize batchSize) {
        return copy(name, Objects.requireNonNull(batchSize, "batchSize"), maxNumBatches, ordering, threadPool,
                backPressure, maxBlock, maxPendingEvents, maxPendingBytes, maxBatchBytes, linger, closeTimeout, onError);
    }

    /**
     * Sets how many batches of one partition may be in flight to the driver at once.
     *
     * @throws IllegalArgumentException if &lt; 1
     */
    public ProducerOptions maxNumBatches(int maxNumBatches) {
        positive("maxNumBatches", maxNumBatches);
        return copy(name, batchSize, maxNumBatches, ordering, threadPool, backPressure, maxBlock, maxPendingEvents,
                maxPendingBytes, maxBatchBytes, linger, closeTimeout, onError);
    }

    /** Sets the ordering. */
    public ProducerOptions ordering(Ordering ordering) {
        return copy(name, batchSize, maxNumBatches, Objects.requireNonNull(ordering, "ordering"), threadPool,
                backPressure, maxBlock, maxPendingEvents, maxPendingBytes, maxBatchBytes, linger, closeTimeout, onError);
    }

    /** Sets the pool that runs the validate/select/serialize pipeline; null means the driver's default. */
    public ProducerOptions threadPool(ThreadPool threadPool) {
        return copy(name, batchSize, maxNumBatches, ordering, threadPool, backPressure, maxBlock, maxPendingEvents,
                maxPendingBytes, maxBatchBytes, linger, closeTimeout, onError);
    }

    /** Sets what {@code push} does at the memory bound ({@code maxPendingEvents}, {@code maxPendingBytes}). */
    public ProducerOptions backPressure(BackPressure backPressure) {
        return copy(name, batchSize, maxNumBatches, ordering, threadPool,
                Objects.requireNonNull(backPressure, "backPressure"), maxBlock, maxPendingEvents, maxPendingBytes,
                maxBatchBytes, linger, closeTimeout, onError);
    }

    /** Sets how long {@code push} blocks at the memory bound before it throws. */
    public ProducerOptions maxBlock(Duration maxBlock) {
        nonNegative("maxBlock", maxBlock);
        return copy(name, batchSize, maxNumBatches, ordering, threadPool, backPressure, maxBlock, maxPendingEvents,
                maxPendingBytes, maxBatchBytes, linger, closeTimeout, onError);
    }

    /** Sets the producer-wide bound on events pushed and not yet completed. */
    public ProducerOptions maxPendingEvents(int maxPendingEvents) {
        positive("maxPendingEvents", maxPendingEvents);
        return copy(name, batchSize, maxNumBatches, ordering, threadPool, backPressure, maxBlock, maxPendingEvents,
                maxPendingBytes, maxBatchBytes, linger, closeTimeout, onError);
    }

    /** Sets the producer-wide bound on bytes (metadata plus data) pushed and not yet completed. */
    public ProducerOptions maxPendingBytes(long maxPendingBytes) {
        positive("maxPendingBytes", maxPendingBytes);
        return copy(name, batchSize, maxNumBatches, ordering, threadPool, backPressure, maxBlock, maxPendingEvents,
                maxPendingBytes, maxBatchBytes, linger, closeTimeout, onError);
    }

    /** Sets the size (metadata plus data) at which a partition's open batch is sealed. */
    public ProducerOptions maxBatchBytes(long maxBatchBytes) {
        positive("maxBatchBytes", maxBatchBytes);
        return copy(name, batchSize, maxNumBatches, ordering, threadPool, backPressure, maxBlock, maxPendingEvents,
                maxPendingBytes, maxBatchBytes, linger, closeTimeout, onError);
    }

    /** Sets how long a fixed-size batch may wait to fill before it is sent anyway; zero (the default) waits for flush. */
    public ProducerOptions linger(Duration linger) {
        nonNegative("linger", linger);
        return copy(name, batchSize, maxNumBatches, ordering, threadPool, backPressure, maxBlock, maxPendingEvents,
                maxPendingBytes, maxBatchBytes, linger, closeTimeout, onError);
    }

    /** Sets how long {@code close()} waits for the final flush. */
    public ProducerOptions closeTimeout(Duration closeTimeout) {
        nonNegative("closeTimeout", closeTimeout);
        return copy(name, batchSize, maxNumBatches, ordering, threadPool, backPressure, maxBlock, maxPendingEvents,
                maxPendingBytes, maxBatchBytes, linger, closeTimeout, onError);
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
        return copy(name, batchSize, maxNumBatches, ordering, threadPool, backPressure, maxBlock, maxPendingEvents,
                maxPendingBytes, maxBatchBytes, linger, closeTimeout, onError);
    }

    /** @return the handler of failed pushes, or null */
    public PushErrorHandler onError() {
        return onError;
    }

    /** @return the producer's name */
    public String name() {
        return name;
    }

    /** @return the batch size */
    public BatchSize batchSize() {
        return batchSize;
    }

    /** @return batches in flight per partition */
    public int maxNumBatches() {
        return maxNumBatches;
    }

    /** @return the ordering */
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

    /** @return the pending-events bound */
    public int maxPendingEvents() {
        return maxPendingEvents;
    }

    /** @return the pending-bytes bound */
    public long maxPendingBytes() {
        return maxPendingBytes;
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
        return "ProducerOptions[name=" + name + ", batchSize=" + batchSize + ", maxNumBatches=" + maxNumBatches
                + ", ordering=" + ordering + "]";
    }
}
