package dev.diaspora.stream;

import java.time.Duration;
import java.util.Iterator;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

/**
 * Reads events from a topic's partitions, in EventID order within each partition; partitions with a ready event are
 * served round robin, one event at a time. It prefetches batches in the background, runs the data selector and
 * allocator, and asks the driver for exactly the selected bytes.
 *
 * <p>A consumer has a name. {@link Event#acknowledge()} records "this name has processed everything up to here in
 * this partition"; a later consumer with the same name resumes after the last acknowledged event. A name with no stored
 * position starts at {@link ConsumerOptions#startAt()}. Consumers that share a name split the partitions: each
 * partition is delivered to at most one live consumer of a name.
 *
 * <p><b>Groups:</b> on drivers that declare consumer groups (memory, files, netty, kafka), consumers of one name
 * without {@link ConsumerOptions#targets} form a group: the partitions are spread evenly (each member gets
 * {@code floor(P/M)} or {@code ceil(P/M)}), a member joining or leaving triggers a rebalance that moves few
 * partitions, and a member that stops heartbeating for {@link ConsumerOptions#sessionTimeout} (its process died, or
 * its fetch thread stalled) is removed and its partitions move to the live members. {@link #assignment()} follows;
 * {@link ConsumerOptions#assignmentListener} is told. Guarantees: a partition given up cleanly (rebalance, close,
 * unsubscribe) has its acknowledged position stored first, so its next reader starts right after it (no
 * redelivery of acknowledged events); after a crash or a stall the next reader starts after the last <em>stored</em>
 * acknowledgement (every {@link ConsumerOptions#ackInterval}, or {@link #commit()}): at-least-once. A consumer that
 * lost a partition never stores a position for it, and {@link Event#acknowledge()} of one of its events then throws
 * {@link ConsumerConflictException}. A member whose application stops pulling (no poll, pull, process or iteration
 * call for {@link ConsumerOptions#maxPollInterval}, 5 min by default) leaves the group as on a clean leave, so its
 * partitions do not wait on it, and rejoins at its next pull. Explicit targets are a static assignment outside the
 * group.
 *
 * <p><b>Waiting:</b> {@link #pull()} completes when an event arrives (it tails the topic); {@link #poll(Duration)}
 * returns empty on timeout and never loses an event. {@link EventID#NO_MORE_EVENTS} appears only after
 * {@link #unsubscribe()}.
 *
 * <p><b>Errors:</b> an event that cannot be delivered (damaged in storage, or the deserializer, data selector or
 * allocator throws on it) follows {@link ConsumerOptions#onUnreadableEvent}: with {@link UnreadableEventPolicy#FAIL}
 * (the default) every pull of that partition fails with an error naming the partition, the EventID and the ways past
 * it ({@link #seek} to the next id, or the SKIP policy) until a seek, while the other partitions continue; with
 * {@link UnreadableEventPolicy#SKIP} it is logged at WARN, counted in {@link ConsumerMetrics#eventsSkipped()} and
 * treated as consumed. A range of ids the driver reports lost fails exactly one pull or poll with
 * {@link EventsLostException} (also logged at WARN and counted in {@link ConsumerMetrics#eventsLost()}), and the
 * partition goes on with the event after the range; {@link #process}, {@link #iterator()} and {@link #stream()} go on
 * past it without throwing (the WARN and the counter are how they report it). Retriable read errors (a lost
 * connection) are retried: the event is read again, nothing is skipped.
 *
 * <p>Thread safety: {@code pull}, {@code poll}, {@code process} and iteration are confined to one thread at a time
 * (misuse fails fast with {@link java.util.ConcurrentModificationException}); {@code acknowledge}, {@code commit},
 * {@code unsubscribe} and {@code close} may be called from any thread.
 */
public interface Consumer extends Iterable<Event>, AutoCloseable {
    /** How long iteration waits for the next event by default. */
    Duration DEFAULT_ITERATION_TIMEOUT = Duration.ofSeconds(5);

    /** @return the consumer name */
    String name();

    /** @return the topic */
    TopicHandle topic();

    /** @return the options this consumer was made with */
    ConsumerOptions options();

    /** @return the partitions this consumer reads now */
    Set<Integer> assignment();

    /**
     * @return a future of the next event; completes when one arrives. Several may be pending; they are served in call
     *     order. A cancelled future loses no event.
     * @throws IllegalStateException if the consumer is closed
     */
    CompletableFuture<Event> pull();

    /**
     * Waits at most {@code timeout} for the next event. {@link Duration#ZERO} is a non-blocking check.
     *
     * @return the event, or empty on timeout
     * @throws EventsLostException once, when the partition's next ids hold no event; the next poll goes on after them
     * @throws DiasporaException the specific read error of the next event, unwrapped (see the class comment)
     * @throws InterruptException if the thread is interrupted while waiting
     */
    Optional<Event> poll(Duration timeout);

    /**
     * The batch form of {@link #poll(Duration)}, for tight loops: hands the events that are ready, up to
     * {@code maxEvents}, to {@code processor} on this thread, one at a time, in the order {@code poll} would return
     * them; waits at most {@code timeout} for the first event if none is ready, never for the later ones. When events
     * are ready the engine allocates nothing on the calling thread per event (no future, no {@link Optional}); it takes
     * the consumer's queue lock once per event and calls the processor outside it.
     *
     * <p>Ownership: each event is handed over as one returned by {@code poll}: the processor may keep it, with its
     * metadata and data, after it returns, acknowledge it then or later, and releases its data as for {@code poll}.
     * Except under {@link ConsumerOptions#recycleEvents(boolean)}: then each event is valid only during its
     * {@code process} call and the consumer reuses the event and its data buffer for later events, so that nothing is
     * allocated per event for them; call {@link Event#keep()} inside the call to keep one. The processor may call this
     * consumer (acknowledge, commit, even pull again) on this thread.
     *
     * <p>Errors are reported as by {@code poll}, but never after an event in the same call: when the next item is an
     * {@link EventsLostException} or a read error and events were handed over already, the call returns their count and
     * the next call throws. {@link StopEventProcessor} from the processor ends the call (the event it was processing
     * counts as handed over); any other exception from the processor ends it and propagates, its event delivered.
     *
     * @param maxEvents the most events to hand over; 0 or less hands over none
     * @param timeout how long to wait for the first event; {@link Duration#ZERO} does not wait
     * @return the number of events handed over (0 if none arrived within {@code timeout}), or -1 once the consumer
     *     was unsubscribed (nothing follows, as {@link EventID#NO_MORE_EVENTS} for {@code poll})
     * @throws EventsLostException once, when the partition's next ids hold no event and no event was handed over yet
     * @throws DiasporaException the specific read error of the next event, unwrapped, when no event was handed over yet
     * @throws InterruptException if the thread is interrupted while waiting
     * @throws IllegalStateException if the consumer is closed
     */
    int poll(EventProcessor processor, int maxEvents, Duration timeout);

    /**
     * Processes events until {@code maxEvents} are processed, the processor throws {@link StopEventProcessor}, the
     * stream ends, or no event arrives for {@code idleTimeout}. Events of one partition are processed in order;
     * partitions may run in parallel on {@code pool} (null or 0 threads: on this thread). Any other processor exception
     * stops it and is rethrown after in-flight calls end.
     *
     * @return the number of events processed
     */
    long process(EventProcessor processor, Duration idleTimeout, long maxEvents, ThreadPool pool);

    /** Iterates until {@link EventID#NO_MORE_EVENTS} or 5 s without an event; the sentinel is not returned. */
    @Override
    default Iterator<Event> iterator() {
        return iterator(DEFAULT_ITERATION_TIMEOUT);
    }

    /** Iterates until {@link EventID#NO_MORE_EVENTS} or {@code idleTimeout} without an event. */
    Iterator<Event> iterator(Duration idleTimeout);

    /** @return the events as a sequential stream, ending as {@link #iterator()} does */
    Stream<Event> stream();

    /**
     * Moves partition {@code partition} to {@code position}; prefetched events of it are dropped. Does not change the
     * stored position until events are acknowledged or {@link #commit()} is called after an acknowledge.
     *
     * @throws IllegalArgumentException if this consumer does not read {@code partition}
     */
    void seek(int partition, StartAt position);

    /** @return the EventID the next event delivered from {@code partition} will have (at least) */
    long position(int partition);

    /** @return a future that completes when every acknowledgement so far is durable in the driver */
    CompletableFuture<Void> commit();

    /**
     * Stops reading: pending and later pulls complete with the sentinel, acknowledgements are persisted, and the
     * partitions are released to other consumers of the name. Returns after persisting.
     */
    void unsubscribe();

    /** @return a snapshot of the consumer's counters */
    ConsumerMetrics metrics();

    /** Unsubscribes and releases the consumer; later calls throw {@link IllegalStateException}. Idempotent. */
    @Override
    void close();
}
