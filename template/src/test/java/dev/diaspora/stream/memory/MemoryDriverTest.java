package dev.diaspora.stream.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.BackPressureException;
import dev.diaspora.stream.BatchSize;
import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.DriverInfo;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.InvalidOptionException;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.ProducerOptions;
import dev.diaspora.stream.ThreadPool;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.TopicNotFoundException;
import dev.diaspora.stream.TopicOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Behaviour specific to the memory driver, and engine paths the TCK drives only lightly. */
@Timeout(60)
class MemoryDriverTest {
    @Test
    void shouldShareTopicsBetweenDriversOfOneInstanceOnly() {
        try (Driver a = Driver.open("memory", Metadata.of("{\"instance\":\"shared-1\"}"));
                Driver b = Driver.open("memory", Metadata.of("{\"instance\":\"shared-1\"}"));
                Driver c = Driver.open("memory")) {
            a.createTopic("t");
            assertTrue(b.topicExists("t"));
            assertFalse(c.topicExists("t"));
        }
    }

    /**
     * Issue 13: storedBytes reports the metadata and data bytes of the retained events, per partition, and shrinks
     * when retention.bytes drops events.
     */
    @Test
    void storedBytesCountsTheRetainedEvents() {
        try (Driver d = Driver.open("memory")) {
            d.createTopic("sized", Metadata.of("{\"num_partitions\":2}"));
            TopicHandle t = d.openTopic("sized");
            assertEquals(0, t.storedBytes(0).orElseThrow(), "an empty partition");
            Metadata md = Metadata.of("{\"n\":1}");
            long mdSize;
            try (Producer p = t.producer()) {
                p.push(md, DataView.of(new byte[100]), 0).join();
                mdSize = t.storedBytes(0).orElseThrow() - 100; // the serialized metadata, whatever the serializer
                assertTrue(mdSize > 0, "the metadata counts too: " + mdSize);
                p.push(md, DataView.of(new byte[101]), 0).join();
                p.push(md, DataView.of(new byte[102]), 0).join();
            }
            assertEquals(3 * mdSize + 303, t.storedBytes(0).orElseThrow(), "metadata plus data of 3 events");
            assertEquals(0, t.storedBytes(1).orElseThrow(), "the other partition holds nothing");
            d.alterTopic("sized", Metadata.of("{\"retention.bytes\":" + (mdSize + 102) + "}"));
            assertEquals(2, t.bounds(0).first(), "retention.bytes keeps the newest event only");
            assertEquals(mdSize + 102, t.storedBytes(0).orElseThrow(), "the bytes of the event retained");
            assertThrows(IllegalArgumentException.class, () -> t.storedBytes(2), "out of range");
        }
    }

    /** Issue 11: a handle closed by its own driver's deleteTopic says why, and what to do. */
    @Test
    void aHandleOfATopicDeletedThroughItsDriverSaysSo() {
        try (Driver d = Driver.open("memory")) {
            d.createTopic("gone");
            TopicHandle t = d.openTopic("gone");
            d.deleteTopic("gone");
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> t.bounds(0));
            assertTrue(e.getMessage().contains("'gone' is closed: it was deleted through this driver"),
                    e.getMessage());
        }
    }

    @Test
    void shouldListItselfWithItsOptions() {
        DriverInfo info = Driver.available().stream().filter(d -> d.name().equals("memory")).findFirst()
                .orElseThrow();
        assertEquals("instance", info.options().get(0).name());
        assertEquals("num_partitions", info.topicOptions().get(0).name());
    }

    @Test
    void shouldRejectAMistypedOptionNamingTheAcceptedOnes() {
        InvalidOptionException e = assertThrows(InvalidOptionException.class,
                () -> Driver.open("memory", Metadata.of("{\"instanse\":\"x\"}")));
        assertTrue(e.getMessage().contains("did you mean 'instance'"), e.getMessage());
    }

    @Test
    void poolPipelineKeepsPushOrderPerPartitionUnderStrict() {
        try (Driver d = Driver.open("memory")) {
            d.createTopic("t", Metadata.of("{\"num_partitions\":3}"));
            ThreadPool pool = d.makeThreadPool(2);
            try (TopicHandle t = d.openTopic("t")) {
                List<CompletableFuture<Long>> ids = new ArrayList<>();
                try (Producer p = t.producer(ProducerOptions.named("p").threadPool(pool)
                        .batchSize(BatchSize.of(7)))) {
                    for (int i = 0; i < 3000; i++) {
                        ids.add(p.push(Metadata.of("{\"i\":" + i + "}"), DataView.of(new byte[i % 50]), i % 3));
                    }
                    p.flush().join();
                }
                for (int i = 0; i < ids.size(); i++) {
                    assertEquals(i / 3, ids.get(i).join(), "event " + i);
                }
                try (Consumer c = t.consumer("c")) {
                    long[] next = new long[3];
                    for (int i = 0; i < 3000; i++) {
                        Event e = c.poll(Duration.ofSeconds(10)).orElseThrow();
                        assertEquals(next[e.partition()]++, e.id());
                        int n = e.metadata().json().get("i").asInt();
                        assertEquals(e.partition(), n % 3);
                        assertEquals(n % 50, e.data().size());
                    }
                    assertEquals(Optional.empty(), c.poll(Duration.ofMillis(50)));
                }
            }
        }
    }

    @Test
    void failFastBackPressureThrowsAtTheBoundAndRecovers() {
        try (Driver d = Driver.open("memory")) {
            d.createTopic("t");
            try (TopicHandle t = d.openTopic("t");
                    Producer p = t.producer(ProducerOptions.named("p").batchSize(BatchSize.of(1000))
                            .maxPendingEvents(3).backPressure(ProducerOptions.BackPressure.FAIL_FAST))) {
                for (int i = 0; i < 3; i++) {
                    p.push(Metadata.of("{}"), DataView.EMPTY);
                }
                BackPressureException e = assertThrows(BackPressureException.class,
                        () -> p.push(Metadata.of("{}"), DataView.EMPTY));
                assertTrue(e.getMessage().contains("3 of 3 events"), e.getMessage());
                p.flush().join();
                CompletableFuture<Long> fourth = p.push(Metadata.of("{}"), DataView.EMPTY);
                p.flush().join();
                assertEquals(3L, fourth.join());
                assertEquals(0, p.metrics().pendingEvents());
            }
        }
    }

    @Test
    void aConsumerResumesAfterTheLastAcknowledgedEvent() {
        try (Driver d = Driver.open("memory")) {
            d.createTopic("t");
            try (TopicHandle t = d.openTopic("t")) {
                try (Producer p = t.producer()) {
                    for (int i = 0; i < 20; i++) {
                        p.push(Metadata.of("{\"i\":" + i + "}"), DataView.EMPTY);
                    }
                }
                try (Consumer c = t.consumer(ConsumerOptions.named("c").ackInterval(Duration.ofHours(1)))) {
                    for (int i = 0; i < 8; i++) {
                        Event e = c.poll(Duration.ofSeconds(5)).orElseThrow();
                        if (i == 6) {
                            e.acknowledge();
                        }
                    }
                }
                assertEquals(7L, t.positions("c").get(0));
                try (Consumer c = t.consumer("c")) {
                    assertEquals(7L, c.poll(Duration.ofSeconds(5)).orElseThrow().id());
                }
            }
        }
    }

    /**
     * Issue 11: once a read session reports its topic deleted (here by another driver instance sharing the store),
     * retrying cannot help: every later pull fails at once with TopicNotFoundException and close does not throw.
     * Before, the engine retried every 100 ms with a WARN each time and a new pull stayed pending until the next retry.
     */
    @Test
    void aConsumerOfADeletedTopicFailsEveryLaterPullAtOnce() throws Exception {
        try (Driver a = Driver.open("memory", Metadata.of("{\"instance\":\"gone-consumer\"}"));
                Driver b = Driver.open("memory", Metadata.of("{\"instance\":\"gone-consumer\"}"))) {
            a.createTopic("t");
            TopicHandle t = a.openTopic("t");
            Consumer c = t.consumer("c");
            CompletableFuture<Event> waiting = c.pull();
            b.deleteTopic("t");
            b.createTopic("t");
            ExecutionException first = assertThrows(ExecutionException.class, () -> waiting.get(10, TimeUnit.SECONDS));
            assertTrue(first.getCause() instanceof TopicNotFoundException, String.valueOf(first.getCause()));
            for (int i = 0; i < 3; i++) {
                CompletableFuture<Event> next = c.pull();
                assertTrue(next.isCompletedExceptionally(), "pull " + i + " after the delete must fail at once");
                assertThrows(TopicNotFoundException.class, () -> c.poll(Duration.ofSeconds(5)));
            }
            c.close();
            t.close();
        }
    }

    @Test
    void optionsGivenAsMapsNeedNoJson() {
        try (Driver d = Driver.open("memory", Map.of(MemoryDriverProvider.INSTANCE, "map-options"))) {
            d.createTopic("m", Map.of(TopicOptions.NUM_PARTITIONS, 3));
            try (TopicHandle t = d.openTopic("m")) {
                assertEquals(3, t.partitions().size());
            }
            InvalidOptionException e = assertThrows(InvalidOptionException.class,
                    () -> d.createTopic("n", Map.of("num_partitons", 2)));
            assertTrue(e.getMessage().contains("num_partitons"), e.getMessage());
        }
    }
}
