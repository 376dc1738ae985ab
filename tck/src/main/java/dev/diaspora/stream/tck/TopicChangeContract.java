package dev.diaspora.stream.tck;

import static dev.diaspora.stream.tck.Tck.md;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.InvalidOptionException;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.StartAt;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.spi.Retention;
import dev.diaspora.stream.spi.StorageClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Rule R26 (issue 13): topics change after creation. {@code Driver.addPartitions} grows a topic (never shrinks it:
 * a smaller or equal count is refused), and producers and consumers that are open see the new partitions without
 * reopening: the producer's partition selector gets the new count, a consumer of all partitions reads the new ones
 * from their first event, a consumer group spreads them over its members. {@code Driver.alterTopic} changes the
 * options the driver lists in {@code Capabilities.alterableOptions()} (retention takes effect on stored events) and
 * refuses the others, naming them and the ones that may change. A driver that cannot do either says so with an
 * {@link UnsupportedOperationException} naming the driver and the capability, never silently.
 */
public interface TopicChangeContract extends RetentionContract {
    private void needAddPartitions() {
        assumeTrue(capabilities().addPartitions(), "the driver cannot add partitions (Capabilities.addPartitions)");
    }

    private Set<Integer> partitionsOf(List<Event> events) {
        Set<Integer> ps = new TreeSet<>();
        for (Event e : events) {
            ps.add(e.partition());
        }
        return ps;
    }

    /**
     * R26: after addPartitions, an open handle lists the new partitions, an open producer's selector spreads events
     * over them, an explicit push to a new partition is stored there, and an open consumer of all partitions reads
     * every event of the old and the new partitions.
     */
    @Test
    @Timeout(value = 90, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void optional_R26_openProducersAndConsumersSeeAddedPartitions() {
        needAddPartitions();
        TopicHandle topic = newTopic(1);
        try (Producer producer = topic.producer();
                Consumer consumer = topic.consumer(ConsumerOptions.named("all"))) {
            pushNumbered(producer, 4);
            List<Event> before = nextEvents(consumer, 4, "R26: the events before addPartitions");
            driver().addPartitions(topic.name(), 3);
            awaitCondition(() -> topic.partitions().size() == 3, env().pullTimeout(),
                    () -> "R26: an open handle should list 3 partitions after addPartitions(3), lists "
                            + topic.partitions().size());
            long explicit = await(producer.push(md("{\"event_num\":100}"), DataView.of(numberedData(100)), 2),
                    "R26: push to new partition 2");
            assertEquals(0, explicit, "R26: the first event of a new partition has id 0");
            int n = 30;
            List<CompletableFuture<Long>> ids = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                ids.add(producer.push(md("{\"event_num\":" + (200 + i) + "}"), DataView.of(numberedData(i))));
            }
            await(producer.flush(), "flush");
            for (CompletableFuture<Long> f : ids) {
                await(f, "push");
            }
            List<Event> after = nextEvents(consumer, n + 1, "R26: the events pushed after addPartitions");
            Set<Integer> ps = partitionsOf(after);
            assertTrue(ps.contains(1) && ps.contains(2), "R26: the open producer's selector should use the new"
                    + " partitions 1 and 2, and the open consumer read them; the consumer got events of " + ps);
            Set<Long> nums = new HashSet<>();
            for (Event e : after) {
                nums.add(e.metadata().json().get("event_num").asLong());
            }
            assertTrue(nums.contains(100L), "R26: the event pushed to partition 2 reaches the open consumer");
            assertEquals(n + 1, nums.size(), "R26: every event pushed after addPartitions arrives once: " + nums);
            assertEquals(Set.of(0), partitionsOf(before), "R26: the events before the change");
            assertNoMoreEvents(consumer, "R26: nothing else");
        }
        try (TopicHandle again = driver().openTopic(topic.name())) {
            assertEquals(3, again.partitions().size(), "R26: a handle opened after addPartitions");
            assertEquals(3, driver().listTopics().get(topic.name()).json().get("num_partitions").asInt(),
                    "R26: listTopics reports the new num_partitions");
        }
    }

    /** R26: a consumer opened at LATEST still reads a new partition from its first event. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void optional_R26_latestConsumerReadsAddedPartitionsFromTheirStart() {
        needAddPartitions();
        TopicHandle topic = newTopic(1);
        try (Producer producer = topic.producer();
                Consumer consumer = topic.consumer(ConsumerOptions.named("tail").startAt(StartAt.LATEST))) {
            driver().addPartitions(topic.name(), 2);
            awaitCondition(() -> topic.partitions().size() == 2, env().pullTimeout(),
                    () -> "R26: the handle should list 2 partitions");
            await(producer.push(md("{\"event_num\":7}"), DataView.of(numberedData(7)), 1), "push to partition 1");
            Event e = nextEvent(consumer, "R26: the first event of the new partition");
            assertEquals(1, e.partition(), "R26: the event's partition");
            assertEquals(0, e.id(), "R26: read from the first event of the new partition, whatever startAt says");
        }
    }

    /** R26: a consumer group spreads added partitions over its members. */
    @Test
    @Timeout(value = 90, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void optional_R26_consumerGroupRebalancesOverAddedPartitions() {
        needAddPartitions();
        assumeTrue(capabilities().consumerGroups(), "the driver declares no consumer groups");
        TopicHandle topic = newTopic(2);
        try (Consumer a = topic.consumer(ConsumerOptions.named("grp"));
                Consumer b = topic.consumer(ConsumerOptions.named("grp"))) {
            awaitCondition(() -> a.assignment().size() == 1 && b.assignment().size() == 1, env().pullTimeout(),
                    () -> "R26: two members should hold one partition each, hold " + a.assignment() + " and "
                            + b.assignment());
            driver().addPartitions(topic.name(), 4);
            awaitCondition(() -> {
                Set<Integer> all = new TreeSet<>(a.assignment());
                all.addAll(b.assignment());
                return all.equals(Set.of(0, 1, 2, 3)) && a.assignment().size() == 2 && b.assignment().size() == 2;
            }, env().pullTimeout().plus(Duration.ofSeconds(10)), () -> "R26: after addPartitions(4) the two members"
                    + " should hold two partitions each, hold " + a.assignment() + " and " + b.assignment());
        }
    }

    /** R26: addPartitions refuses a count that is not larger, and a driver without the capability says so. */
    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R26_addPartitionsOnlyGrowsOrSaysItCannot() {
        TopicHandle topic = newTopic(2);
        if (!capabilities().addPartitions()) {
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                    () -> driver().addPartitions(topic.name(), 3), "R26: a driver that cannot add partitions");
            assertTrue(e.getMessage().contains(driver().name()) && e.getMessage().contains("addPartitions"),
                    "R26: the error names the driver and the capability: " + e.getMessage());
            return;
        }
        for (int bad : new int[] {2, 1}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> driver().addPartitions(topic.name(), bad), "R26: addPartitions(" + bad + ") on 2");
            assertTrue(e.getMessage().contains(topic.name()) && e.getMessage().contains("2"),
                    "R26: the error names the topic and its count: " + e.getMessage());
        }
        assertEquals(2, topic.partitions().size(), "R26: a refused addPartitions changes nothing");
    }

    /**
     * R26: alterTopic refuses options fixed at creation (naming them and the ones that may change) and changes
     * nothing; a driver that cannot change options says so.
     */
    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R26_alterTopicRefusesOptionsFixedAtCreation() {
        TopicHandle topic = newTopic(2);
        if (capabilities().alterableOptions().isEmpty()) {
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                    () -> driver().alterTopic(topic.name(), md("{\"retention.ms\":1000}")),
                    "R26: a driver that cannot change topic options");
            assertTrue(e.getMessage().contains(driver().name()) && e.getMessage().contains("alterableOptions"),
                    "R26: the error names the driver and the capability: " + e.getMessage());
            return;
        }
        String mutable = capabilities().alterableOptions().iterator().next();
        InvalidOptionException e = assertThrows(InvalidOptionException.class,
                () -> driver().alterTopic(topic.name(), md("{\"num_partitions\":5}")),
                "R26: num_partitions is not changed by alterTopic");
        assertTrue(e.getMessage().contains("num_partitions") && e.getMessage().contains(mutable),
                "R26: the error names the fixed option and those that may change: " + e.getMessage());
        assertThrows(InvalidOptionException.class,
                () -> driver().alterTopic(topic.name(), md("{\"no.such.option\":1}")), "R26: an unknown option");
        assertEquals(2, driver().listTopics().get(topic.name()).json().get("num_partitions").asInt(),
                "R26: a refused alterTopic changes nothing");
    }

    /**
     * R26: lowering retention.ms with alterTopic drops the events older than the new limit, and listTopics reports
     * the new value.
     */
    @Test
    @Timeout(value = 90, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void optional_R26_alterTopicRetentionTakesEffect() {
        assumeTrue(capabilities().retention()
                && capabilities().alterableOptions().contains(Retention.RETENTION_MS),
                "the driver cannot change retention.ms (Capabilities.retention, alterableOptions)");
        String name = newTopicName();
        driver().createTopic(name, md("{\"num_partitions\":1" + retentionTopicOptions() + "}"));
        try {
            TopicHandle topic = driver().openTopic(name);
            try (Producer producer = topic.producer()) {
                pushNumbered(producer, 20);
                StorageClock.advance(Duration.ofMinutes(20));
                await(producer.push(md("{\"event_num\":20}"), DataView.of(numberedData(20))), "push");
                assertEquals(0, topic.bounds(0).first(), "R26: no retention yet: everything is kept");
                driver().alterTopic(name, md("{\"retention.ms\":600000}"));
                Metadata listed = driver().listTopics().get(name);
                assertEquals(600000L, listed.json().path(Retention.RETENTION_MS).asLong(-1),
                        "R26: listTopics must report the changed option " + Retention.RETENTION_MS + ": " + listed);
                await(producer.push(md("{\"event_num\":21}"), DataView.of(numberedData(21))), "push");
            }
            awaitCondition(() -> topic.bounds(0).first() >= 20, env().pullTimeout(),
                    () -> "R26: events 20 minutes old after retention.ms became 10 minutes should be dropped; bounds "
                            + topic.bounds(0));
        } finally {
            StorageClock.reset();
        }
    }
}
