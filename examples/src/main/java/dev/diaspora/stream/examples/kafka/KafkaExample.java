package dev.diaspora.stream.examples.kafka;

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
 * The same producer and consumer as the quick start, against a Kafka cluster: only the driver name and options
 * change.
 *
 * <p>Usage: {@code KafkaExample --bootstrap host:port [--topic name] [--events n]}. The topic is created (with 3
 * partitions) if it does not exist; the consumer reads what this run produced, from the run's start time.
 */
public final class KafkaExample {
    private KafkaExample() {
    }

    public static void main(String[] args) {
        String bootstrap = null;
        String topicName = "diaspora-example";
        int events = 10;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--bootstrap":
                    bootstrap = args[++i];
                    break;
                case "--topic":
                    topicName = args[++i];
                    break;
                case "--events":
                    events = Integer.parseInt(args[++i]);
                    break;
                default:
                    throw new IllegalArgumentException("unknown argument " + args[i]
                            + "; usage: KafkaExample --bootstrap host:port [--topic name] [--events n]");
            }
        }
        if (bootstrap == null) {
            throw new IllegalArgumentException("usage: KafkaExample --bootstrap host:port [--topic name] [--events n]");
        }
        Instant start = Instant.now();
        String options = "{\"bootstrap.servers\":\"" + bootstrap + "\"}";
        try (Driver driver = Driver.open("kafka", Metadata.of(options))) {
            driver.createTopicIfAbsent(topicName, Metadata.of("{\"num_partitions\":3}"));
            try (TopicHandle topic = driver.openTopic(topicName)) {
                try (Producer producer = topic.producer()) {
                    for (int i = 0; i < events; i++) {
                        byte[] data = ("frame " + i).getBytes(StandardCharsets.UTF_8);
                        producer.push(Metadata.of("{\"frame\":" + i + "}"), DataView.of(ByteBuffer.wrap(data)));
                    }
                    producer.flush().join();
                }
                System.out.println("produced " + events + " events to Kafka topic '" + topicName + "' at " + bootstrap);
                ConsumerOptions opts = ConsumerOptions.named("example-" + start.toEpochMilli())
                        .startAt(StartAt.time(start));
                int seen = 0;
                try (Consumer consumer = topic.consumer(opts)) {
                    Optional<Event> e;
                    while (seen < events && (e = consumer.poll(Duration.ofSeconds(10))).isPresent()) {
                        Event ev = e.get();
                        System.out.println("consumed partition " + ev.partition() + " offset " + ev.id() + " "
                                + ev.metadata() + " '" + new String(ev.data().toByteArray(), StandardCharsets.UTF_8)
                                + "'");
                        ev.acknowledge();
                        seen++;
                    }
                }
                System.out.println("consumed " + seen + " events");
            }
        }
    }
}
