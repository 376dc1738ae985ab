package dev.diaspora.stream.tck;

import static dev.diaspora.stream.tck.Tck.md;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.PartitionSelector;
import dev.diaspora.stream.Serializer;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.TopicMismatchException;
import dev.diaspora.stream.Validator;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Rule R24 (issue 13): {@code Driver.createTopicIfAbsent} makes sure a topic exists. It creates a missing topic
 * (true), accepts one stored with the same options and components (false), refuses one stored with another
 * configuration with a {@link TopicMismatchException} naming each differing key and changing nothing, and when many
 * callers race on one name, exactly one creates it and none fails.
 */
public interface CreateIfAbsentContract extends TckFixture {
    /** R24: the first call creates the topic, the next ones (also after a reopen, if persistent) accept it. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R24_createTopicIfAbsentCreatesOnceThenAcceptsTheSameConfiguration() {
        String name = newTopicName();
        Validator energy = Validator.fromConfig(md(TopicContract.ENERGY_VALIDATOR));
        Metadata two = md("{\"num_partitions\":2}");
        assertTrue(create(driver(), name, two, energy), "R24: createTopicIfAbsent of a missing topic returns true");
        assertTrue(driver().topicExists(name), "R24: the topic exists after createTopicIfAbsent");
        assertFalse(create(driver(), name, two, energy),
                "R24: createTopicIfAbsent of an existing topic with the same configuration returns false");
        assertFalse(create(driver(), name, md("{ \"num_partitions\" : 2 }"), energy),
                "R24: the same options written differently are the same configuration");
        if (capabilities().persistent()) {
            reopenDriver();
            assertFalse(create(driver(), name, two, energy),
                    "R24: createTopicIfAbsent after reopening the driver returns false");
        }
        try (TopicHandle t = driver().openTopic(name)) {
            assertEquals(2, t.partitions().size(), "R24: partitions of the topic createTopicIfAbsent made");
            assertEquals(energy.config().json(), t.validator().config().json(), "R24: its validator");
        }
        String plain = newTopicName();
        assertTrue(driver().createTopicIfAbsent(plain), "R24: createTopicIfAbsent(name) creates");
        assertFalse(driver().createTopicIfAbsent(plain, md("{}")), "R24: ... and accepts the defaults again");
    }

    /** R24: another configuration is refused, naming each differing key; the topic is unchanged. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R24_createTopicIfAbsentRefusesAnotherConfigurationNamingTheKeys() {
        String name = newTopicName();
        Validator energy = Validator.fromConfig(md(TopicContract.ENERGY_VALIDATOR));
        driver().createTopic(name, md("{\"num_partitions\":2}"), energy, PartitionSelector.defaultSelector(),
                Serializer.defaultSerializer());
        TopicMismatchException e = assertThrows(TopicMismatchException.class,
                () -> create(driver(), name, md("{\"num_partitions\":3}"), energy),
                "R24: createTopicIfAbsent with another num_partitions");
        assertEquals(List.of("num_partitions"), e.keys(), "R24: the differing keys: " + e.getMessage());
        assertTrue(e.getMessage().contains(name) && e.getMessage().contains("num_partitions"),
                "R24: the message names the topic and the key: " + e.getMessage());
        assertEquals(name, e.topic(), "R24: TopicMismatchException.topic()");
        e = assertThrows(TopicMismatchException.class,
                () -> create(driver(), name, md("{\"num_partitions\":2}"), Validator.defaultValidator()),
                "R24: createTopicIfAbsent with another validator");
        assertEquals(List.of("validator"), e.keys(), "R24: the differing keys: " + e.getMessage());
        e = assertThrows(TopicMismatchException.class,
                () -> create(driver(), name, md("{\"num_partitions\":5}"), Validator.defaultValidator()),
                "R24: createTopicIfAbsent with another num_partitions and validator");
        assertEquals(List.of("num_partitions", "validator"), e.keys(), "R24: the differing keys: " + e.getMessage());
        if (capabilities().retention()) {
            String kept = newTopicName();
            driver().createTopic(kept, md("{\"retention.ms\":600000}"));
            e = assertThrows(TopicMismatchException.class, () -> driver().createTopicIfAbsent(kept),
                    "R24: createTopicIfAbsent without retention of a topic with retention");
            assertEquals(List.of("retention.ms"), e.keys(), "R24: an absent retention option means none: "
                    + e.getMessage());
        }
        try (TopicHandle t = driver().openTopic(name)) {
            assertEquals(2, t.partitions().size(), "R24: a refused createTopicIfAbsent must not change the topic");
            assertEquals(energy.config().json(), t.validator().config().json(), "R24: nor its validator");
        }
    }

    /**
     * R24: eight callers race on one name (each with its own driver instance when instances share topics, else on
     * the test's driver): exactly one creates the topic, none fails, and every one can open it.
     */
    @Test
    @Timeout(value = 90, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R24_racingCallersCreateTheTopicExactlyOnce() throws Exception {
        int callers = 8;
        String probe = newTopicName();
        driver().createTopic(probe);
        List<Driver> drivers = new ArrayList<>();
        try {
            Driver other = Driver.open(driver().name(), currentDriverOptions());
            drivers.add(other);
            boolean shared = other.topicExists(probe);
            for (int i = 1; i < callers; i++) {
                drivers.add(shared ? Driver.open(driver().name(), currentDriverOptions()) : driver());
            }
            if (!shared) {
                drivers.set(0, driver());
                other.close();
            }
            String name = newTopicName();
            Metadata options = md("{\"num_partitions\":3}");
            CountDownLatch start = new CountDownLatch(1);
            ExecutorService pool = Executors.newFixedThreadPool(callers);
            try {
                List<Future<Boolean>> results = new ArrayList<>();
                for (Driver d : drivers) {
                    results.add(pool.submit(() -> {
                        start.await();
                        boolean created = d.createTopicIfAbsent(name, options);
                        try (TopicHandle t = d.openTopic(name)) {
                            assertEquals(3, t.partitions().size(), "R24: partitions seen by a racing caller");
                        }
                        return created;
                    }));
                }
                start.countDown();
                int created = 0;
                for (Future<Boolean> f : results) {
                    if (await(f, "R24: a racing createTopicIfAbsent")) {
                        created++;
                    }
                }
                assertEquals(1, created, "R24: racing createTopicIfAbsent calls that returned true");
            } finally {
                pool.shutdownNow();
                assertTrue(pool.awaitTermination(30, TimeUnit.SECONDS), "R24: racing callers did not end");
            }
        } finally {
            for (Driver d : drivers) {
                if (d != driver()) {
                    d.close();
                }
            }
        }
    }

    private static boolean create(Driver d, String name, Metadata options, Validator validator) {
        return d.createTopicIfAbsent(name, options, validator, PartitionSelector.defaultSelector(),
                Serializer.defaultSerializer());
    }
}
