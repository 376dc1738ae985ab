package dev.diaspora.stream.tck;

import static dev.diaspora.stream.tck.Tck.md;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataAllocator;
import dev.diaspora.stream.DataDescriptor;
import dev.diaspora.stream.DataSelector;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.ProducerOptions;
import dev.diaspora.stream.TopicHandle;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Rules R14, R15 and S1 (delivery to a consumer): explicit targets, the C++ EventConsumerTest (100 events in order,
 * with and without data), pulls in order that stay pending at the end, a custom allocator, round robin across
 * partitions. Ports the C++ ConsumerTest and EventConsumerTest and the Python {@code test_consumer.py}. The other
 * consumer rules have their own contracts: {@link PullContract} (S2, S3), {@link ReadErrorContract} (S4, R23) and
 * {@link ConsumerDataContract} (S12 to S14, S16, R12). The getters, iteration, {@code process()} (S15) and the thread
 * confinement of {@code poll} (S17) are the shared engine's alone: the api module tests them.
 */
public interface ConsumerContract extends TckFixture {
    /** R14: explicit targets limit the consumer to those partitions. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R14_targetsLimitDeliveryToThosePartitions() {
        TopicHandle topic = newTopic(4);
        try (Producer producer = topic.producer()) {
            for (int p = 0; p < 4; p++) {
                for (int i = 0; i < 2; i++) {
                    producer.push(md("{\"p\":" + p + ",\"i\":" + i + "}"), DataView.EMPTY, p);
                }
            }
            await(producer.flush(), "R14: flush");
        }
        try (Consumer consumer = topic.consumer(ConsumerOptions.named("tck").targets(3, 1))) {
            assertEquals(Set.of(1, 3), consumer.assignment(), "R14: assignment() with targets(3, 1)");
            for (Event e : nextEvents(consumer, 4, "R14: events of partitions 1 and 3")) {
                assertTrue(e.partition() == 1 || e.partition() == 3, "R14: event of an untargeted partition "
                        + Tck.describe(e));
                assertEquals(e.partition(), Tck.field(e, "p"), "R14: event stored in the wrong partition");
            }
            assertNoMoreEvents(consumer, "R14: only the targeted partitions");
        }
    }

    /**
     * R15: 100 events pushed in order come back with ids 0..99 and their {@code event_num}, metadata only, with
     * acknowledgements on every 5th; nothing follows (the C++ EventConsumerTest "Consumer without data").
     */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R15_hundredEventsInOrderWithoutData() {
        TopicHandle topic = newTopic(1);
        int n = env().events(100);
        try (Producer producer = topic.producer(ProducerOptions.named("p")
                .threadPool(driver().defaultThreadPool()))) {
            pushNumbered(producer, n);
        }
        try (Consumer consumer = topic.consumer(ConsumerOptions.named("myconsumer").dataSelector(DataSelector.NONE))) {
            for (int i = 0; i < n; i++) {
                Event e = nextEvent(consumer, "R15: event " + i);
                assertEquals(i, e.id(), "R15: id of the event with position " + i);
                assertEquals(0, e.partition(), "R15: partition");
                assertEquals(i, Tck.field(e, "event_num"), "R15: event_num of event " + i);
                assertEquals(0, e.data().size(), "R15: a NONE selector delivers no data");
                if (i % 5 == 0) {
                    e.acknowledge();
                }
            }
            for (int k = 0; k < 3; k++) {
                assertNoMoreEvents(consumer, "R15: after the " + n + " events");
            }
        }
    }

    /**
     * R15/S12: a selector that takes the data of even events and none of odd ones gives even events exactly their
     * data, in one segment, and odd events no data, without calling the allocator for them.
     */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R15_evenEventsWithDataOddWithout() {
        TopicHandle topic = newTopic(1);
        int n = env().events(100);
        try (Producer producer = topic.producer()) {
            pushNumbered(producer, n);
        }
        ConcurrentLinkedQueue<String> oddAllocations = new ConcurrentLinkedQueue<>();
        DataSelector selector = (m, d) -> m.json().get("event_num").asInt() % 2 == 0 ? d : DataDescriptor.NONE;
        DataAllocator allocator = (m, d) -> {
            if (m.json().get("event_num").asInt() % 2 != 0) {
                oddAllocations.add(m.toString());
            }
            return DataView.of(new byte[(int) d.size()]);
        };
        try (Consumer consumer = topic.consumer(ConsumerOptions.named("myconsumer").dataSelector(selector)
                .dataAllocator(allocator))) {
            for (int i = 0; i < n; i++) {
                Event e = nextEvent(consumer, "R15: event " + i);
                assertEquals(i, e.id(), "R15: id");
                assertEquals(i, Tck.field(e, "event_num"), "R15: event_num");
                if (i % 2 == 0) {
                    assertEquals(1, e.data().segmentCount(), "R15: even event " + i + " data segments");
                    assertArrayEquals(numberedData(i), e.data().toByteArray(), "R15: data of even event " + i);
                } else {
                    assertEquals(0, e.data().size(), "R15: odd event " + i + " must have no data");
                    assertEquals(0, e.data().segmentCount(), "R15: odd event " + i + " must have no segments");
                }
            }
            assertNoMoreEvents(consumer, "R15");
        }
        assertTrue(oddAllocations.isEmpty(), "S12: the allocator was called for empty selections: " + oddAllocations);
    }

    /**
     * R14: {@code pull()} futures give the events in order; a pull with nothing to read stays pending (the Python
     * pull case, where C++ returns "no event").
     */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R14_pullGivesEventsInOrderThenStaysPending() {
        TopicHandle topic = newTopic(1);
        try (Producer producer = topic.producer()) {
            for (int i = 0; i < 5; i++) {
                await(producer.push(md("{\"index\":" + i + "}"), DataView.EMPTY), "R14: push " + i);
            }
        }
        try (Consumer consumer = topic.consumer("tck")) {
            for (int i = 0; i < 5; i++) {
                Event e = await(consumer.pull(), "R14: pull " + i);
                assertEquals(i, e.id(), "R14: pull order");
                assertEquals("{\"index\":" + i + "}", e.metadata().toString(), "R14: metadata");
            }
            CompletableFuture<Event> more = consumer.pull();
            Tck.sleepMillis(env().quietPeriod().toMillis());
            assertFalse(more.isDone() && !more.join().isNoMoreEvents(),
                    "R14: a pull past the last event must stay pending");
            more.cancel(false);
        }
    }

    /** R14: a custom selector and allocator receive the data (the Python custom data broker case). */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R14_customAllocatorReceivesTheData() {
        TopicHandle topic = newTopic(1);
        try (Producer producer = topic.producer()) {
            await(producer.push(md("{\"id\":1}"), DataView.of(Tck.utf8("hello world"))), "R14: push");
        }
        AtomicReference<DataDescriptor> seen = new AtomicReference<>();
        try (Consumer consumer = topic.consumer(ConsumerOptions.named("tck").dataSelector((m, d) -> d)
                .dataAllocator((m, d) -> {
                    seen.set(d);
                    return DataView.of(ByteBuffer.allocate((int) d.size()));
                }))) {
            Event e = nextEvent(consumer, "R14");
            assertEquals("hello world", Tck.text(e.data()), "R14: data");
            assertEquals(11, seen.get().size(), "R14: the allocator receives the selected descriptor");
        }
    }

    /**
     * S1: with three partitions that all hold ready events, delivery goes round robin, one event at a time (waits
     * until the consumer has prefetched every event, as the engine's prefetch promises, so that all are ready).
     */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_S1_roundRobinAcrossPartitionsOneEventAtATime() {
        TopicHandle topic = newTopic(3);
        try (Producer producer = topic.producer()) {
            for (int p = 0; p < 3; p++) {
                for (int i = 0; i < 3; i++) {
                    producer.push(md("{\"p\":" + p + ",\"i\":" + i + "}"), DataView.EMPTY, p);
                }
            }
            await(producer.flush(), "S1: flush");
        }
        try (Consumer consumer = topic.consumer("tck")) {
            awaitCondition(() -> consumer.metrics().prefetchedEvents() >= 9, env().pullTimeout(),
                    () -> "S1: the consumer did not prefetch the 9 ready events (metrics().prefetchedEvents()"
                            + " = " + consumer.metrics().prefetchedEvents() + ")");
            List<Event> events = nextEvents(consumer, 9, "S1");
            int first = events.get(0).partition();
            for (int k = 0; k < 9; k++) {
                Event e = events.get(k);
                assertEquals((first + k) % 3, e.partition(), "S1: partitions must be served round robin, one event"
                        + " at a time; got " + Tck.describe(events));
                assertEquals(k / 3, e.id(), "S1: ids in order within each partition; got " + Tck.describe(events));
            }
        }
    }
}
