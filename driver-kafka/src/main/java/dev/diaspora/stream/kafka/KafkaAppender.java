package dev.diaspora.stream.kafka;

import dev.diaspora.stream.DataView;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.EventTooLargeException;
import dev.diaspora.stream.TopicNotFoundException;
import dev.diaspora.stream.spi.Appender;
import dev.diaspora.stream.spi.OutgoingBatch;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TimeoutException;

/**
 * RECORD-mode appender: one {@code KafkaProducer.send} per event (idempotent, acks=all); the offset is the EventID.
 * The record is laid out in the topic's {@link RecordFraming}. An acknowledged send completes once the topic's
 * incarnation is confirmed ({@link KafkaIncarnation#confirm}), so no push succeeds into a topic re-created under the
 * name.
 *
 * <p>Thread safety: thread-safe; the engine calls {@link #send} in push order per partition.
 */
final class KafkaAppender implements Appender {
    private final KafkaTopic topic;
    /** The last send per partition; Kafka completes a producer's sends of one partition in order. */
    private final ConcurrentHashMap<Integer, CompletableFuture<Void>> last = new ConcurrentHashMap<>();

    KafkaAppender(KafkaTopic topic) {
        this.topic = topic;
    }

    @Override
    public Mode mode() {
        return Mode.RECORD;
    }

    @Override
    public void append(int partition, OutgoingBatch batch, CompletableFuture<Long> done) {
        throw new UnsupportedOperationException("the kafka appender works in RECORD mode");
    }

    @Override
    public void send(int partition, ByteBuffer metadata, DataView data, AppendCallback callback) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        last.put(partition, done);
        TopicNotFoundException gone = topic.incarnation.gone();
        if (gone != null) { // never send into a name whose topic was replaced: Kafka would store it there
            complete(callback, done, -1, gone);
            return;
        }
        ProducerRecord<byte[], byte[]> record;
        try {
            record = topic.framing.record(topic.name, partition, metadata, data);
            topic.mark(record);
        } catch (RuntimeException e) {
            complete(callback, done, -1, e);
            return;
        }
        try {
            topic.backend.producer.send(record, (md, err) -> {
                if (err != null) {
                    Throwable e = topic.incarnation.gone() != null ? topic.incarnation.gone() : translate(partition,
                            err);
                    topic.backend.complete(() -> complete(callback, done, -1, e));
                    return;
                }
                long id = md.offset();
                // completes once a topic-id check begun after this acknowledgement confirms the topic (grouped)
                topic.incarnation.confirm(() -> complete(callback, done, id, null),
                        e -> complete(callback, done, -1, e));
            });
        } catch (RuntimeException e) {
            complete(callback, done, -1, translate(partition, e));
        }
    }

    private static void complete(AppendCallback callback, CompletableFuture<Void> done, long id, Throwable err) {
        try {
            callback.onComplete(id, err);
        } finally {
            done.complete(null);
        }
    }

    private Throwable translate(int partition, Throwable err) {
        if (err instanceof RecordTooLargeException) {
            return new EventTooLargeException("partition " + partition + " of topic '" + topic.name + "': the event"
                    + " is larger than Kafka accepts: raise the driver option 'max_event_size' (now "
                    + topic.backend.config.maxEventSize + " bytes; it sets the producer's max.request.size), and for a"
                    + " topic not created by the driver its max.message.bytes: " + err.getMessage(), err);
        }
        if (err instanceof DiasporaException) {
            return err;
        }
        // Kafka's retriable errors (a lost leader, too few in-sync replicas, a delivery timeout): the push may succeed
        // when tried again; whether this one was stored is unknown (see the README, "Brokers lost")
        boolean retriable = err instanceof RetriableException;
        String why = err instanceof TimeoutException ? " within delivery.timeout.ms (a 'kafka' option): the partition's"
                + " leader was unreachable or had fewer in-sync replicas than the topic's min.insync.replicas"
                + " until the timeout; the event may or may not be stored" : "";
        return new DiasporaException("partition " + partition + " of topic '" + topic.name + "': Kafka could not"
                + " store the event" + why + (retriable ? " (retriable: push it again once the cluster recovers)"
                : "") + ": " + err, err, retriable);
    }

    @Override
    public CompletableFuture<Void> flush() {
        CompletableFuture<?>[] fs = last.values().toArray(new CompletableFuture<?>[0]);
        if (fs.length == 0) {
            return CompletableFuture.completedFuture(null);
        }
        return CompletableFuture.allOf(fs);
    }

    @Override
    public void close() {
    }
}
