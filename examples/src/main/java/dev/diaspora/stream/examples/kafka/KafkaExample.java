package dev.diaspora.stream.examples.kafka;

import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.examples.RoundTrip;

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
        String options = "{\"bootstrap.servers\":\"" + bootstrap + "\"}";
        try (Driver driver = Driver.open("kafka", Metadata.of(options))) {
            RoundTrip.run(driver, topicName, events, "Kafka " + bootstrap);
        }
    }
}
