package dev.diaspora.stream.examples.quickstart;

import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.DataAllocator;
import dev.diaspora.stream.DataDescriptor;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.ProducerOptions;
import dev.diaspora.stream.TopicHandle;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The README's main job: create a topic, produce events with data, and consume them back with a data selector.
 *
 * <p>Usage: {@code QuickStart [driver [driver-options-json]]}, default {@code files {"root_path":"diaspora-data"}}:
 * the topic and the consumer's position live in {@code ./diaspora-data}, so a second run adds ten events and the
 * consumer, which acknowledged everything it read, resumes with the new ones.
 */
public final class QuickStart {
    private QuickStart() {
    }

    public static void main(String[] args) {
        String driverName = args.length > 0 ? args[0] : "files";
        Metadata driverOptions = Metadata.of(args.length > 1 ? args[1] : "{\"root_path\":\"diaspora-data\"}");
        int events = 10;
        try (Driver driver = Driver.open(driverName, driverOptions)) {
            String topicName = "collisions";
            // creates the topic, or accepts it as it is if it exists with these options (run it again, or from
            // several processes at once); fails naming the options that differ if it exists with others
            boolean created = driver.createTopicIfAbsent(topicName, Metadata.of("{\"num_partitions\":2}"));
            System.out.println("driver '" + driverName + "' " + driverOptions + ": topic '" + topicName
                    + "' with 2 partitions" + (created ? ", created" : ", already there"));
            try (TopicHandle topic = driver.openTopic(topicName)) {
                try (Producer producer = topic.producer(ProducerOptions.named("quickstart-producer"))) {
                    List<CompletableFuture<Long>> ids = new ArrayList<>();
                    for (int i = 0; i < events; i++) {
                        // metadata: a small JSON document; data: raw bytes the producer does not copy
                        Metadata md = Metadata.of("{\"event\":" + i + ",\"energy\":" + (i * 10) + "}");
                        byte[] data = ("payload of event " + i + ": " + "x".repeat(i)).getBytes(StandardCharsets.UTF_8);
                        ids.add(producer.push(md, DataView.of(ByteBuffer.wrap(data))));
                    }
                    producer.flush().join();
                    System.out.println("produced " + ids.size() + " events");
                }
                // keep only the first 16 bytes of the data of events with energy > 40; no data for the others
                ConsumerOptions opts = ConsumerOptions.named("quickstart-consumer")
                        .dataSelector((md, d) -> md.json().get("energy").asInt() > 40
                                ? d.makeSubView(0, 16) : DataDescriptor.NONE)
                        .dataAllocator(DataAllocator.heap());
                try (Consumer consumer = topic.consumer(opts)) {
                    int seen = 0;
                    Optional<Event> next;
                    while ((next = consumer.poll(Duration.ofSeconds(2))).isPresent()) {
                        Event e = next.get();
                        String data = new String(e.data().toByteArray(), StandardCharsets.UTF_8);
                        System.out.println("consumed partition " + e.partition() + " id " + e.id() + " metadata "
                                + e.metadata() + " data[" + e.data().size() + "]='" + data + "'");
                        e.acknowledge();
                        seen++;
                    }
                    System.out.println("consumed " + seen + " events");
                }
            }
        }
    }
}
