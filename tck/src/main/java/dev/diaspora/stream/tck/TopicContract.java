package dev.diaspora.stream.tck;

import static dev.diaspora.stream.tck.Tck.md;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.DriverInfo;
import dev.diaspora.stream.DriverNotFoundException;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.PartitionSelector;
import dev.diaspora.stream.PartitionInfo;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.ProducerOptions;
import dev.diaspora.stream.Serializer;
import dev.diaspora.stream.ThreadPool;
import dev.diaspora.stream.TopicExistsException;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.TopicNotFoundException;
import dev.diaspora.stream.ValidationException;
import dev.diaspora.stream.Validator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Rules R1 to R7, R17 and S10: driver discovery, library threads, topic administration (create, exists, open, list,
 * delete), components stored with the topic, and state that survives reopening the driver. Ports the C++ DriverTest
 * and the Python {@code test_driver.py} / {@code test_topic_handle.py} cases. (Topic names and options: see
 * {@link BadInputContract}.)
 */
public interface TopicContract extends TckFixture {
    /** The schema validator configuration used by the component tests. */
    String ENERGY_VALIDATOR = "{\"type\":\"schema\",\"schema\":{\"required\":[\"energy\"]}}";

    /** R1: the driver is listed by {@code Driver.available()} with its documented options. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R1_driverIsListedByAvailable() {
        String name = driver().name();
        List<DriverInfo> available = Driver.available();
        DriverInfo info = available.stream().filter(i -> i.name().equals(name)).findFirst().orElse(null);
        assertNotNull(info, "R1: Driver.available() does not list '" + name + "': " + available);
        assertNotNull(info.options(), "R1: DriverInfo.options() of '" + name + "' is null");
        assertTrue(info.topicOptions().stream().anyMatch(o -> o.name().equals("num_partitions")),
                "R1: the topic options of '" + name + "' do not document num_partitions: " + info.topicOptions());
    }

    /** R1: an unknown driver name fails with a {@link DriverNotFoundException} that lists this driver. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R1_unknownDriverNameListsAvailableDrivers() {
        DriverNotFoundException e = assertThrows(DriverNotFoundException.class,
                () -> Driver.open("no-such-driver-" + newTopicName()));
        assertTrue(e.available().contains(driver().name()), "R1: DriverNotFoundException.available() should list '"
                + driver().name() + "', got " + e.available());
    }

    /** R1: the driver's default thread pool exists and {@code makeThreadPool(n)} makes a pool of n threads. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R1_driverMakesThreadPools() throws InterruptedException {
        assertNotNull(driver().defaultThreadPool(), "R1: defaultThreadPool() is null");
        ThreadPool pool = driver().makeThreadPool(1); // closed by the driver
        assertEquals(1, pool.threadCount(), "R1: makeThreadPool(1).threadCount()");
        CountDownLatch ran = new CountDownLatch(1);
        pool.pushWork(ran::countDown, 1);
        assertTrue(ran.await(env().pullTimeout().toMillis(), TimeUnit.MILLISECONDS),
                "R1: work pushed to makeThreadPool(1) did not run");
    }

    /**
     * S10: while producers, consumers and pools are active, every library thread (named {@code diaspora-*}) is a
     * daemon. (That they end when the driver closes is checked after every test.)
     */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_S10_libraryThreadsAreDaemons() {
        TopicHandle topic = newTopic(2);
        ThreadPool pool = driver().makeThreadPool(2);
        try (Producer producer = topic.producer(ProducerOptions.named("p").threadPool(pool));
                Consumer consumer = topic.consumer(ConsumerOptions.named("c"))) {
            pushNumbered(producer, 4);
            nextEvents(consumer, 4, "S10");
            for (Thread t : DriverTck.libraryThreads()) {
                assertTrue(t.isDaemon(), "S10: library thread " + t.getName() + " is not a daemon thread");
            }
        }
    }

    /** R2: topicExists is false, createTopic makes it true, openTopic gives a handle with that name. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R2_createdTopicExistsAndOpens() {
        String name = newTopicName();
        assertFalse(driver().topicExists(name), "R2: topicExists before createTopic");
        driver().createTopic(name);
        assertTrue(driver().topicExists(name), "R2: topicExists after createTopic");
        try (TopicHandle topic = driver().openTopic(name)) {
            assertEquals(name, topic.name(), "R2: TopicHandle.name()");
            List<PartitionInfo> parts = topic.partitions();
            assertEquals(1, parts.size(), "R2: a topic created with default options has 1 partition");
            assertEquals(0, parts.get(0).index(), "R2: the partition index");
            assertNotNull(parts.get(0).metadata(), "R2: PartitionInfo.metadata()");
        }
    }

    /** R2: {@code num_partitions} creates that many partitions, indexed from 0. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R2_numPartitionsCreatesThatManyPartitions() {
        TopicHandle topic = newTopic(4);
        List<PartitionInfo> parts = topic.partitions();
        assertEquals(4, parts.size(), "R2: partitions() of a topic with num_partitions 4");
        for (int i = 0; i < 4; i++) {
            assertEquals(i, parts.get(i).index(), "R2: partitions() must be in index order");
        }
    }

    /** R2: creating a topic twice fails with {@link TopicExistsException}; the first one is intact. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R2_duplicateCreateThrowsTopicExists() {
        String name = newTopicName();
        driver().createTopic(name, md("{\"num_partitions\":2}"));
        assertThrows(TopicExistsException.class, () -> driver().createTopic(name),
                "R2: second createTopic of '" + name + "'");
        assertThrows(TopicExistsException.class, () -> driver().createTopic(name, md("{\"num_partitions\":3}")),
                "R2: second createTopic of '" + name + "' with other options");
        try (TopicHandle t = driver().openTopic(name)) {
            assertEquals(2, t.partitions().size(), "R2: a failed second create must not change the topic");
        }
    }

    /** R2: opening a topic that does not exist fails with {@link TopicNotFoundException} naming it. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R2_openingMissingTopicThrowsNamingIt() {
        String name = newTopicName();
        TopicNotFoundException e = assertThrows(TopicNotFoundException.class, () -> driver().openTopic(name),
                "R2: openTopic of a missing topic");
        assertTrue(String.valueOf(e.getMessage()).contains(name),
                "R2: the TopicNotFoundException message should name the topic '" + name + "': " + e.getMessage());
        assertFalse(driver().topicExists(name), "R2: a failed open must not create the topic");
    }

    /** R2: two handles of one topic (in one driver) see the same events. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R2_twoHandlesOfOneTopicShareEvents() {
        TopicHandle first = newTopic(1);
        try (TopicHandle second = driver().openTopic(first.name());
                Producer producer = first.producer()) {
            await(producer.push(md("{\"via\":\"first\"}"), DataView.EMPTY), "push through the first handle");
            try (Consumer consumer = second.consumer("tck")) {
                Event e = nextEvent(consumer, "R2: consumer of the second handle");
                assertEquals("{\"via\":\"first\"}", e.metadata().toString(), "R2: event seen through another handle");
            }
        }
    }

    /** R2: closing a topic handle closes its producers and consumers; other handles of the topic keep working. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R2_closingAHandleClosesItsProducersAndConsumers() {
        TopicHandle other = newTopic(1);
        TopicHandle handle = driver().openTopic(other.name());
        Producer producer = handle.producer();
        Consumer consumer = handle.consumer("tck");
        handle.close();
        handle.close();
        assertThrows(IllegalStateException.class, () -> producer.push(md("{}"), DataView.EMPTY),
                "R2: push through a producer of a closed handle");
        assertThrows(IllegalStateException.class, consumer::pull, "R2: pull from a consumer of a closed handle");
        try (Producer p = other.producer(); Consumer c = other.consumer("tck")) {
            await(p.push(md("{\"still\":true}"), DataView.EMPTY), "R2: push through another handle");
            assertEquals("{\"still\":true}", nextEvent(c, "R2: another handle").metadata().toString());
        }
    }

    /**
     * R3: {@code listTopics()} holds every topic, each described by a JSON object with {@code num_partitions} and the
     * {@code validator}, {@code partition_selector} and {@code serializer} objects.
     */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R3_listTopicsDescribesEachTopic() {
        String t1 = newTopicName();
        String t2 = newTopicName();
        driver().createTopic(t1);
        driver().createTopic(t2, md("{\"num_partitions\":3}"), Validator.fromConfig(md(ENERGY_VALIDATOR)),
                PartitionSelector.defaultSelector(), Serializer.defaultSerializer());
        Map<String, Metadata> topics = driver().listTopics();
        assertTrue(topics.size() >= 2, "R3: listTopics() should hold at least the two topics: " + topics.keySet());
        assertTrue(topics.containsKey(t1) && topics.containsKey(t2),
                "R3: listTopics() lacks " + t1 + " or " + t2 + ": " + topics.keySet());
        checkDescription(t1, topics.get(t1), 1);
        checkDescription(t2, topics.get(t2), 3);
        JsonNode validator = topics.get(t2).json().get("validator");
        assertEquals(md(ENERGY_VALIDATOR).json(), validator, "R3: listTopics() validator of " + t2);
    }

    private void checkDescription(String name, Metadata description, int partitions) {
        JsonNode d = description.json();
        assertTrue(d.isObject(), "R3: description of " + name + " must be a JSON object: " + description);
        assertTrue(d.has("num_partitions") && d.get("num_partitions").canConvertToInt(),
                "R3: description of " + name + " lacks an integer num_partitions: " + description);
        assertEquals(partitions, d.get("num_partitions").intValue(), "R3: num_partitions of " + name);
        for (String component : new String[] {"validator", "partition_selector", "serializer"}) {
            assertTrue(d.has(component) && d.get(component).isObject(), "R3: description of " + name
                    + " must hold the " + component + " as a JSON object: " + description);
        }
    }

    /**
     * R6: the components given at creation are stored with the topic: a handle opened later (and, for persistent
     * drivers, after reopening the driver) has a validator with the same configuration, and applies it.
     */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R6_componentsArePersistedWithTheTopic() {
        String name = newTopicName();
        driver().createTopic(name, md("{\"num_partitions\":1}"), Validator.fromConfig(md(ENERGY_VALIDATOR)),
                PartitionSelector.defaultSelector(), Serializer.defaultSerializer());
        checkStoredValidator(name, "after createTopic");
        if (capabilities().persistent()) {
            reopenDriver();
            checkStoredValidator(name, "after reopening the driver");
        }
    }

    private void checkStoredValidator(String name, String when) {
        try (TopicHandle topic = driver().openTopic(name); Producer producer = topic.producer()) {
            assertEquals(md(ENERGY_VALIDATOR).json(), topic.validator().config().json(),
                    "R6: validator().config() " + when);
            assertNotNull(topic.selector().config(), "R6: selector().config() " + when);
            assertNotNull(topic.serializer().config(), "R6: serializer().config() " + when);
            Throwable t = awaitFailure(producer.push(md("{\"x\":1}"), DataView.EMPTY),
                    "R6: push without the required field " + when);
            assertTrue(t instanceof ValidationException, "R6: the stored validator must reject an event without"
                    + " 'energy' " + when + " with ValidationException, got " + t);
            await(producer.push(md("{\"energy\":1}"), DataView.EMPTY), "R6: valid push " + when);
        }
    }

    /** R7: a deleted topic no longer exists, cannot be opened, is not listed, and its name can be reused. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void optional_R7_deletedTopicIsGoneAndNameReusable() {
        assumeTrue(capabilities().deleteTopic(),
                "the driver declares it cannot delete topics (Capabilities.deleteTopic)");
        String name = newTopicName();
        driver().createTopic(name, md("{\"num_partitions\":2}"));
        try (TopicHandle topic = driver().openTopic(name); Producer producer = topic.producer()) {
            pushNumbered(producer, 5);
        }
        driver().deleteTopic(name);
        assertFalse(driver().topicExists(name), "R7: topicExists after deleteTopic");
        assertThrows(TopicNotFoundException.class, () -> driver().openTopic(name), "R7: openTopic after delete");
        assertFalse(driver().listTopics().containsKey(name), "R7: listTopics after delete");
        assertThrows(TopicNotFoundException.class, () -> driver().deleteTopic(name), "R7: deleting twice");
        driver().createTopic(name);
        try (TopicHandle topic = driver().openTopic(name)) {
            assertEquals(1, topic.partitions().size(), "R7: the re-created topic has its new options");
            assertEquals(0, topic.bounds(0).next(), "R7: the re-created topic must be empty");
        }
    }

    /** R17: topics, their partitions and their events survive closing and reopening a persistent driver. */
    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void optional_R17_topicsAndEventsSurviveDriverReopen() {
        assumeTrue(capabilities().persistent(),
                "the driver does not keep state across reopen (Capabilities.persistent)");
        String name;
        int n = env().events(20);
        try (TopicHandle topic = newTopic(2); Producer producer = topic.producer()) {
            name = topic.name();
            pushNumbered(producer, n);
        }
        reopenDriver();
        assertTrue(driver().topicExists(name), "R17: topicExists after reopening the driver");
        assertTrue(driver().listTopics().containsKey(name), "R17: listTopics after reopening the driver");
        try (TopicHandle topic = driver().openTopic(name); Consumer consumer = topic.consumer("tck")) {
            assertEquals(2, topic.partitions().size(), "R17: partitions after reopening the driver");
            List<Event> events = nextEvents(consumer, n, "R17: events after reopening the driver");
            boolean[] seen = new boolean[n];
            for (Event e : events) {
                int num = (int) Tck.field(e, "event_num");
                assertFalse(seen[num], "R17: event " + num + " delivered twice after reopen");
                seen[num] = true;
                assertArrayEquals(numberedData(num), e.data().toByteArray(), "R17: data of event " + num);
            }
            assertNoMoreEvents(consumer, "R17: after reading every event");
        }
    }
}
