package dev.diaspora.stream.kafka;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.EventTooLargeException;
import dev.diaspora.stream.InvalidOptionException;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.tck.LogCapture;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The driver on a three-broker cluster: the replication of the topics it creates (defaults, options, impossible
 * values), a foreign topic with too few replicas, and large events (1, 8 and 64 MiB) with a raised
 * {@code max_event_size}.
 */
@Timeout(value = 90, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class KafkaClusterTest {
    private static final AtomicInteger COUNTER = new AtomicInteger();
    @RegisterExtension
    static final BrokerExtension CLUSTER = new BrokerExtension(3, SecurityProtocol.PLAINTEXT, Map.of());

    private static String topicName(String base) {
        return "kct-" + COUNTER.incrementAndGet() + "-" + base;
    }

    private static Driver open(String moreOptions) {
        return Driver.open("kafka", Metadata.of("{\"bootstrap.servers\":\"" + CLUSTER.kafka().bootstrapServers() + "\""
                + (moreOptions == null ? "" : "," + moreOptions) + "}"));
    }

    private static Admin admin() {
        return Admin.create(Map.of("bootstrap.servers", CLUSTER.kafka().bootstrapServers()));
    }

    private static TopicDescription describe(Admin admin, String name) throws Exception {
        return admin.describeTopics(List.of(name)).allTopicNames().get(30, TimeUnit.SECONDS).get(name);
    }

    private static Config configOf(Admin admin, String name) throws Exception {
        ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, name);
        return admin.describeConfigs(List.of(r)).all().get(30, TimeUnit.SECONDS).get(r);
    }

    private static void assertReplicas(int expected, TopicDescription d) {
        for (TopicPartitionInfo p : d.partitions()) {
            assertEquals(expected, p.replicas().size(), d.name() + " partition " + p.partition() + ": " + p);
        }
    }

    @Test
    void topicsOnThreeBrokersGetThreeReplicasAndMinInsyncTwoByDefault() throws Exception {
        String name = topicName("defaults");
        try (Driver driver = open(null); Admin admin = admin()) {
            driver.createTopic(name, Metadata.of("{\"num_partitions\":3}"));
            assertReplicas(3, describe(admin, name));
            assertReplicas(3, describe(admin, KafkaTopicRegistry.TOPIC));
            Config config = configOf(admin, name);
            assertEquals("2", config.get("min.insync.replicas").value());
            assertEquals(String.valueOf(KafkaDriverProvider.MAX_REQUEST_SIZE), config.get("max.message.bytes").value());
        }
    }

    @Test
    void replicationOptionsOverrideTheDefaults() throws Exception {
        String name = topicName("override");
        try (Driver driver = open("\"replication_factor\":2,\"min_insync_replicas\":1"); Admin admin = admin()) {
            driver.createTopic(name, Metadata.of("{\"num_partitions\":2}"));
            assertReplicas(2, describe(admin, name));
            assertEquals("1", configOf(admin, name).get("min.insync.replicas").value());
        }
    }

    @Test
    void impossibleReplicationIsRejectedNamingTheOptions() {
        InvalidOptionException e = assertThrows(InvalidOptionException.class,
                () -> open("\"replication_factor\":2,\"min_insync_replicas\":3").close());
        assertTrue(e.getMessage().contains("min_insync_replicas") && e.getMessage().contains("replication_factor"),
                e.getMessage());
        try (Driver driver = open("\"replication_factor\":4")) {
            String name = topicName("four");
            InvalidOptionException tooMany = assertThrows(InvalidOptionException.class,
                    () -> driver.createTopic(name));
            assertTrue(tooMany.getMessage().contains("replication_factor") && tooMany.getMessage().contains("4"),
                    tooMany.getMessage());
            assertTrue(!driver.topicExists(name), "a topic that could not be created exists");
        }
    }

    @Test
    void aForeignTopicWithTooFewReplicasOpensWithOneWarning() throws Exception {
        String name = topicName("one-replica");
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic(name, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
        String warning = "topic '" + name + "' has 1 replica(s) per partition, fewer than the 3";
        try (Driver driver = open(null); LogCapture log = new LogCapture()) {
            driver.openTopic(name).close();
            driver.openTopic(name).close();
            String text = log.text();
            assertTrue(text.contains(warning), "no warning in:\n" + text);
            assertEquals(text.indexOf(warning), text.lastIndexOf(warning), "warned more than once:\n" + text);
        }
        String replicated = topicName("replicated");
        try (Driver driver = open(null); LogCapture log = new LogCapture()) {
            driver.createTopic(replicated);
            driver.openTopic(replicated).close();
            assertTrue(!log.text().contains("replica(s) per partition"), log.text());
        }
    }

    /** One event each of 1, 8 and 64 MiB round-trips byte for byte, through three replicas. */
    @Test
    @Timeout(value = 180, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // about 60 s at a load of 20 on 2 cores
    void largeEventsRoundTripWithARaisedLimit() throws Exception {
        int[] sizes = {1 << 20, 8 << 20, 64 << 20};
        long seed = System.nanoTime();
        String name = topicName("large");
        try (Driver driver = open("\"max_event_size\":" + ((64 << 20) + 1024))) {
            driver.createTopic(name);
            TopicHandle topic = driver.openTopic(name);
            try (Producer producer = topic.producer()) {
                for (int i = 0; i < sizes.length; i++) {
                    byte[] data = bytes(seed + i, sizes[i]);
                    assertEquals(i, producer.push(Metadata.of("{\"i\":" + i + "}"), DataView.of(data))
                            .get(60, TimeUnit.SECONDS), "seed " + seed);
                }
            }
            try (Consumer consumer = topic.consumer(ConsumerOptions.named("large-reader"))) {
                for (int i = 0; i < sizes.length; i++) {
                    Optional<Event> e = consumer.poll(Duration.ofSeconds(30));
                    assertTrue(e.isPresent(), "event " + i + " not delivered, seed " + seed);
                    assertEquals(i, e.get().metadata().json().get("i").asInt());
                    assertArrayEquals(bytes(seed + i, sizes[i]), e.get().data().toByteArray(),
                            "event " + i + " of " + sizes[i] + " bytes, seed " + seed);
                }
            }
        }
    }

    private static byte[] bytes(long seed, int size) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void anEventAboveMaxEventSizeFailsNamingTheOption() throws Exception {
        String name = topicName("above");
        try (Driver driver = open("\"max_event_size\":" + (2 << 20))) {
            driver.createTopic(name);
            TopicHandle topic = driver.openTopic(name);
            try (Producer producer = topic.producer()) {
                CompletableFuture<Long> f = producer.push(Metadata.of("{}"), DataView.of(new byte[(2 << 20) + 1]));
                ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(30, TimeUnit.SECONDS));
                assertInstanceOf(EventTooLargeException.class, e.getCause());
                assertTrue(e.getCause().getMessage().contains("'max_event_size'")
                        && e.getCause().getMessage().contains(String.valueOf(2 << 20)), e.getCause().getMessage());
                assertThrows(ExecutionException.class, () -> producer.flush().get(30, TimeUnit.SECONDS));
                // the largest event that fits is stored
                assertEquals(0, producer.push(Metadata.of("{}"), DataView.of(new byte[(2 << 20) - 2]))
                        .get(30, TimeUnit.SECONDS));
            }
        }
    }

    /** A topic made outside the driver keeps the broker's 1 MiB max.message.bytes: Kafka's refusal names both. */
    @Test
    void aForeignTopicsSmallerLimitFailsTheEventNamingWhatToRaise() throws Exception {
        String name = topicName("foreign-limit");
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic(name, 1, (short) 3))).all().get(30, TimeUnit.SECONDS);
        }
        try (Driver driver = open("\"max_event_size\":" + (8 << 20))) {
            TopicHandle topic = driver.openTopic(name);
            try (Producer producer = topic.producer()) {
                CompletableFuture<Long> f = producer.push(Metadata.of("{}"), DataView.of(new byte[2 << 20]));
                ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(30, TimeUnit.SECONDS));
                assertInstanceOf(EventTooLargeException.class, e.getCause());
                assertTrue(e.getCause().getMessage().contains("max.message.bytes")
                        && e.getCause().getMessage().contains("'max_event_size'"), e.getCause().getMessage());
                assertThrows(ExecutionException.class, () -> producer.flush().get(30, TimeUnit.SECONDS));
            }
        }
    }
}
