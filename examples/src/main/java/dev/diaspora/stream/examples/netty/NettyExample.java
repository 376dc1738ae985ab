package dev.diaspora.stream.examples.netty;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataSelector;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.examples.ExampleArgs;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.netty.PartitionServer;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Two partition servers embedded in this JVM, and a producer and a consumer that reach them through the {@code netty}
 * driver over loopback: each event carries 64 KiB of data taken from direct buffers (sent without a copy), and the
 * consumer fetches only the first 1 KiB of each event's data (the servers send just those bytes).
 *
 * <p>Usage: {@code NettyExample [--root dir] [--topic name] [--events n]}. With a root directory that survives the run (default
 * {@code ./diaspora-netty-data}), a second run finds the topic and the consumer's position again.
 */
public final class NettyExample {
    private static final int DATA_SIZE = 64 << 10;
    private static final int SELECTED = 1 << 10;

    private NettyExample() {
    }

    public static void main(String[] args) {
        Path[] rootArg = {Path.of("diaspora-netty-data")};
        ExampleArgs args0 = new ExampleArgs("usage: NettyExample [--root dir] [--topic name] [--events n]", 20)
                .defaultTopic("frames").flag("--root", v -> rootArg[0] = Path.of(v)).parse(args);
        Path root = rootArg[0];
        int events = args0.events();
        String topicName = args0.topic();
        try (PartitionServer a = PartitionServer.builder().host("127.0.0.1").port(0).rootPath(root.resolve("a"))
                .start();
                PartitionServer b = PartitionServer.builder().host("127.0.0.1").port(0).rootPath(root.resolve("b"))
                        .start()) {
            String options = "{\"servers\":[\"127.0.0.1:" + a.port() + "\",\"127.0.0.1:" + b.port() + "\"]}";
            System.out.println("servers listening on ports " + a.port() + " and " + b.port());
            try (Driver driver = Driver.open("netty", Metadata.of(options))) {
                driver.createTopicIfAbsent(topicName, Metadata.of("{\"num_partitions\":4}")); // 2 on each server
                try (TopicHandle topic = driver.openTopic(topicName)) {
                    try (Producer producer = topic.producer()) {
                        for (int i = 0; i < events; i++) {
                            ByteBuffer data = ByteBuffer.allocateDirect(DATA_SIZE);
                            while (data.hasRemaining()) {
                                data.put((byte) i);
                            }
                            producer.push(Metadata.of("{\"frame\":" + i + "}"), DataView.of(data.flip()));
                        }
                        producer.flush().join();
                    }
                    System.out.println("produced " + events + " events of " + DATA_SIZE + " bytes");
                    DataSelector firstKiB = (metadata, descriptor) -> descriptor.makeSubView(0,
                            Math.min(SELECTED, descriptor.size()));
                    long bytes = 0;
                    int seen = 0;
                    try (Consumer consumer = topic.consumer(ConsumerOptions.named("example")
                            .dataSelector(firstKiB))) {
                        Optional<Event> e;
                        while ((e = consumer.poll(Duration.ofSeconds(2))).isPresent()) {
                            Event ev = e.get();
                            bytes += ev.data().size();
                            seen++;
                            ev.acknowledge();
                        }
                    }
                    System.out.println("consumed " + seen + " events, " + bytes + " bytes of data (" + SELECTED
                            + " selected per event)");
                }
            }
        }
    }
}
