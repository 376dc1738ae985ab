package dev.diaspora.stream.kafka;

import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.TopicNotFoundException;
import dev.diaspora.stream.spi.TopicNames;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;
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
 * acknowledgement</em> confirms the id: {@link #confirm} groups the acknowledgements that arrive while a check is in
 * flight and confirms them with the next one (one asynchronous describe per group, no thread blocks). A changed id or
 * a missing topic fails the group and every later push of the handle with {@link TopicNotFoundException}. (An event
 * acknowledged by the old topic just before its deletion may be failed too: failing is the safe side.) Admin calls
 * and read sessions check with {@link #check()} (one describe).
 *
 * <p>Thread safety: thread-safe.
 */
final class KafkaIncarnation {
    private final KafkaTopic topic;
    private final Uuid id; // ZERO_UUID: the broker gave none (compared by existence only)
    private final Object lock = new Object();
    private List<Waiter> waiting = new ArrayList<>(); // guarded by lock
    private boolean checking; // guarded by lock
    private volatile TopicNotFoundException gone;

    private record Waiter(Runnable ok, Consumer<Throwable> fail) {
    }

    KafkaIncarnation(KafkaTopic topic, Uuid id) {
        this.topic = topic;
        this.id = id == null ? Uuid.ZERO_UUID : id;
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

    /**
     * Runs {@code ok} once a topic-id check begun after this call confirms the incarnation, or {@code fail} with the
     * reason; both run on the backend's completion thread, in call order.
     */
    void confirm(Runnable ok, Consumer<Throwable> fail) {
        boolean start;
        synchronized (lock) {
            waiting.add(new Waiter(ok, fail));
            start = !checking;
            checking = true;
        }
        if (start) {
            round();
        }
    }

    private void round() {
        List<Waiter> group;
        synchronized (lock) {
            group = waiting;
            waiting = new ArrayList<>();
        }
        if (gone != null) {
            finish(group, gone);
            return;
        }
        KafkaFuture<TopicDescription> f;
        try {
            f = topic.backend.admin.describeTopics(List.of(topic.name)).topicNameValues().get(topic.name);
        } catch (RuntimeException e) {
            finish(group, unconfirmed(e));
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
            finish(group, failure);
        });
    }

    private DiasporaException unconfirmed(Throwable e) {
        return new DiasporaException("kafka: topic '" + topic.name + "': Kafka stored the event, but the driver could"
                + " not confirm that the topic was not deleted and created again meanwhile (" + e + "); the event may"
                + " be in a topic re-created under the name. Check the topic, and push again if it is still the same",
                e);
    }

    private void finish(List<Waiter> group, Throwable failure) {
        topic.backend.complete(() -> {
            for (Waiter w : group) {
                if (failure == null) {
                    w.ok().run();
                } else {
                    w.fail().accept(failure);
                }
            }
        });
        boolean again;
        synchronized (lock) {
            again = !waiting.isEmpty();
            checking = again;
        }
        if (again) {
            topic.backend.complete(this::round); // not on the admin client's thread: round() only issues a request
        }
    }
}
