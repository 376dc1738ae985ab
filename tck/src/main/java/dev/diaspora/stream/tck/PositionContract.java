package dev.diaspora.stream.tck;

import static dev.diaspora.stream.tck.Tck.md;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerConflictException;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.PartitionBounds;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.StartAt;
import dev.diaspora.stream.TopicHandle;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Rules S5, S6, S7 and R9: acknowledgements and resumption, commit, start positions (earliest, latest, id, time),
 * seek and position, timestamps, partition bounds, stored positions and their reset, and consumer groups (one live
 * consumer of a name per partition). docs/differences.md: every driver persists acknowledgements, and a restarted
 * consumer resumes after its last acknowledged event.
 */
public interface PositionContract extends TckFixture {
    /** Creates a one-partition topic holding {@code n} numbered events. */
    private TopicHandle topicWithEvents(int partitions, int n) {
        TopicHandle topic = newTopic(partitions);
        try (Producer producer = topic.producer()) {
            pushNumbered(producer, n);
        }
        return topic;
    }

    /**
     * S5: a new consumer with the same name resumes exactly after the acknowledged event; {@code close()} returns
     * only after persisting, so the stored position is visible at once.
     */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_S5_newConsumerResumesAfterAcknowledgedEvent() {
        TopicHandle topic = topicWithEvents(1, 10);
        try (Consumer consumer = topic.consumer("resumer")) {
            List<Event> events = nextEvents(consumer, 5, "S5: first consumer");
            events.get(4).acknowledge();
        }
        assertEquals(Map.of(0, 5L), topic.positions("resumer"), "S5: stored position after close (next id to read)");
        try (Consumer consumer = topic.consumer("resumer")) {
            Event e = nextEvent(consumer, "S5: second consumer of the name");
            assertEquals(5, e.id(), "S5: a new consumer of the name must resume after the acknowledged event 4");
            assertEquals(5, Tck.field(e, "event_num"), "S5: metadata of the resumed event");
        }
    }

    /** S5: acknowledge is cumulative and monotonic: acknowledging 5 then 3 keeps the position at 6. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_S5_acknowledgeIsCumulativeAndMonotonic() {
        TopicHandle topic = topicWithEvents(1, 10);
        try (Consumer consumer = topic.consumer("mono")) {
            List<Event> events = nextEvents(consumer, 6, "S5");
            events.get(5).acknowledge();
            events.get(3).acknowledge();
            await(consumer.commit(), "S5: commit");
            assertEquals(Map.of(0, 6L), topic.positions("mono"), "S5: an older acknowledge must not move back");
        }
        assertEquals(Map.of(0, 6L), topic.positions("mono"), "S5: stored position after close");
        try (Consumer consumer = topic.consumer("mono")) {
            assertEquals(6, nextEvent(consumer, "S5: resume").id(), "S5: resume after the highest acknowledged event");
        }
    }

    /** S5: events that were delivered but not acknowledged are delivered again to the next consumer of the name. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_S5_unacknowledgedEventsAreRedelivered() {
        TopicHandle topic = topicWithEvents(1, 10);
        try (Consumer consumer = topic.consumer("forgetful")) {
            nextEvents(consumer, 10, "S5: first reading");
        }
        assertTrue(topic.positions("forgetful").isEmpty() || topic.positions("forgetful").equals(Map.of(0, 0L)),
                "S5: no acknowledgement, yet a position was stored: " + topic.positions("forgetful"));
        try (Consumer consumer = topic.consumer("forgetful")) {
            List<Event> again = nextEvents(consumer, 10, "S5: redelivery");
            assertEquals(0, again.get(0).id(), "S5: unacknowledged events must be redelivered from the start");
            again.get(2).acknowledge();
        }
        try (Consumer consumer = topic.consumer("forgetful")) {
            assertEquals(3, nextEvent(consumer, "S5: redelivery after acknowledging event 2").id(),
                    "S5: events after the acknowledged one must be redelivered");
        }
    }

    /** S5: an acknowledgement moves only its own partition's position. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_S5_acknowledgeAffectsOnlyItsPartition() {
        TopicHandle topic = newTopic(2);
        try (Producer producer = topic.producer()) {
            for (int i = 0; i < 3; i++) {
                producer.push(md("{\"p\":0,\"i\":" + i + "}"), DataView.EMPTY, 0);
                producer.push(md("{\"p\":1,\"i\":" + i + "}"), DataView.EMPTY, 1);
            }
            await(producer.flush(), "S5: flush");
        }
        try (Consumer consumer = topic.consumer("split")) {
            for (Event e : nextEvents(consumer, 6, "S5")) {
                if (e.partition() == 0 && e.id() == 1) {
                    e.acknowledge();
                }
            }
        }
        assertEquals(Map.of(0, 2L), topic.positions("split"), "S5: only partition 0 has a stored position");
        try (Consumer consumer = topic.consumer("split")) {
            Set<String> got = new HashSet<>();
            for (Event e : nextEvents(consumer, 4, "S5: resume")) {
                got.add(e.partition() + ":" + e.id());
            }
            assertEquals(Set.of("0:2", "1:0", "1:1", "1:2"), got, "S5: resumed events per partition");
            assertNoMoreEvents(consumer, "S5");
        }
    }

    /** S5: {@code commit()} completes once the acknowledged positions are stored, while the consumer is still open. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_S5_commitMakesAcknowledgementsDurable() {
        TopicHandle topic = topicWithEvents(1, 10);
        try (Consumer consumer = topic.consumer("committer")) {
            List<Event> events = nextEvents(consumer, 5, "S5");
            events.get(4).acknowledge();
            await(consumer.commit(), "S5: commit()");
            assertEquals(Map.of(0, 5L), topic.positions("committer"), "S5: position after commit()");
            assertTrue(topic.consumerNames().contains("committer"), "R9: consumerNames() after commit(): "
                    + topic.consumerNames());
        }
    }

    /** S5: acknowledgements are persisted in the background within about {@code ackInterval}, without commit(). */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_S5_acknowledgementsArePersistedInTheBackground() {
        TopicHandle topic = topicWithEvents(1, 10);
        try (Consumer consumer = topic.consumer(ConsumerOptions.named("background").ackInterval(Duration.ofMillis(50)))) {
            nextEvents(consumer, 5, "S5").get(4).acknowledge();
            awaitCondition(() -> Map.of(0, 5L).equals(topic.positions("background")), env().pullTimeout(),
                    () -> "S5: an acknowledgement was not persisted in the background (ackInterval 50 ms); stored: "
                            + topic.positions("background"));
        }
    }

    /** S5: different names keep independent positions. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_S5_namesHaveIndependentPositions() {
        TopicHandle topic = topicWithEvents(1, 10);
        try (Consumer consumer = topic.consumer("alpha")) {
            nextEvents(consumer, 6, "S5").get(5).acknowledge();
        }
        try (Consumer beta = topic.consumer("beta"); Consumer alpha = topic.consumer("alpha")) {
            assertEquals(0, nextEvent(beta, "S5: a new name").id(), "S5: a new name starts at EARLIEST");
            assertEquals(6, nextEvent(alpha, "S5: the acknowledged name").id(), "S5: alpha resumes");
        }
    }

    /** S5/R17: acknowledged positions survive closing and reopening a persistent driver. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void optional_S5_positionsSurviveDriverReopen() {
        assumeTrue(capabilities().persistent(),
                "the driver does not keep state across reopen (Capabilities.persistent)");
        String name;
        try (TopicHandle topic = topicWithEvents(1, 10); Consumer consumer = topic.consumer("durable")) {
            name = topic.name();
            nextEvents(consumer, 5, "S5").get(4).acknowledge();
        }
        reopenDriver();
        try (TopicHandle topic = driver().openTopic(name)) {
            assertEquals(Map.of(0, 5L), topic.positions("durable"), "S5: stored position after reopening the driver");
            assertTrue(topic.consumerNames().contains("durable"), "R9: consumerNames() after reopen");
            try (Consumer consumer = topic.consumer("durable")) {
                assertEquals(5, nextEvent(consumer, "S5: after reopen").id(), "S5: resume after reopening the driver");
            }
        }
    }

    /** S6: {@code StartAt.LATEST} reads only events stored after the consumer opened. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_S6_startAtLatestReadsOnlyNewEvents() {
        TopicHandle topic = topicWithEvents(1, 5);
        try (Consumer consumer = topic.consumer(ConsumerOptions.named("late").startAt(StartAt.LATEST));
                Producer producer = topic.producer()) {
            assertEquals(5, consumer.position(0), "S6: position(0) of a LATEST consumer");
            assertNoMoreEvents(consumer, "S6: LATEST must skip the stored events");
            await(producer.push(md("{\"event_num\":5}"), DataView.EMPTY), "S6: push");
            await(producer.push(md("{\"event_num\":6}"), DataView.EMPTY), "S6: push");
            assertEquals(5, nextEvent(consumer, "S6: LATEST").id(), "S6: first new event");
            assertEquals(6, nextEvent(consumer, "S6: LATEST").id(), "S6: second new event");
        }
    }

    /** S6: {@code StartAt.id(n)} starts at event n. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_S6_startAtIdStartsThere() {
        TopicHandle topic = topicWithEvents(1, 10);
        try (Consumer consumer = topic.consumer(ConsumerOptions.named("mid").startAt(StartAt.id(7)))) {
            assertEquals(7, nextEvent(consumer, "S6: StartAt.id(7)").id());
            assertEquals(8, nextEvent(consumer, "S6: StartAt.id(7)").id());
        }
    }

    /** S6: {@code startAt} applies only to partitions without a stored position. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_S6_startAtAppliesOnlyWithoutStoredPosition() {
        TopicHandle topic = topicWithEvents(1, 10);
        try (Consumer consumer = topic.consumer("stored")) {
            nextEvents(consumer, 4, "S6").get(3).acknowledge();
        }
        try (Consumer consumer = topic.consumer(ConsumerOptions.named("stored").startAt(StartAt.LATEST))) {
            assertEquals(4, nextEvent(consumer, "S6: a stored position wins over startAt(LATEST)").id());
        }
    }

    /**
     * S6: timestamps are storage times, non-decreasing per partition; {@code StartAt.time(t)} starts at the first event
     * stored at or after t, or the end if there is none, and {@code seek(p, time(t))} moves there.
     */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void optional_S6_startAtTimeStartsAtFirstEventStoredFromThen() {
        assumeTrue(capabilities().timeLookup(), "the driver does not support StartAt.time (Capabilities.timeLookup)");
        TopicHandle topic = newTopic(1);
        Instant t;
        try (Producer producer = topic.producer()) {
            for (int i = 0; i < 3; i++) {
                await(producer.push(md("{\"event_num\":" + i + "}"), DataView.EMPTY), "S6: push " + i);
            }
            Instant afterFirst = Instant.now();
            awaitClockPast(afterFirst.plusMillis(5));
            t = Instant.now().truncatedTo(ChronoUnit.MILLIS);
            awaitClockPast(t.plusMillis(5));
            for (int i = 3; i < 6; i++) {
                await(producer.push(md("{\"event_num\":" + i + "}"), DataView.EMPTY), "S6: push " + i);
            }
        }
        try (Consumer all = topic.consumer("all")) {
            for (Event e : nextEvents(all, 6, "S6: timestamps")) {
                assertNotNull(e.timestamp(), "S6: timestamp()");
                if (e.id() < 3) {
                    assertTrue(e.timestamp().isBefore(t), "S6: event " + e.id() + " stored before " + t
                            + " has timestamp " + e.timestamp());
                } else {
                    assertFalse(e.timestamp().isBefore(t), "S6: event " + e.id() + " stored after " + t
                            + " has timestamp " + e.timestamp());
                }
            }
            all.seek(0, StartAt.time(t));
            assertEquals(3, nextEvent(all, "S6: seek(0, time(t))").id(), "S6: seek to a time");
        }
        try (Consumer consumer = topic.consumer(ConsumerOptions.named("timed").startAt(StartAt.time(t)))) {
            assertEquals(3, nextEvent(consumer, "S6: StartAt.time(t)").id(), "S6: first event stored at or after t");
            assertEquals(4, nextEvent(consumer, "S6").id());
        }
        try (Consumer consumer = topic.consumer(ConsumerOptions.named("future")
                .startAt(StartAt.time(Instant.now().plus(Duration.ofDays(1)))));
                Producer producer = topic.producer()) {
            assertNoMoreEvents(consumer, "S6: a time after every event starts at the end");
            await(producer.push(md("{\"event_num\":6}"), DataView.EMPTY), "S6: push");
            assertEquals(6, nextEvent(consumer, "S6: after a future start time").id());
        }
    }

    private void awaitClockPast(Instant instant) {
        awaitCondition(() -> Instant.now().isAfter(instant), Duration.ofSeconds(5),
                () -> "the clock did not pass " + instant);
    }

    /** S6: event timestamps never decrease within a partition, with concurrent producers. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_S6_timestampsNonDecreasingPerPartition() throws InterruptedException {
        TopicHandle topic = newTopic(2);
        int n = env().events(100);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            threads.add(new Thread(() -> {
                try (Producer producer = topic.producer()) {
                    for (int i = 0; i < n; i++) {
                        producer.push(md("{\"i\":" + i + "}"), DataView.EMPTY);
                    }
                }
            }, "tck-pusher-" + t));
        }
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            t.join(env().pullTimeout().toMillis());
        }
        try (Consumer consumer = topic.consumer("tck")) {
            Instant[] last = new Instant[2];
            for (Event e : nextEvents(consumer, 2 * n, "S6")) {
                Instant ts = e.timestamp();
                assertNotNull(ts, "S6: timestamp()");
                Instant prev = last[e.partition()];
                assertTrue(prev == null || !ts.isBefore(prev), "S6: timestamps must not decrease within partition "
                        + e.partition() + ": " + prev + " then " + ts + " at id " + e.id());
                last[e.partition()] = ts;
            }
        }
    }

    /** S6: {@code seek(p, position)} moves the next event delivered from p; {@code position(p)} reports it. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_S6_seekMovesThePartitionPosition() {
        TopicHandle topic = topicWithEvents(1, 10);
        try (Consumer consumer = topic.consumer("seeker"); Producer producer = topic.producer()) {
            nextEvents(consumer, 3, "S6");
            assertEquals(3, consumer.position(0), "S6: position(0) after 3 events");
            consumer.seek(0, StartAt.id(7));
            assertEquals(7, consumer.position(0), "S6: position(0) after seek(0, id(7))");
            assertEquals(7, nextEvent(consumer, "S6: after seek(0, id(7))").id());
            consumer.seek(0, StartAt.EARLIEST);
            assertEquals(0, nextEvent(consumer, "S6: after seek(0, EARLIEST)").id());
            assertEquals(1, nextEvent(consumer, "S6: after seek(0, EARLIEST)").id());
            consumer.seek(0, StartAt.LATEST);
            assertEquals(10, consumer.position(0), "S6: position(0) after seek(0, LATEST)");
            assertNoMoreEvents(consumer, "S6: after seek(0, LATEST)");
            await(producer.push(md("{\"event_num\":10}"), DataView.EMPTY), "S6: push");
            assertEquals(10, nextEvent(consumer, "S6: after seek(0, LATEST) and a push").id());
        }
        assertTrue(topic.positions("seeker").isEmpty(), "S6: seek must not store a position without acknowledge: "
                + topic.positions("seeker"));
    }

    /** R9: {@code bounds(p)} gives the first and next EventID of each partition. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R9_boundsReportFirstAndNextIds() {
        TopicHandle topic = newTopic(2);
        assertEquals(new PartitionBounds(0, 0), topic.bounds(0), "R9: bounds of an empty partition");
        try (Producer producer = topic.producer()) {
            for (int i = 0; i < 5; i++) {
                producer.push(md("{\"i\":" + i + "}"), DataView.EMPTY, 0);
            }
            await(producer.flush(), "R9: flush");
        }
        assertEquals(new PartitionBounds(0, 5), topic.bounds(0), "R9: bounds(0) after 5 pushes to it");
        assertEquals(new PartitionBounds(0, 0), topic.bounds(1), "R9: bounds(1) of the untouched partition");
    }

    /** R9: {@code consumerNames()} and {@code positions(name)} report the names with stored positions. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R9_consumerNamesAndPositionsReportStoredPositions() {
        TopicHandle topic = topicWithEvents(2, 10);
        assertTrue(topic.positions("nobody").isEmpty(), "R9: positions of an unknown name must be empty");
        assertFalse(topic.consumerNames().contains("nobody"), "R9: consumerNames() lists an unknown name");
        for (String name : new String[] {"alpha", "beta"}) {
            try (Consumer consumer = topic.consumer(ConsumerOptions.named(name).targets(0))) {
                nextEvent(consumer, "R9").acknowledge();
            }
        }
        Set<String> names = topic.consumerNames();
        assertTrue(names.containsAll(Set.of("alpha", "beta")), "R9: consumerNames() " + names);
        assertEquals(Map.of(0, 1L), topic.positions("alpha"), "R9: positions(alpha)");
    }

    /** R9: {@code resetPositions(name, EARLIEST | LATEST | id)} moves a name's stored positions. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R9_resetPositionsMovesStoredPositions() {
        TopicHandle topic = topicWithEvents(1, 10);
        try (Consumer consumer = topic.consumer("reset")) {
            nextEvents(consumer, 10, "R9").get(9).acknowledge();
        }
        assertEquals(Map.of(0, 10L), topic.positions("reset"), "R9: position after acknowledging everything");
        topic.resetPositions("reset", StartAt.EARLIEST);
        assertEquals(Map.of(0, 0L), topic.positions("reset"), "R9: position after reset to EARLIEST");
        try (Consumer consumer = topic.consumer("reset")) {
            assertEquals(0, nextEvent(consumer, "R9: after reset to EARLIEST").id());
        }
        topic.resetPositions("reset", StartAt.id(4));
        assertEquals(Map.of(0, 4L), topic.positions("reset"), "R9: position after reset to id(4)");
        try (Consumer consumer = topic.consumer("reset")) {
            assertEquals(4, nextEvent(consumer, "R9: after reset to id(4)").id());
        }
        topic.resetPositions("reset", StartAt.LATEST);
        assertEquals(Map.of(0, 10L), topic.positions("reset"), "R9: position after reset to LATEST");
        try (Consumer consumer = topic.consumer("reset")) {
            assertNoMoreEvents(consumer, "R9: after reset to LATEST");
        }
    }

    /**
     * S7: two live consumers of one name on a 4-partition topic hold disjoint partitions, and every event is
     * delivered to exactly one of them.
     */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_S7_liveConsumersOfOneNameSharePartitionsDisjointly() {
        TopicHandle topic = newTopic(4);
        int perPartition = 10;
        try (Consumer first = topic.consumer("group"); Consumer second = topic.consumer("group");
                Producer producer = topic.producer()) {
            Set<Integer> a = first.assignment();
            Set<Integer> b = second.assignment();
            Set<Integer> overlap = new HashSet<>(a);
            overlap.retainAll(b);
            assertTrue(overlap.isEmpty(), "S7: partitions " + overlap + " assigned to two live consumers of one name"
                    + " (" + a + " and " + b + ")");
            for (int p = 0; p < 4; p++) {
                for (int i = 0; i < perPartition; i++) {
                    producer.push(md("{\"p\":" + p + ",\"i\":" + i + "}"), DataView.EMPTY, p);
                }
            }
            await(producer.flush(), "S7: flush");
            Set<String> seen = new HashSet<>();
            long deadline = System.nanoTime() + env().pullTimeout().toNanos() * 2;
            while (seen.size() < 4 * perPartition && System.nanoTime() - deadline < 0) {
                for (Consumer c : List.of(first, second)) {
                    c.poll(Duration.ofMillis(2)).ifPresent(e -> {
                        assertTrue(c.assignment().contains(e.partition()), "S7: " + Tck.describe(e)
                                + " delivered to a consumer not assigned its partition " + c.assignment());
                        assertTrue(seen.add(e.partition() + ":" + e.id()), "S7: " + Tck.describe(e)
                                + " delivered twice to consumers of one name");
                    });
                }
            }
            assertEquals(4 * perPartition, seen.size(), "S7: events delivered to the two consumers together");
            assertNoMoreEvents(first, "S7");
            assertNoMoreEvents(second, "S7");
        }
    }

    /**
     * S7: explicit targets that overlap a partition held by a live consumer of the name fail with
     * {@link ConsumerConflictException}; once the holder is closed (or unsubscribed) the partition can be taken.
     */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_S7_overlappingTargetsConflictUntilTheHolderLeaves() {
        TopicHandle topic = topicWithEvents(4, 8);
        Consumer holder = topic.consumer(ConsumerOptions.named("owner").targets(0, 1));
        try {
            assertThrows(ConsumerConflictException.class,
                    () -> topic.consumer(ConsumerOptions.named("owner").targets(1, 2)).close(),
                    "S7: targets overlapping a live consumer's partition 1");
            try (Consumer other = topic.consumer(ConsumerOptions.named("other-name").targets(1))) {
                assertEquals(Set.of(1), other.assignment(), "S7: another name is not in conflict");
            }
            try (Consumer disjoint = topic.consumer(ConsumerOptions.named("owner").targets(2, 3))) {
                assertEquals(Set.of(2, 3), disjoint.assignment(), "S7: disjoint targets are not in conflict");
            }
        } finally {
            holder.close();
        }
        try (Consumer taker = topic.consumer(ConsumerOptions.named("owner").targets(1))) {
            assertEquals(Set.of(1), taker.assignment(), "S7: the partition is free after its holder closed");
            Event e = nextEvent(taker, "S7: reading the taken partition");
            assertEquals(1, e.partition(), "S7: partition of the taken event");
            assertEquals(0, e.id(), "S7: the holder acknowledged nothing, so the taker starts at 0");
        }
        Consumer leaving = topic.consumer(ConsumerOptions.named("owner").targets(3));
        leaving.unsubscribe();
        try (Consumer taker = topic.consumer(ConsumerOptions.named("owner").targets(3))) {
            assertEquals(Set.of(3), taker.assignment(), "S7: unsubscribe() releases the partitions");
        } finally {
            leaving.close();
        }
    }
}
