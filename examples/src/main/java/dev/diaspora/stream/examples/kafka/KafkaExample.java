package dev.diaspora.stream.examples.kafka;

import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.examples.ExampleArgs;
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

    private static final String USAGE = "usage: KafkaExample --bootstrap host:port [--topic name] [--events n]";

    public static void main(String[] args) {
        String[] bootstrap = {null};
        ExampleArgs a = new ExampleArgs(USAGE, 10).flag("--bootstrap", v -> bootstrap[0] = v).parse(args);
        String options = "{\"bootstrap.servers\":\"" + a.require(bootstrap[0], "--bootstrap") + "\"}";
        try (Driver driver = Driver.open("kafka", Metadata.of(options))) {
            RoundTrip.run(driver, a.topic(), a.events(), "Kafka " + bootstrap[0]);
        }
    }
}
