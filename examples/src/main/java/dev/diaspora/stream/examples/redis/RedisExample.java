package dev.diaspora.stream.examples.redis;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
 * The same producer and consumer as the quick start, against a Redis server: only the driver name and options change.
 *
 * <p>Usage: {@code RedisExample --uri redis://host:port [--user name] [--password-env VAR] [--key-prefix p]
 * [--topic name] [--events n]}. With {@code --password-env} the password or token is read from that environment
 * variable (never from the command line, where other users of the machine could see it). The topic is created (with 3
 * partitions) if it does not exist; the consumer reads what this run produced, from the run's start time.
 */
public final class RedisExample {
    private static final String USAGE = "usage: RedisExample --uri redis://host:port [--user name]"
            + " [--password-env VAR] [--key-prefix p] [--topic name] [--events n]";

    private RedisExample() {
    }

    public static void main(String[] args) {
        ObjectNode options = JsonNodeFactory.instance.objectNode();
        String topicName = "diaspora-example";
        int events = 10;
        for (int i = 0; i < args.length; i++) {
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(args[i] + " needs a value; " + USAGE);
            }
            switch (args[i]) {
                case "--uri" -> options.put("uri", args[++i]);
                case "--user" -> options.put("username", args[++i]);
                case "--password-env" -> options.put("password_env", args[++i]);
                case "--key-prefix" -> options.put("key_prefix", args[++i]);
                case "--topic" -> topicName = args[++i];
                case "--events" -> events = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i] + "; " + USAGE);
            }
        }
        if (!options.has("uri")) {
            throw new IllegalArgumentException(USAGE);
        }
        Instant start = Instant.now();
        try (Driver driver = Driver.open("redis", Metadata.of(options))) {
            driver.createTopicIfAbsent(topicName, Metadata.of("{\"num_partitions\":3}"));
            try (TopicHandle topic = driver.openTopic(topicName)) {
                try (Producer producer = topic.producer()) {
                    for (int i = 0; i < events; i++) {
                        byte[] data = ("frame " + i).getBytes(StandardCharsets.UTF_8);
                        producer.push(Metadata.of("{\"frame\":" + i + "}"), DataView.of(ByteBuffer.wrap(data)));
                    }
                    producer.flush().join();
                }
                System.out.println("produced " + events + " events to Redis topic '" + topicName + "'");
                ConsumerOptions opts = ConsumerOptions.named("example-" + start.toEpochMilli())
                        .startAt(StartAt.time(start));
                int seen = 0;
                try (Consumer consumer = topic.consumer(opts)) {
                    Optional<Event> e;
                    while (seen < events && (e = consumer.poll(Duration.ofSeconds(10))).isPresent()) {
                        Event ev = e.get();
                        System.out.println("consumed partition " + ev.partition() + " id " + ev.id() + " "
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
