package dev.diaspora.stream.netty;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataAllocator;
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
import java.util.Optional;

/** Produces events with data into a topic and consumes them back, checking metadata and data. */
final class RoundTrip {
    private RoundTrip() {
    }

    /** Creates {@code topic} (2 partitions) if missing, then {@link #check(Driver, String, int)}. */
    static void createAndCheck(Driver driver, String topic, int events) {
        if (!driver.topicExists(topic)) {
            driver.createTopic(topic, Metadata.of("{\"num_partitions\":2}"));
        }
        check(driver, topic, events);
    }

    /**
     * Produces {@code events} events with distinct metadata and data into {@code topic}, then consumes them with a
     * fresh consumer name from the start of each partition, and checks every one came back whole.
     */
    static void check(Driver driver, String topic, int events) {
        String run = Long.toHexString(System.nanoTime());
        try (TopicHandle t = driver.openTopic(topic)) {
            try (Producer p = t.producer(ProducerOptions.named("round-trip-" + run))) {
                for (int i = 0; i < events; i++) {
                    p.push(Metadata.of("{\"run\":\"" + run + "\",\"i\":" + i + "}"),
                            DataView.of(ByteBuffer.wrap(data(run, i))));
                }
                p.flush().join();
            }
            boolean[] seen = new boolean[events];
            int found = 0;
            ConsumerOptions opts = ConsumerOptions.named("round-trip-" + run).dataSelector((md, d) -> d)
                    .dataAllocator(DataAllocator.heap());
            try (Consumer c = t.consumer(opts)) {
                Optional<Event> next;
                while (found < events && (next = c.poll(Duration.ofSeconds(5))).isPresent()) {
                    Event e = next.get();
                    if (!run.equals(e.metadata().json().path("run").asText())) {
                        continue; // events of an earlier run of the same topic
                    }
                    int i = e.metadata().json().get("i").asInt();
                    assertArrayEquals(data(run, i), e.data().toByteArray(), "data of event " + i);
                    assertTrue(!seen[i], "event " + i + " delivered twice");
                    seen[i] = true;
                    found++;
                }
            }
            assertEquals(events, found, "events consumed back from topic '" + topic + "'");
        }
    }

    private static byte[] data(String run, int i) {
        return (run + ":" + i + ":" + "d".repeat(i % 97)).getBytes(StandardCharsets.UTF_8);
    }
}
