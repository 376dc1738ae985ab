package dev.diaspora.stream.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.diaspora.stream.BatchSize;
import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.ExpiredPositionPolicy;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.PartitionBounds;
import dev.diaspora.stream.PositionExpiredException;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.StartAt;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.tck.LogCapture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 13: a kafka consumer whose position lies below a partition's log start offset (retention dropped the events
 * there) follows {@code ConsumerOptions.onExpiredPosition}, logs a WARN and counts the ids in
 * {@code metrics().eventsExpired()}, as on every other driver (the rules of the TCK's R25, which cannot run on kafka:
 * the broker's retention runs on its own clock). The log start is moved deterministically with
 * {@code Admin.deleteRecords} on a real embedded broker, for group members and for consumers with targets, for a
 * stored position, a seek, and a reader that retention overtakes while it reads.
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class KafkaExpiredPositionTest {
    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final Duration SESSION = Duration.ofSeconds(1);

    @RegisterExtension
    static final BrokerExtension BROKER = new BrokerExtension(EmbeddedKafka.SHORT_GROUP_TIMEOUTS);

    private static Driver open(String kafkaOptions) {
        return Driver.open("kafka", Metadata.of("{\"bootstrap.servers\":\"" + BROKER.kafka().bootstrapServers()
                + "\",\"kafka\":{" + kafkaOptions + "}}"));
    }

    private static TopicHandle newTopic(Driver driver, String base) {
        String name = "kexp-" + COUNTER.incrementAndGet() + "-" + base;
        driver.createTopic(name, Metadata.of("{\"num_partitions\":1}"));
        return driver.openTopic(name);
    }

    /** Pushes events {@code from..to-1}, each awaited alone (one Kafka record batch each). */
    private static void push(Producer producer, int from, int to) throws Exception {
        for (int i = from; i < to; i++) {
            long id = producer.push(Metadata.of("{\"event_num\":" + i + "}"), DataView.of(new byte[] {(byte) i}))
                    .get(30, TimeUnit.SECONDS);
            assertEquals(i, id, "the id of pushed event " + i);
        }
    }

    /** Moves partition 0's log start to {@code before}, as Kafka's retention would. */
    private static void dropBefore(TopicHandle topic, long before) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", BROKER.kafka().bootstrapServers()))) {
            admin.deleteRecords(Map.of(new TopicPartition(topic.name(), 0), RecordsToDelete.beforeOffset(before)))
                    .all().get(30, TimeUnit.SECONDS);
        }
        assertEquals(before, topic.bounds(0).first(), "the log start after deleteRecords");
    }

    private static ConsumerOptions options(String name, boolean group) {
        ConsumerOptions o = ConsumerOptions.named(name).sessionTimeout(SESSION).heartbeatInterval(SESSION.dividedBy(4));
        return group ? o : o.targets(0);
    }

    private static Event next(Consumer c, String what) {
        Optional<Event> e = c.poll(WAIT);
        if (e.isEmpty()) {
            fail(what + ": no event within " + WAIT);
        }
        return e.get();
    }

    private static Throwable failure(Consumer c, String what) throws Exception {
        try {
            Event e = c.pull().get(WAIT.toSeconds(), TimeUnit.SECONDS);
            return fail(what + ": expected a failure, got event " + e.id());
        } catch (ExecutionException e) {
            return e.getCause();
        }
    }

    private static void assertWarned(LogCapture log, String what, String... parts) {
        String text = log.text();
        for (String line : text.split("\n")) {
            boolean all = line.contains("WARN");
            for (String p : parts) {
                all &= line.contains(p);
            }
            if (all) {
                return;
            }
        }
        fail(what + ": no WARN line with " + List.of(parts) + " in:\n" + text);
    }

    @ParameterizedTest(name = "group member: {0}")
    @ValueSource(booleans = {true, false})
    void storedPositionsAndSeeksBelowTheLogStartFollowThePolicy(boolean group) throws Exception {
        try (Driver driver = open("")) {
            TopicHandle topic = newTopic(driver, group ? "group" : "targets");
            try (Producer producer = topic.producer()) {
                push(producer, 0, 21);
                for (String name : List.of("e", "l", "f")) {
                    try (Consumer c = topic.consumer(options(name, group))) {
                        for (int i = 0; i < 5; i++) {
                            Event e = next(c, "consumer " + name + ", event " + i);
                            assertEquals(i, e.id());
                            e.acknowledge();
                        }
                        c.commit().get(30, TimeUnit.SECONDS);
                    }
                }
                dropBefore(topic, 20);
                assertEquals(new PartitionBounds(20, 21), topic.bounds(0));

                try (LogCapture log = new LogCapture(); Consumer e = topic.consumer(options("e", group))) {
                    assertEquals(20, next(e, "EARLIEST").id(), "EARLIEST (the default) goes on at the log start");
                    assertEquals(15, e.metrics().eventsExpired(), "ids 5..19 passed over");
                    assertWarned(log, "EARLIEST", "consumer 'e'", "partition 0, position 5", "going on at 20");
                    e.seek(0, StartAt.id(3));
                    assertEquals(20, next(e, "seek below the log start").id(), "a seek below it goes on at it");
                    assertEquals(15 + 17, e.metrics().eventsExpired(), "and counts ids 3..19");
                }
                try (Consumer l = topic.consumer(options("l", group).onExpiredPosition(ExpiredPositionPolicy.LATEST))) {
                    assertTrue(l.poll(Duration.ofMillis(500)).isEmpty(), "LATEST goes on at the end");
                    push(producer, 21, 22);
                    assertEquals(21, next(l, "LATEST").id(), "LATEST reads what comes next");
                    assertEquals(15, l.metrics().eventsExpired(), "ids 5..19 passed over");
                }
                ConsumerOptions failing = options("f", group).onExpiredPosition(ExpiredPositionPolicy.FAIL);
                try (LogCapture log = new LogCapture(); Consumer f = topic.consumer(failing)) {
                    for (int attempt = 0; attempt < 2; attempt++) {
                        PositionExpiredException x = assertInstanceOf(PositionExpiredException.class,
                                failure(f, "FAIL, pull " + attempt), "FAIL fails the pull");
                        assertEquals(0, x.partition(), "partition()");
                        assertEquals(5, x.position(), "position()");
                        assertEquals(20, x.firstRetainedId(), "firstRetainedId()");
                        assertTrue(x.getMessage().contains("partition 0") && x.getMessage().contains("position 5")
                                && x.getMessage().contains("20"), "the message names them: " + x.getMessage());
                    }
                    assertThrows(PositionExpiredException.class, () -> f.poll(Duration.ofSeconds(1)),
                            "poll throws it too");
                    assertWarned(log, "FAIL", "consumer 'f'", "partition 0, position 5", "until a seek");
                    assertEquals(15, f.metrics().eventsExpired(), "ids 5..19, counted once");
                    f.seek(0, StartAt.id(2));
                    PositionExpiredException again = assertInstanceOf(PositionExpiredException.class,
                            failure(f, "FAIL after a seek below the log start"), "a seek below it fails again");
                    assertEquals(2, again.position(), "the position sought");
                    f.seek(0, StartAt.EARLIEST);
                    assertEquals(20, next(f, "FAIL after seek(EARLIEST)").id());
                }
            }
            driver.deleteTopic(topic.name());
        }
    }

    /**
     * A reader reads ahead one event at a time (one record batch per fetch), so its fetch position is a few ids past
     * what it delivered when the log start moves to 20: the next fetch finds its offset dropped. EARLIEST delivers what
     * it had fetched, then 20..24, and counts the ids in between; FAIL delivers what it had fetched, then fails.
     */
    @ParameterizedTest
    @EnumSource(value = ExpiredPositionPolicy.class, names = {"EARLIEST", "FAIL"})
    void aReaderOvertakenByRetentionFollowsThePolicy(ExpiredPositionPolicy policy) throws Exception {
        try (Driver driver = open("\"max.partition.fetch.bytes\":1,\"fetch.max.bytes\":1")) {
            TopicHandle topic = newTopic(driver, "overtaken-" + policy);
            try (Producer producer = topic.producer()) {
                push(producer, 0, 25);
            }
            try (LogCapture log = new LogCapture(); Consumer c = topic.consumer(ConsumerOptions.named("r").targets(0)
                    .batchSize(BatchSize.of(1)).maxPrefetchBatches(1).onExpiredPosition(policy))) {
                assertEquals(0, next(c, "the first event").id());
                dropBefore(topic, 20);
                List<Long> ids = new ArrayList<>(List.of(0L));
                Throwable failed = null;
                while (ids.get(ids.size() - 1) < 24 && failed == null) {
                    try {
                        ids.add(c.pull().get(WAIT.toSeconds(), TimeUnit.SECONDS).id());
                    } catch (ExecutionException e) {
                        failed = e.getCause();
                    }
                }
                int k = 0; // the first id not fetched before the log start moved
                while (k < ids.size() && ids.get(k) == k) {
                    k++;
                }
                assertTrue(k < 20, "the reader had fetched only a few events ahead: " + ids);
                if (policy == ExpiredPositionPolicy.EARLIEST) {
                    assertEquals(List.of(20L, 21L, 22L, 23L, 24L), ids.subList(k, ids.size()),
                            "after the fetched ones, the first retained event and on: " + ids);
                    assertEquals(20 - k, c.metrics().eventsExpired(), "ids " + k + "..19 passed over");
                    assertWarned(log, "EARLIEST", "consumer 'r'", "partition 0, position " + k, "going on at 20");
                } else {
                    assertEquals(k, ids.size(), "nothing after the fetched ones: " + ids);
                    PositionExpiredException x = assertInstanceOf(PositionExpiredException.class, failed,
                            "then the pull fails");
                    assertEquals(k, x.position(), "at the position the fetch was at");
                    assertEquals(20, x.firstRetainedId());
                    assertWarned(log, "FAIL", "consumer 'r'", "partition 0, position " + k, "until a seek");
                    c.seek(0, StartAt.EARLIEST);
                    assertEquals(20, next(c, "after seek(EARLIEST)").id());
                }
            }
            driver.deleteTopic(topic.name());
        }
    }
}
