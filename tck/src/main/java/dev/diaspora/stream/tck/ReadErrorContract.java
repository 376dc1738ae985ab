package dev.diaspora.stream.tck;

import static dev.diaspora.stream.tck.Tck.md;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataAllocator;
import dev.diaspora.stream.DataDescriptor;
import dev.diaspora.stream.DataSelector;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.EventID;
import dev.diaspora.stream.InvalidSelectionException;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.StartAt;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.UnreadableEventPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Rules S4 and R23 (read errors): an invalid selection, a throwing selector or allocator and a too small
 * allocation fail exactly their event's pull until a seek past it, the other partitions continue, and
 * {@code onUnreadableEvent(SKIP)} delivers the others and counts the poison events. Split from
 * {@link ConsumerContract}; the test names are unchanged.
 */
public interface ReadErrorContract extends TckFixture {
    /**
     * S4: a selector that returns a descriptor not derived from the one it was given fails exactly that event with
     * {@link InvalidSelectionException} (the cause of a pull's failure, thrown unwrapped by poll), and the partition
     * stays on it until {@code seek(p, id+1)}.
     */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_S4_invalidSelectionFailsThatEventUntilSeek() {
        TopicHandle topic = newTopic(1);
        try (Producer producer = topic.producer()) {
            pushNumbered(producer, 5);
        }
        DataSelector selector = (m, d) -> m.json().get("event_num").asInt() == 2
                ? DataDescriptor.of(new byte[] {9, 9, 9}, d.size() + 7) : d;
        try (Consumer consumer = topic.consumer(ConsumerOptions.named("tck").dataSelector(selector))) {
            assertEquals(0, nextEvent(consumer, "S4").id());
            assertEquals(1, nextEvent(consumer, "S4").id());
            Throwable failure = awaitFailure(consumer.pull(), "S4: pull of the event with a foreign descriptor");
            assertTrue(failure instanceof InvalidSelectionException, "S4: expected InvalidSelectionException as the"
                    + " cause, got " + failure);
            try {
                Optional<Event> again = consumer.poll(env().pullTimeout());
                fail("S4: the partition must stay on the failed event, but poll returned " + again.map(Tck::describe));
            } catch (InvalidSelectionException expected) {
                // thrown unwrapped, and again: the position stays on the event
            }
            assertEquals(2, consumer.position(0), "S4: position() stays on the failed event");
            consumer.seek(0, StartAt.id(3));
            assertEquals(3, nextEvent(consumer, "S4: after seek past the failed event").id());
            assertEquals(4, nextEvent(consumer, "S4").id());
        }
    }

    /**
     * R23: a data selector that throws on one event (a poison event) stops that partition by default
     * ({@link UnreadableEventPolicy#FAIL}): every pull fails with an error naming the partition, the EventID and the
     * ways past it, until {@code seek(p, id+1)}, after which the events that follow are delivered.
     */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R23_throwingSelectorStopsItsPartitionNamingPartitionAndIdUntilSeek() {
        TopicHandle topic = newTopic(1);
        try (Producer producer = topic.producer()) {
            pushNumbered(producer, 5);
        }
        DataSelector selector = (m, d) -> {
            if (m.json().get("event_num").asInt() == 2) {
                return d.makeUnstructuredView(new DataDescriptor.Range(0, d.size() + 1)); // throws: out of bounds
            }
            return d;
        };
        try (Consumer consumer = topic.consumer(ConsumerOptions.named("tck").dataSelector(selector))) {
            assertEquals(0, nextEvent(consumer, "R23").id());
            assertEquals(1, nextEvent(consumer, "R23").id());
            for (int i = 0; i < 2; i++) {
                try {
                    Optional<Event> e = consumer.poll(env().pullTimeout());
                    fail("R23: the poison event must fail the poll, got " + e.map(Tck::describe));
                } catch (DiasporaException expected) {
                    String m = String.valueOf(expected.getMessage());
                    assertTrue(m.contains("partition 0") && m.contains("event 2"),
                            "R23: the error must name the partition and the EventID: " + m);
                    assertTrue(m.contains("seek(0, StartAt.id(3))") && m.contains("SKIP"),
                            "R23: the error must say how to go past the event: " + m);
                }
            }
            consumer.seek(0, StartAt.id(3));
            assertEquals(3, nextEvent(consumer, "R23: after seek past the poison event").id());
            assertEquals(4, nextEvent(consumer, "R23").id());
        }
    }

    /**
     * R23: with {@link UnreadableEventPolicy#SKIP}, events whose selector or allocator throws are skipped: every
     * other event is delivered in order, {@code metrics().eventsSkipped()} counts the skipped ones, {@code position}
     * moves past them, and once the events around them are acknowledged a consumer of the same name that starts again
     * does not meet them.
     */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R23_skipPolicyDeliversTheOthersAndCountsThePoisonEvents() {
        TopicHandle topic = newTopic(2);
        try (Producer producer = topic.producer()) {
            for (int i = 0; i < 4; i++) {
                producer.push(md("{\"p\":0,\"i\":" + i + "}"), DataView.of(new byte[] {1, 2, 3}), 0);
                producer.push(md("{\"p\":1,\"i\":" + i + "}"), DataView.of(new byte[] {4, 5, 6}), 1);
            }
            await(producer.flush(), "R23: flush");
        }
        DataSelector selector = (m, d) -> {
            if (m.json().get("p").asInt() == 0 && m.json().get("i").asInt() == 1) {
                throw new IllegalStateException("R23: a selector bug on partition 0, event 1");
            }
            return d;
        };
        DataAllocator allocator = (m, d) -> {
            if (m.json().get("p").asInt() == 1 && m.json().get("i").asInt() == 3) {
                throw new IllegalStateException("R23: an allocator bug on partition 1, event 3");
            }
            return DataView.of(new byte[(int) d.size()]);
        };
        ConsumerOptions options = ConsumerOptions.named("tck").dataSelector(selector).dataAllocator(allocator)
                .onUnreadableEvent(UnreadableEventPolicy.SKIP);
        try (Consumer consumer = topic.consumer(options)) {
            List<String> got = new ArrayList<>();
            for (int k = 0; k < 6; k++) {
                Event e = nextEvent(consumer, "R23: SKIP (received so far: " + got + ")");
                got.add(e.partition() + ":" + e.id());
                assertEquals(3, e.data().size(), "R23: the delivered events keep their data");
                e.acknowledge();
            }
            List<String> p0 = got.stream().filter(x -> x.startsWith("0:")).collect(Collectors.toList());
            List<String> p1 = got.stream().filter(x -> x.startsWith("1:")).collect(Collectors.toList());
            assertEquals(List.of("0:0", "0:2", "0:3"), p0, "R23: partition 0 without its poison event 1");
            assertEquals(List.of("1:0", "1:1", "1:2"), p1, "R23: partition 1 without its poison event 3");
            assertNoMoreEvents(consumer, "R23: SKIP");
            assertEquals(2, consumer.metrics().eventsSkipped(), "R23: metrics().eventsSkipped()");
            assertEquals(4, consumer.position(1), "R23: position() moves past a skipped last event");
            await(consumer.commit(), "R23: commit");
        }
        try (Consumer again = topic.consumer(options)) {
            assertNoMoreEvents(again, "R23: a consumer of the name that starts again must not meet the skipped events");
            assertEquals(0, again.metrics().eventsSkipped(), "R23: nothing skipped again after the restart");
        }
    }

    /** S4: while one partition is stuck on a failed event, the other partitions continue. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_S4_otherPartitionsContinuePastAFailedEvent() {
        TopicHandle topic = newTopic(2);
        try (Producer producer = topic.producer()) {
            for (int i = 0; i < 3; i++) {
                producer.push(md("{\"p\":0,\"i\":" + i + "}"), DataView.of(new byte[] {1}), 0);
                producer.push(md("{\"p\":1,\"i\":" + i + "}"), DataView.of(new byte[] {1}), 1);
            }
            await(producer.flush(), "S4: flush");
        }
        DataSelector selector = (m, d) -> m.json().get("p").asInt() == 0 && m.json().get("i").asInt() == 1
                ? DataDescriptor.of(new byte[] {7}, 1) : d;
        try (Consumer consumer = topic.consumer(ConsumerOptions.named("tck").dataSelector(selector))) {
            List<Event> p0 = new ArrayList<>();
            List<Event> p1 = new ArrayList<>();
            int failures = 0;
            long deadline = System.nanoTime() + env().pullTimeout().toNanos();
            while ((p1.size() < 3 || p0.isEmpty() || failures == 0) && System.nanoTime() - deadline < 0) {
                try {
                    consumer.poll(env().quietPeriod()).ifPresent(e -> (e.partition() == 0 ? p0 : p1).add(e));
                } catch (InvalidSelectionException e) {
                    failures++;
                }
            }
            assertEquals(3, p1.size(), "S4: partition 1 must deliver its 3 events while partition 0 is stuck");
            assertTrue(failures > 0, "S4: the failed event of partition 0 was never reported");
            assertEquals(1, p0.size(), "S4: partition 0 must deliver event 0 and then stay on the failed event 1: "
                    + Tck.describe(p0));
            consumer.seek(0, StartAt.id(2));
            Event e = nextEvent(consumer, "S4: after seek");
            assertEquals(0, e.partition(), "S4: partition after seek");
            assertEquals(2, e.id(), "S4: id after seek");
        }
    }

    /** S4: an allocator that returns less room than selected fails that event's pull with a DiasporaException. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_S4_tooSmallAllocationFailsThatPull() {
        TopicHandle topic = newTopic(1);
        try (Producer producer = topic.producer()) {
            pushNumbered(producer, 3);
        }
        DataAllocator allocator = (m, d) -> DataView.of(new byte[(int) d.size()
                - (m.json().get("event_num").asInt() == 1 ? 1 : 0)]);
        try (Consumer consumer = topic.consumer(ConsumerOptions.named("tck").dataAllocator(allocator))) {
            assertEquals(0, nextEvent(consumer, "S4").id());
            try {
                Optional<Event> e = consumer.poll(env().pullTimeout());
                fail("S4: an allocation one byte too small must fail the pull, got " + e.map(Tck::describe));
            } catch (DiasporaException expected) {
                // the specific read error, unwrapped
            }
            consumer.seek(0, StartAt.id(2));
            Event e = nextEvent(consumer, "S4: after seek");
            assertEquals(2, e.id(), "S4: id after seek");
            assertArrayEquals(numberedData(2), e.data().toByteArray(), "S4: data after seek");
        }
    }
}
