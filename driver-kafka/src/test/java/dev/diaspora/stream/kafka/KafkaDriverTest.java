package dev.diaspora.stream.kafka;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.EventTooLargeException;
import dev.diaspora.stream.InvalidOptionException;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.ProducerOptions;
import dev.diaspora.stream.TopicHandle;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Bad input and foreign topics, against a real embedded broker. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class KafkaDriverTest {
    private static final AtomicInteger COUNTER = new AtomicInteger();
    @RegisterExtension
    static final BrokerExtension BROKER = new BrokerExtension();

    private static String topicName(String base) {
        return "kdt-" + COUNTER.incrementAndGet() + "-" + base;
    }

    private static Driver open(String kafkaObject) {
        return Driver.open("kafka", Metadata.of("{\"bootstrap.servers\":\"" + BROKER.kafka().bootstrapServers() + "\""
                + (kafkaObject == null ? "" : ",\"kafka\":" + kafkaObject) + "}"));
    }

    @Test
    void unreachableBootstrapServersFailClearlyWithinTheTimeout() {
        long start = System.nanoTime();
        DiasporaException e = assertThrows(DiasporaException.class, () -> Driver.open("kafka", Metadata.of(
                "{\"bootstrap.servers\":\"127.0.0.1:1\",\"kafka\":{\"default.api.timeout.ms\":2000,"
                        + "\"request.timeout.ms\":2000}}")).close());
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(ms < 8_000, "took " + ms + " ms for a 2000 ms timeout");
        assertTrue(e.getMessage().contains("127.0.0.1:1") && e.getMessage().contains("2000 ms"), e.getMessage());
    }

    @Test
    void missingBootstrapServersAndUnknownKeysAreRejected() {
        assertThrows(InvalidOptionException.class, () -> Driver.open("kafka", Metadata.of("{}")));
        assertThrows(InvalidOptionException.class, () -> Driver.open("kafka", Metadata.of(
                "{\"bootstrap.servers\":\"localhost:9092\",\"acks\":\"all\"}")));
        assertThrows(InvalidOptionException.class, () -> Driver.open("kafka", Metadata.of(
                "{\"bootstrap.servers\":\"localhost:9092\",\"kafka\":{\"acks\":{\"x\":1}}}")));
    }

    @Test
    void eventAboveTheDriverLimitIsRejectedNamingTheLimit() throws Exception {
        try (Driver driver = open(null)) {
            String name = topicName("oversize");
            driver.createTopic(name);
            TopicHandle topic = driver.openTopic(name);
            long limit = new KafkaDriverProvider().capabilities().maxEventSize();
            try (Producer producer = topic.producer()) {
                CompletableFuture<Long> f = producer.push(Metadata.of("{}"), DataView.of(new byte[(int) limit]));
                ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(30, TimeUnit.SECONDS));
                assertInstanceOf(EventTooLargeException.class, e.getCause());
                assertTrue(e.getCause().getMessage().contains(String.valueOf(limit)), e.getCause().getMessage());
                // just below the limit fits
                long id = producer.push(Metadata.of("{}"), DataView.of(new byte[(int) limit - 2])).get(30,
                        TimeUnit.SECONDS);
                assertEquals(0, id);
            }
        }
    }

    @Test
    void producersWithoutAPendingEventsBoundGetOneSizedToTheKafkaProducersBuffer() throws Exception {
        String name = topicName("bounds");
        try (Driver driver = open(null)) {
            driver.createTopic(name);
            TopicHandle topic = driver.openTopic(name);
            try (Producer producer = topic.producer()) { // buffer.memory 32 MiB: 32 MiB / 512 events
                assertEquals(65_536, producer.options().maxPendingEvents());
                assertEquals(64L << 20, producer.options().maxPendingBytes());
                assertEquals(0, producer.push(Metadata.of("{}"), DataView.of(new byte[100])).get(30,
                        TimeUnit.SECONDS));
            }
        }
        try (Driver driver = open("{\"buffer.memory\":134217728}")) {
            TopicHandle topic = driver.openTopic(name);
            try (Producer producer = topic.producer()) {
                assertEquals(262_144, producer.options().maxPendingEvents(), "128 MiB / 512");
                assertEquals(64L << 20, producer.options().maxPendingBytes(), "the bytes bound stays the engine's");
            }
            try (Producer producer = topic.producer(ProducerOptions.named("own").maxPendingEvents(1000))) {
                assertEquals(1000, producer.options().maxPendingEvents(), "the user's bound wins");
            }
        }
        // a buffer below the default keeps the engine's default
        assertEquals(ProducerOptions.DEFAULT_MAX_PENDING_EVENTS, KafkaBackend.suggestedMaxPendingEvents(1 << 20));
    }

    @Test
    void eventAboveAConfiguredMaxRequestSizeIsRejectedNamingIt() throws Exception {
        try (Driver driver = open("{\"max.request.size\":10000}")) {
            String name = topicName("small-requests");
            driver.createTopic(name);
            TopicHandle topic = driver.openTopic(name);
            try (Producer producer = topic.producer()) {
                CompletableFuture<Long> f = producer.push(Metadata.of("{}"), DataView.of(new byte[20_000]));
                ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(30, TimeUnit.SECONDS));
                assertInstanceOf(EventTooLargeException.class, e.getCause());
                assertTrue(e.getCause().getMessage().contains("max.request.size"), e.getCause().getMessage());
                // flush reports the store error once (S9), then the producer works on
                assertThrows(ExecutionException.class, () -> producer.flush().get(30, TimeUnit.SECONDS));
                assertEquals(0, producer.push(Metadata.of("{}"), DataView.of(new byte[100])).get(30,
                        TimeUnit.SECONDS));
            }
        }
    }

    @Test
    void kafkaTopicNotCreatedByTheDriverOpensWithDefaultComponents() throws Exception {
        String name = topicName("foreign");
        Properties props = new Properties();
        props.put("bootstrap.servers", BROKER.kafka().bootstrapServers());
        try (Admin admin = Admin.create(props)) {
            admin.createTopics(List.of(new NewTopic(name, 2, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
        try (KafkaProducer<byte[], byte[]> raw = new KafkaProducer<>(props, new ByteArraySerializer(),
                new ByteArraySerializer())) {
            raw.send(new ProducerRecord<>(name, 1, null, "hello".getBytes(StandardCharsets.UTF_8))).get(30,
                    TimeUnit.SECONDS);
        }
        try (Driver driver = open(null)) {
            assertTrue(driver.topicExists(name));
            Metadata listed = driver.listTopics().get(name);
            assertEquals(2, listed.json().get("num_partitions").asInt(), listed.toString());
            assertEquals("default", listed.json().get("validator").get("type").asText(), listed.toString());
            TopicHandle topic = driver.openTopic(name);
            assertEquals(2, topic.partitions().size());
            assertEquals(Metadata.of("{\"type\":\"default\"}").json(), topic.validator().config().json());
            try (dev.diaspora.stream.Consumer consumer = topic.consumer(ConsumerOptions.named("reader").targets(1))) {
                Optional<Event> e = consumer.poll(Duration.ofSeconds(20));
                assertTrue(e.isPresent());
                assertEquals(0, e.get().id());
                assertEquals("{}", e.get().metadata().toString());
                assertArrayEquals("hello".getBytes(StandardCharsets.UTF_8), e.get().data().toByteArray());
            }
            // events written by the driver to the foreign topic come back framed
            try (Producer producer = topic.producer()) {
                assertEquals(1, producer.push(Metadata.of("{\"a\":1}"), DataView.of(new byte[] {7}), 1).get(30,
                        TimeUnit.SECONDS));
            }
            assertEquals(Map.of(), topic.positions("nobody"));
        }
    }

    /**
     * Issue 12: ConsumerOptions.sessionTimeout reaches Kafka's group protocol (before, it was ignored and Kafka's own
     * 45 s applied): one below the broker's group.min.session.timeout.ms (6 s) is refused with a clear error.
     */
    @Test
    void aSessionTimeoutTheBrokerRefusesFailsTheOpenNamingTheBounds() {
        try (Driver driver = open(null)) {
            String name = topicName("session-timeout");
            driver.createTopic(name);
            try (TopicHandle topic = driver.openTopic(name)) {
                InvalidOptionException e = assertThrows(InvalidOptionException.class, () -> topic.consumer(
                        ConsumerOptions.named("short").sessionTimeout(Duration.ofSeconds(2))).close());
                assertTrue(e.getMessage().contains("2000 ms") && e.getMessage().contains("group.min.session.timeout.ms"),
                        e.getMessage());
                try (var c = topic.consumer(ConsumerOptions.named("ok").sessionTimeout(Duration.ofSeconds(7)))) {
                    assertTrue(c.assignment().size() == 1, "a timeout within the bounds works: " + c.assignment());
                }
            }
        }
    }
}
