package dev.diaspora.stream.examples;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.StartAt;
import dev.diaspora.stream.TopicHandle;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * The producer and consumer of the quick start, for the examples that run them against a server (kafka, redis, rabbitmq):
 * only the driver and its options differ between them.
 *
 * <p>Thread safety: stateless; {@link #run} uses only its arguments.
 */
public final class RoundTrip {
    private RoundTrip() {
    }

    /**
     * Creates {@code topicName} (3 partitions) if absent, pushes {@code events} events, then reads what this run
     * produced (from the run's start time) with a consumer of its own name, printing each event.
     *
     * @param where the server, for the output
     */
    public static void run(Driver driver, String topicName, int events, String where) {
        Instant start = Instant.now();
        driver.createTopicIfAbsent(topicName, Metadata.of("{\"num_partitions\":3}"));
        try (TopicHandle topic = driver.openTopic(topicName)) {
            try (Producer producer = topic.producer()) {
                for (int i = 0; i < events; i++) {
                    byte[] data = ("frame " + i).getBytes(StandardCharsets.UTF_8);
                    producer.push(Metadata.of("{\"frame\":" + i + "}"), DataView.of(ByteBuffer.wrap(data)));
                }
                producer.flush().join();
            }
            System.out.println("produced " + events + " events to topic '" + topicName + "' at " + where);
            ConsumerOptions opts = ConsumerOptions.named("example-" + start.toEpochMilli()).startAt(StartAt.time(start));
            int seen = 0;
            try (Consumer consumer = topic.consumer(opts)) {
                Optional<Event> e;
                while (seen < events && (e = consumer.poll(Duration.ofSeconds(10))).isPresent()) {
                    Event ev = e.get();
                    System.out.println("consumed partition " + ev.partition() + " id " + ev.id() + " " + ev.metadata()
                            + " '" + new String(ev.data().toByteArray(), StandardCharsets.UTF_8) + "'");
                    ev.acknowledge();
                    seen++;
                }
            }
            System.out.println("consumed " + seen + " events");
        }
    }
}
