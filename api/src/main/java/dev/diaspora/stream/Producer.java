package dev.diaspora.stream;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Pushes events to a topic. Each push runs validate, select partition and serialize (inline with a 0-thread pool, on
 * the pool otherwise), joins the partition's open batch, and completes when the driver has stored the batch.
 *
 * <p><b>Ownership:</b> the producer copies the metadata but <em>not</em> the data. The caller keeps the data buffers
 * unchanged until the push future (or callback, or a flush covering the push) completes.
 *
 * <p><b>Errors:</b> {@code push} throws only for argument errors known at the call (null, closed producer, partition
 * out of range: {@link IllegalArgumentException}/{@link IllegalStateException}) and for back-pressure
 * ({@link BackPressureException}). Everything that reads the event (JSON syntax and the {@link Metadata} limits,
 * validator, serializer, size limits) fails that event's future with a {@link DiasporaException} subclass; the
 * producer keeps working. So that a failure cannot go unnoticed by code that does not inspect every future:
 * {@link ProducerOptions#onError(PushErrorHandler)} is told about every failed event, and {@link #flush()} fails with
 * {@link EventsFailedException} when events failed since the previous flush.
 *
 * <p><b>Threads:</b> futures complete on a driver or engine completion thread, in push order per partition, outside
 * every engine lock. Continuations must not block; use the {@code *Async} variants to move off that thread. Joining
 * another push's future inside a continuation can deadlock.
 *
 * <p>Thread safety: thread-safe. Pushes from several threads are ordered as they enter the producer: with a
 * 0-thread pool each push joins its partition's batch on the pushing thread, under that partition's lock; with a
 * pool, pushes join one queue per producer that one task at a time drains in order. Either way, EventIDs of one
 * partition follow the order in which the pushes returned ({@link Ordering#STRICT}, the only ordering).
 */
public interface Producer extends AutoCloseable {
    /** @return the producer's name */
    String name();

    /** @return the topic this producer pushes to */
    TopicHandle topic();

    /**
     * @return the options this producer was made with, its pending bounds ({@code maxPendingEvents},
     *     {@code maxPendingBytes}) those in force: the driver's suggestions or the defaults where none was given
     */
    ProducerOptions options();

    /**
     * Pushes an event to the partition the topic's selector chooses.
     *
     * @param metadata the metadata; copied
     * @param data the data; <b>not copied</b>: keep the buffers unchanged until the future completes
     * @return the EventID, when the event is stored and readable
     * @throws BackPressureException at the memory bound (after {@code maxBlock}, or at once with FAIL_FAST)
     * @throws IllegalStateException if the producer is closed
     */
    CompletableFuture<Long> push(Metadata metadata, DataView data);

    /**
     * Pushes an event to partition {@code partition} (the selector sees it as requested).
     *
     * @throws IllegalArgumentException if {@code partition} is outside [0, number of partitions)
     */
    CompletableFuture<Long> push(Metadata metadata, DataView data, int partition);

    /**
     * Pushes without a future: {@code callback} is called once with the outcome. {@code partition} -1 lets the
     * selector choose.
     */
    void push(Metadata metadata, DataView data, int partition, PushCallback callback);

    /**
     * Sends every open batch and completes when every push that returned before this call, from any thread, has
     * completed. If events failed since the previous flush (invalid metadata, a validator's rejection, an event too
     * large, a storage error; whether or not their futures were inspected), it fails with
     * {@link EventsFailedException}, which counts them and carries the first failure; the other events are stored.
     * The count restarts at each flush, so the next flush succeeds unless more events fail.
     */
    CompletableFuture<Void> flush();

    /** @return a snapshot of the producer's counters */
    ProducerMetrics metrics();

    /**
     * Flushes (waiting at most {@code closeTimeout}) and releases the producer. Idempotent. Throws as
     * {@link #close(Duration)} does.
     */
    @Override
    void close();

    /**
     * Flushes, waiting at most {@code timeout}, then releases the producer; pushes that did not complete fail.
     * Events that failed since the previous flush before reaching the driver (invalid metadata, validation, size:
     * their futures and the onError handler have the errors) are logged at WARN rather than thrown, so closing after
     * handled failures does not throw.
     *
     * @throws EventsFailedException if the driver failed to store events since the previous flush
     * @throws DiasporaException if the flush timed out (the producer is closed anyway)
     */
    void close(Duration timeout);
}
