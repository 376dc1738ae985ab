package dev.diaspora.stream.kafka;

import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.TopicNotFoundException;
import dev.diaspora.stream.spi.TopicNames;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * The incarnation of an open Kafka topic: the topic id Kafka assigned when it was created
 * ({@link TopicDescription#topicId()}), which changes when the topic is deleted and created again under its name.
 *
 * <p>Kafka's producer and consumer address topics by name, so a record sent through a handle of a deleted topic can
 * land in the topic re-created under that name. No push may succeed for an event that is not in the topic it was
 * pushed to, so a send acknowledged by Kafka completes only after a topic-id check <em>begun after the
 * acknowledgement</em> confirms the id. Those checks run in numbered rounds: an acknowledgement takes a {@link #ticket}
 * (the number of the next round to begin), and a round begins at most every {@link #CONFIRM_INTERVAL_NANOS} (one
 * asynchronous describe; no thread blocks), so a burst of acknowledgements costs one describe per interval, however
 * many events it holds. When a round's answer is in, every {@link Listener} learns it ({@link Listener#confirmed}, on
 * the backend's completion thread) and completes the acknowledgements that held its ticket or an earlier one. A changed id or a missing topic fails the
 * round and every later push of the handle with {@link TopicNotFoundException}. (An event acknowledged by the old
 * topic just before its deletion may be failed too: failing is the safe side.) Admin calls and read sessions check
 * with {@link #check()} (one describe).
 *
 * <p>Thread safety: thread-safe.
 */
final class KafkaIncarnation {
    /**
     * At most one round of topic-id checks for acknowledged sends begins in this interval (10 ms): the delay this adds
     * to a push's completion under load, traded for one describe per interval instead of one per acknowledgement group.
     */
    static final long CONFIRM_INTERVAL_NANOS = 10_000_000L;

    /** Learns the outcome of each round of checks, in round order. */
    interface Listener {
        /**
         * Round {@code round} (and every earlier one) has its answer. Called on the backend's completion thread.
         *
         * @param failure null if it confirmed the incarnation, else the error of the tickets of that round
         */
        void confirmed(long round, Throwable failure);
    }

    private final KafkaTopic topic;
    private final Uuid id; // ZERO_UUID: the broker gave none (compared by existence only)
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final Object lock = new Object();
    private volatile long begun; // rounds begun; written under lock, read without it by ticket's fast path
    private volatile long promised; // the round of the last ticket given out; written under lock
    private boolean wanted; // a ticket of round begun + 1 was given out; guarded by lock
    private boolean inFlight; // round begun has no answer yet; guarded by lock
    private boolean scheduled; // a timer will begin the next round; guarded by lock
    private long lastBegin; // nanoTime the last round began; guarded by lock
    private volatile TopicNotFoundException gone;

    KafkaIncarnation(KafkaTopic topic, Uuid id) {
        this.topic = topic;
        this.id = id == null ? Uuid.ZERO_UUID : id;
        this.lastBegin = System.nanoTime() - CONFIRM_INTERVAL_NANOS;
    }

    /** @return the error of every operation once the topic was found deleted or replaced, else null (no I/O) */
    TopicNotFoundException gone() {
        return gone;
    }

    /** @return null if {@code d} (null: Kafka does not know the name) is this incarnation, else the error */
    private TopicNotFoundException compare(TopicDescription d) {
        if (d == null) {
            return TopicNames.deleted(topic.name, "Kafka at " + topic.backend.config.bootstrap + " no longer has it");
        }
        if (!Uuid.ZERO_UUID.equals(id) && !id.equals(d.topicId())) {
            return TopicNames.deleted(topic.name, "its Kafka topic id is now " + d.topicId() + ", it was " + id);
        }
        return null;
    }

    /** @throws TopicNotFoundException if the topic was deleted or replaced since it was opened (one describe) */
    void check() {
        TopicNotFoundException g = gone;
        if (g == null) {
            g = compare(topic.backend.describe(topic.name));
            if (g != null) {
                gone = g;
            }
        }
        if (g != null) {
            throw g;
        }
    }

    void addListener(Listener l) {
        listeners.add(l);
    }

    void removeListener(Listener l) {
        listeners.remove(l);
    }

    /** @return the number of rounds begun so far (tests) */
    long roundsBegun() {
        synchronized (lock) {
            return begun;
        }
    }

    /**
     * Called for an acknowledged send: the round whose answer decides it, which begins after this call (now, or once
     * {@link #CONFIRM_INTERVAL_NANOS} passed since the last one began). The listeners learn its outcome.
     *
     * <p>Without a lock while a round promised to an earlier ticket has not begun (the common case under load: Kafka's
     * I/O thread acknowledges a whole batch at once): that round begins after this call, since {@link #begun} was read
     * after the acknowledgement and showed it not begun, and it will begin, since its first ticket asked for it.
     */
    long ticket() {
        long r = promised; // read before begun: a round counted in begun was promised before
        if (r > begun) {
            return r;
        }
        long round;
        boolean start = false;
        synchronized (lock) {
            round = begun + 1;
            promised = round;
            wanted = true;
            if (!inFlight && !scheduled) {
                start = beginOrScheduleLocked();
            }
        }
        if (start) {
            describe(round);
        }
        return round;
    }

    /** @return true if round {@code begun} + 1 was begun (the caller issues its describe), false if it is scheduled */
    private boolean beginOrScheduleLocked() {
        long now = System.nanoTime();
        long wait = lastBegin + CONFIRM_INTERVAL_NANOS - now;
        if (wait > 0) {
            scheduled = true;
            CompletableFuture.delayedExecutor(wait, TimeUnit.NANOSECONDS, Runnable::run).execute(this::due);
            return false;
        }
        begun++;
        wanted = false;
        inFlight = true;
        lastBegin = now;
        return true;
    }

    /** The timer: begins the next round (its tickets were given out before this). */
    private void due() {
        long round = 0;
        synchronized (lock) {
            scheduled = false;
            if (wanted && !inFlight && beginOrScheduleLocked()) {
                round = begun;
            }
        }
        if (round > 0) {
            describe(round);
        }
    }

    private void describe(long round) {
        if (gone != null) {
            answer(round, gone);
            return;
        }
        KafkaFuture<TopicDescription> f;
        try {
            f = topic.backend.admin.describeTopics(List.of(topic.name)).topicNameValues().get(topic.name);
        } catch (RuntimeException e) {
            answer(round, unconfirmed(e));
            return;
        }
        f.whenComplete((d, err) -> {
            Throwable failure;
            if (err == null) {
                failure = compare(d);
            } else {
                Throwable c = err instanceof CompletionException || err instanceof ExecutionException
                        ? err.getCause() : err;
                failure = c instanceof UnknownTopicOrPartitionException ? compare(null) : unconfirmed(c);
            }
            if (failure instanceof TopicNotFoundException) {
                gone = (TopicNotFoundException) failure;
            }
            answer(round, failure);
        });
    }

    private DiasporaException unconfirmed(Throwable e) {
        return new DiasporaException("kafka: topic '" + topic.name + "': Kafka stored the event, but the driver could"
                + " not confirm that the topic was not deleted and created again meanwhile (" + e + "); the event may"
                + " be in a topic re-created under the name. Check the topic, and push again if it is still the same",
                e);
    }

    /**
     * Hands round {@code round}'s answer to the completion thread: listeners run there, never on the thread that took a
     * ticket (which may hold its own lock) nor on the admin client's.
     */
    private void answer(long round, Throwable failure) {
        topic.backend.complete(() -> answered(round, failure));
    }

    /** On the completion thread: round {@code round}'s answer: tells the listeners, then begins the next round if tickets wait for it. */
    private void answered(long round, Throwable failure) {
        for (Listener l : listeners) {
            l.confirmed(round, failure);
        }
        long next = 0;
        synchronized (lock) {
            inFlight = false;
            if (wanted && !scheduled && beginOrScheduleLocked()) {
                next = begun;
            }
        }
        if (next > 0) {
            describe(next);
        }
    }
}
