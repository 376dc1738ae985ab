package dev.diaspora.stream.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.InterruptException;
import dev.diaspora.stream.Metadata;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The compacted {@code __diaspora_topics} topic that holds each Diaspora topic's options and component configurations
 * (key = topic name, value = JSON {@code {"options":{...},"components":{...}}}, tombstone on delete), and this
 * driver's view of it: a consumer that reads it up to its end before every lookup, so an entry written by another
 * driver instance is seen.
 *
 * <p>Ownership: owns its reader (a {@link KafkaConsumer}), closed by {@link #close()}; writes go through the
 * backend's shared producer, which it does not own. Thread safety: thread-safe (the reader and the map are guarded by
 * the map's monitor).
 */
final class KafkaTopicRegistry implements AutoCloseable {
    /** The compacted topic that holds each Diaspora topic's options and components. */
    static final String TOPIC = "__diaspora_topics";
    private static final TopicPartition PARTITION = new TopicPartition(TOPIC, 0);

    private final KafkaConfig config;
    private final KafkaProducer<byte[], byte[]> producer;
    private final KafkaConsumer<byte[], byte[]> reader;
    private final Map<String, JsonNode> entries = new HashMap<>(); // guarded by itself, with reader

    /**
     * Creates the registry topic if it is missing, and a reader positioned at its beginning.
     *
     * @param producer the backend's producer, used for writes (not owned)
     * @throws DiasporaException if the topic cannot be created; nothing is left open then
     */
    KafkaTopicRegistry(KafkaConfig config, Admin admin, KafkaProducer<byte[], byte[]> producer,
            short replicationFactor) {
        this.config = config;
        this.producer = producer;
        KafkaConsumer<byte[], byte[]> r = new KafkaConsumer<>(config.client(
                Map.of("client.id", KafkaBackend.clientId("registry")),
                Map.of("enable.auto.commit", "false", "auto.offset.reset", "earliest")),
                new ByteArrayDeserializer(), new ByteArrayDeserializer());
        try {
            ensureTopic(admin, replicationFactor, config.apiTimeoutMs());
            r.assign(List.of(PARTITION));
            r.seekToBeginning(List.of(PARTITION));
        } catch (RuntimeException e) {
            KafkaBackend.closeQuietly(r);
            throw e;
        }
        this.reader = r;
    }

    private static void ensureTopic(Admin a, short replicationFactor, long timeout) {
        try {
            Set<String> names = a.listTopics().names().get(timeout, TimeUnit.MILLISECONDS);
            if (names.contains(TOPIC)) {
                return;
            }
            NewTopic t = new NewTopic(TOPIC, 1, replicationFactor).configs(Map.of("cleanup.policy", "compact"));
            a.createTopics(List.of(t)).all().get(timeout, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof org.apache.kafka.common.errors.TopicExistsException)) {
                throw new DiasporaException("kafka: cannot create the registry topic " + TOPIC + ": "
                        + e.getCause(), e.getCause());
            }
        } catch (java.util.concurrent.TimeoutException e) {
            throw new DiasporaException("kafka: timed out after " + timeout + " ms creating " + TOPIC, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptException("creating " + TOPIC, e);
        }
    }

    /** Reads the registry up to its end and returns the entry of {@code name}, or null. */
    JsonNode entry(String name) {
        synchronized (entries) {
            catchUp();
            return entries.get(name);
        }
    }

    /** Reads the registry up to its end and returns a copy of every entry. */
    Map<String, JsonNode> snapshot() {
        synchronized (entries) {
            catchUp();
            return new HashMap<>(entries);
        }
    }

    private void catchUp() {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.apiTimeoutMs());
        try {
            long end = reader.endOffsets(List.of(PARTITION)).get(PARTITION);
            while (reader.position(PARTITION) < end) {
                if (System.nanoTime() - deadline > 0) {
                    throw new DiasporaException("kafka: timed out reading " + TOPIC + " up to offset " + end);
                }
                for (ConsumerRecord<byte[], byte[]> rec : reader.poll(Duration.ofMillis(200))) {
                    String key = new String(rec.key(), StandardCharsets.UTF_8);
                    if (rec.value() == null) {
                        entries.remove(key);
                    } else {
                        try {
                            entries.put(key, Metadata.ofUtf8(rec.value()).json());
                        } catch (RuntimeException e) {
                            entries.remove(key); // not ours or damaged: default components
                        }
                    }
                }
            }
        } catch (KafkaException e) {
            throw new DiasporaException("kafka: cannot read " + TOPIC + ": " + e, e);
        }
    }

    /**
     * Writes the entry of topic {@code name} and waits for the write.
     *
     * @param value the entry's JSON in UTF-8, or null to delete it (a tombstone)
     */
    void write(String name, byte[] value) {
        try {
            producer.send(new ProducerRecord<>(TOPIC, 0, name.getBytes(StandardCharsets.UTF_8), value))
                    .get(config.apiTimeoutMs() * 2, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new DiasporaException("kafka: cannot write the entry of topic '" + name + "' to " + TOPIC
                    + ": " + e.getCause(), e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new DiasporaException("kafka: timed out writing the entry of topic '" + name + "' to " + TOPIC, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptException("writing " + TOPIC, e);
        } catch (KafkaException e) {
            throw new DiasporaException("kafka: cannot write the entry of topic '" + name + "': " + e, e);
        }
    }

    @Override
    public void close() {
        synchronized (entries) {
            KafkaBackend.closeQuietly(reader);
        }
    }
}
