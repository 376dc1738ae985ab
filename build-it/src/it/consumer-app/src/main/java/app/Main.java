package app;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.PartitionSelector;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.ProducerOptions;
import dev.diaspora.stream.Serializer;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.ValidationException;
import dev.diaspora.stream.Validator;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletionException;

/**
 * Produces three events with data into a files topic and reads them back, then pushes to a topic with a JSON Schema
 * validator (which runs on json-schema-validator, a module of its own on the module path); exits 1 on any
 * difference.
 */
public final class Main {
    public static void main(String[] args) {
        String root = args[0];
        String where = Main.class.getModule().isNamed() ? "module path" : "class path";
        try (Driver driver = Driver.open("files", Metadata.of("{\"root_path\":\"" + root + "\"}"))) {
            driver.createTopic("events");
            try (TopicHandle topic = driver.openTopic("events")) {
                try (Producer producer = topic.producer(ProducerOptions.named("app"))) {
                    for (int i = 0; i < 3; i++) {
                        producer.push(Metadata.of("{\"i\":" + i + "}"),
                                DataView.of(ByteBuffer.wrap(("data " + i).getBytes(StandardCharsets.UTF_8))));
                    }
                    producer.flush().join();
                }
                try (Consumer consumer = topic.consumer(ConsumerOptions.named("app"))) {
                    for (int i = 0; i < 3; i++) {
                        Event e = consumer.poll(Duration.ofSeconds(10)).orElseThrow();
                        byte[] data = new byte[(int) e.data().size()];
                        e.data().read(0, data, 0, data.length);
                        String expected = "{\"i\":" + i + "}";
                        if (!e.metadata().toString().equals(expected)
                                || !new String(data, StandardCharsets.UTF_8).equals("data " + i)) {
                            System.err.println("FAILED on the " + where + ": event " + i + " came back as "
                                    + e.metadata().toString());
                            System.exit(1);
                        }
                        e.acknowledge();
                    }
                }
            }
        }
        try (Driver driver = Driver.open("files", Metadata.of("{\"root_path\":\"" + root + "\"}"))) {
            Validator schema = Validator.fromConfig(Metadata.of("{\"type\":\"schema\",\"schema\":{\"required\":[\"i\"],"
                    + "\"properties\":{\"i\":{\"oneOf\":[{\"type\":\"integer\"},{\"pattern\":\"^[0-9]+$\"}]}}}}"));
            driver.createTopic("checked", Metadata.EMPTY, schema, PartitionSelector.defaultSelector(),
                    Serializer.defaultSerializer());
            try (TopicHandle topic = driver.openTopic("checked");
                    Producer producer = topic.producer(ProducerOptions.named("app"))) {
                producer.push(Metadata.of("{\"i\":\"7\"}"), DataView.EMPTY).join();
                try {
                    producer.push(Metadata.of("{\"i\":\"seven\"}"), DataView.EMPTY).join();
                    System.err.println("FAILED on the " + where + ": the schema validator accepted {\"i\":\"seven\"}");
                    System.exit(1);
                } catch (CompletionException e) {
                    if (!(e.getCause() instanceof ValidationException)
                            || !e.getCause().getMessage().contains("/i: must be valid to one and only one schema")) {
                        System.err.println("FAILED on the " + where + ": " + e.getCause());
                        System.exit(1);
                    }
                }
            }
        }
        System.out.println("OK on the " + where + ": 3 events produced and consumed, the schema validator checked");
    }
}
