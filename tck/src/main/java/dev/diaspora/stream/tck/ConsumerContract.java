package dev.diaspora.stream.tck;

import static dev.diaspora.stream.tck.Tck.md;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.diaspora.stream.BatchSize;
import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataAllocator;
import dev.diaspora.stream.DataDescriptor;
import dev.diaspora.stream.DataSelector;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.EventID;
import dev.diaspora.stream.InterruptException;
import dev.diaspora.stream.InvalidSelectionException;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.ProducerOptions;
import dev.diaspora.stream.StartAt;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.UnreadableEventPolicy;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Rules R14, R15 and S1 to S4, S12 to S14 and S16 (the consumer side): ordered delivery, pull and poll, pending
 * pulls, the end-of-stream sentinel, read errors, allocators, defaults, verbatim metadata. Ports the C++ ConsumerTest
 * and EventConsumerTest and the Python {@code test_consumer.py}. The getters, iteration, {@code process()} (S15) and
 * the thread confinement of {@code poll} (S17) are the shared engine's alone: the api module tests them.
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
        try (Consumer consumer = topic.consumer(ConsumerOptions.named("myconsumer").dataSelector(DataSelector.NONE)
                .threadPool(driver().defaultThreadPool()))) {
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

    /** S2: several pending {@code pull()} futures are served in call order, one event each. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_S2_pendingPullsServedInCallOrder() {
        TopicHandle topic = newTopic(1);
        try (Consumer consumer = topic.consumer("tck"); Producer producer = topic.producer()) {
            List<CompletableFuture<Event>> pulls = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                pulls.add(consumer.pull());
            }
            pushNumbered(producer, 3);
            for (int i = 0; i < 3; i++) {
                assertEquals(i, await(pulls.get(i), "S2: pending pull " + i).id(), "S2: pulls are served FIFO");
            }
        }
    }

    /** S2: a cancelled pull is skipped and loses no event. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_S2_cancelledPullLosesNoEvent() {
        TopicHandle topic = newTopic(1);
        try (Consumer consumer = topic.consumer("tck"); Producer producer = topic.producer()) {
            CompletableFuture<Event> a = consumer.pull();
            assertTrue(a.cancel(false) || a.isDone(), "S2: cancel");
            CompletableFuture<Event> b = consumer.pull();
            CompletableFuture<Event> c = consumer.pull();
            b.cancel(false);
            pushNumbered(producer, 3);
            assertEquals(0, await(c, "S2: the pull after two cancelled ones").id(),
                    "S2: event 0 must go to the first pull that was not cancelled");
            assertEquals(1, nextEvent(consumer, "S2").id(), "S2: no event lost to cancelled pulls");
            assertEquals(2, nextEvent(consumer, "S2").id(), "S2: no event lost to cancelled pulls");
        }
    }

    /** S2: polls that time out while events arrive never lose an event. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_S2_timedOutPollLosesNoEvent() throws InterruptedException {
        TopicHandle topic = newTopic(1);
        int n = env().events(200);
        AtomicReference<Throwable> error = new AtomicReference<>();
        try (Consumer consumer = topic.consumer("tck"); Producer producer = topic.producer()) {
            Thread pusher = new Thread(() -> {
                try {
                    for (int i = 0; i < n; i++) {
                        await(producer.push(md("{\"event_num\":" + i + "}"), DataView.EMPTY), "push " + i);
                    }
                } catch (Throwable t) {
                    error.set(t);
                }
            }, "tck-pusher");
            pusher.start();
            long lastProgress = System.nanoTime();
            long expected = 0;
            int polls = 0;
            while (expected < n && System.nanoTime() - lastProgress < env().pullTimeout().toNanos()) {
                Optional<Event> e = consumer.poll(polls++ % 2 == 0 ? Duration.ZERO : Duration.ofMillis(1));
                if (e.isPresent()) {
                    lastProgress = System.nanoTime();
                    assertEquals(expected, e.get().id(), "S2: after " + polls + " short polls, an event was lost or"
                            + " duplicated");
                    expected++;
                }
            }
            pusher.join(env().pullTimeout().toMillis());
            assertEquals(null, error.get(), "S2: pusher failed");
            assertEquals(n, expected, "S2: events received by short polls");
            assertNoMoreEvents(consumer, "S2");
        }
    }

    /** S2: {@code poll(Duration.ZERO)} does not block: empty on an empty topic, the event once one is stored. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_S2_zeroPollIsNonBlocking() {
        TopicHandle topic = newTopic(1);
        try (Consumer consumer = topic.consumer("tck"); Producer producer = topic.producer()) {
            long start = System.nanoTime();
            Optional<Event> none = consumer.poll(Duration.ZERO);
            long took = System.nanoTime() - start;
            assertTrue(none.isEmpty(), "S2: poll(ZERO) on an empty topic must be empty");
            assertTrue(took < env().timeout(Duration.ofSeconds(1)).toNanos(),
                    "S2: poll(ZERO) must not block; it took " + Duration.ofNanos(took));
            await(producer.push(md("{}"), DataView.EMPTY), "S2: push");
            AtomicReference<Event> got = new AtomicReference<>();
            awaitCondition(() -> {
                consumer.poll(Duration.ZERO).ifPresent(got::set);
                return got.get() != null;
            }, env().pullTimeout(), () -> "S2: poll(ZERO) never returned the stored event");
            assertEquals(0, got.get().id(), "S2: id");
        }
    }

    /**
     * S2: a pull issued before the event exists completes when it arrives (tailing), within
     * {@link TckEnvironment#tailLatency()} of the push completing.
     */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_S2_pendingPullCompletesWhenEventArrives() throws Exception {
        TopicHandle topic = newTopic(1);
        try (Consumer consumer = topic.consumer("tck"); Producer producer = topic.producer()) {
            for (int i = 0; i < 3; i++) {
                CompletableFuture<Event> pull = consumer.pull();
                if (i == 0) {
                    Tck.sleepMillis(env().quietPeriod().toMillis()); // let the consumer settle into waiting
                    assertFalse(pull.isDone(), "S2: a pull on an empty topic completed");
                }
                await(producer.push(md("{\"event_num\":" + i + "}"), DataView.EMPTY), "S2: push " + i);
                Event e;
                try {
                    e = pull.get(env().tailLatency().toNanos(), TimeUnit.NANOSECONDS);
                } catch (java.util.concurrent.TimeoutException t) {
                    fail("S2: a pending pull did not complete within " + env().tailLatency()
                            + " of the push of event " + i + " completing (no tailing?)");
                    return;
                }
                assertEquals(i, e.id(), "S2: id of the tailed event");
            }
        }
    }

    /** S2: a thread interrupted while blocked in poll gets {@link InterruptException} with its flag set again. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_S2_interruptedPollThrowsInterruptException() throws InterruptedException {
        TopicHandle topic = newTopic(1);
        try (Consumer consumer = topic.consumer("tck")) {
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            AtomicBoolean flag = new AtomicBoolean();
            Thread poller = new Thread(() -> {
                try {
                    consumer.poll(env().pullTimeout().multipliedBy(3));
                } catch (Throwable t) {
                    thrown.set(t);
                    flag.set(Thread.currentThread().isInterrupted());
                }
            }, "tck-poller");
            poller.start();
            awaitInPoll(poller);
            poller.interrupt();
            poller.join(env().pullTimeout().toMillis());
            assertFalse(poller.isAlive(), "S2: an interrupted poll kept blocking");
            assertTrue(thrown.get() instanceof InterruptException, "S2: expected InterruptException, got "
                    + thrown.get());
            assertTrue(flag.get(), "S2: the interrupt flag must be set again after InterruptException");
        }
    }

    private void awaitInPoll(Thread poller) {
        awaitCondition(() -> (poller.getState() == Thread.State.WAITING
                || poller.getState() == Thread.State.TIMED_WAITING)
                && Arrays.stream(poller.getStackTrace()).anyMatch(f -> f.getMethodName().equals("poll")),
                env().pullTimeout(), () -> "the polling thread never blocked in poll: " + poller.getState());
    }

    /**
     * S3: {@code unsubscribe()} (from another thread) completes pending pulls with the sentinel, and every later pull
     * and poll too; the sentinel has id NO_MORE_EVENTS, partition -1, metadata {}, no data, and a no-op acknowledge.
     */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_S3_unsubscribeCompletesPendingPullsWithSentinel() throws InterruptedException {
        TopicHandle topic = newTopic(1);
        try (Consumer consumer = topic.consumer("tck")) {
            CompletableFuture<Event> a = consumer.pull();
            CompletableFuture<Event> b = consumer.pull();
            Thread t = new Thread(consumer::unsubscribe, "tck-unsubscriber");
            t.start();
            t.join(env().pullTimeout().toMillis());
            assertFalse(t.isAlive(), "S3: unsubscribe() did not return");
            checkSentinel(await(a, "S3: pending pull after unsubscribe"));
            checkSentinel(await(b, "S3: second pending pull after unsubscribe"));
            checkSentinel(await(consumer.pull(), "S3: pull after unsubscribe"));
            Optional<Event> polled = consumer.poll(Duration.ZERO);
            assertTrue(polled.isPresent(), "S3: poll after unsubscribe must return the sentinel");
            checkSentinel(polled.get());
            Iterator<Event> it = consumer.iterator(env().pullTimeout());
            long start = System.nanoTime();
            assertFalse(it.hasNext(), "S3: iteration after unsubscribe must end at once");
            assertTrue(System.nanoTime() - start < env().pullTimeout().toNanos() / 2,
                    "S3: iteration after unsubscribe waited for its idle timeout instead of ending on the sentinel");
        }
    }

    private void checkSentinel(Event e) {
        assertEquals(EventID.NO_MORE_EVENTS, e.id(), "S3: sentinel id");
        assertTrue(e.isNoMoreEvents(), "S3: isNoMoreEvents()");
        assertEquals(-1, e.partition(), "S3: sentinel partition");
        assertEquals("{}", e.metadata().toString().replace(" ", ""), "S3: sentinel metadata");
        assertEquals(0, e.data().size(), "S3: sentinel data");
        e.acknowledge(); // must be a no-op
    }

    /** S3/S5: after {@code close()}, pull, poll, process and acknowledge throw {@link IllegalStateException}. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_S3_callsAfterCloseThrowIllegalState() {
        TopicHandle topic = newTopic(1);
        try (Producer producer = topic.producer()) {
            pushNumbered(producer, 2);
        }
        Consumer consumer = topic.consumer("tck");
        Event e = nextEvent(consumer, "S3");
        consumer.close();
        consumer.close();
        assertThrows(IllegalStateException.class, consumer::pull, "S3: pull after close");
        assertThrows(IllegalStateException.class, () -> consumer.poll(Duration.ZERO), "S3: poll after close");
        assertThrows(IllegalStateException.class, e::acknowledge, "S5: acknowledge after close");
        assertThrows(IllegalStateException.class,
                () -> consumer.process(x -> { }, Duration.ofMillis(10), 1, null), "S3: process after close");
    }

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

    /**
     * S12: an allocator may return a larger view, or several segments; the event's data is exactly the selected
     * bytes, each segment's [position, limit) covering its part.
     */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_S12_largerOrSegmentedAllocationIsTrimmedToSelection() {
        TopicHandle topic = newTopic(1);
        try (Producer producer = topic.producer()) {
            for (int i = 0; i < 3; i++) {
                producer.push(md("{\"kind\":" + i + "}"), DataView.of(ByteBuffer.wrap(Tck.utf8(Tck.LOWER)),
                        ByteBuffer.wrap(Tck.utf8(Tck.UPPER))));
            }
            await(producer.flush(), "S12: flush");
        }
        DataAllocator allocator = (m, d) -> {
            switch (m.json().get("kind").asInt()) {
                case 0:
                    return DataView.of(ByteBuffer.allocateDirect((int) d.size() + 74));
                case 1:
                    return DataView.of(ByteBuffer.allocate(10), ByteBuffer.allocateDirect(7), ByteBuffer.allocate(0),
                            ByteBuffer.allocate(20));
                default:
                    ByteBuffer big = ByteBuffer.allocate(100);
                    big.position(30).limit(90);
                    return DataView.of(big);
            }
        };
        try (Consumer consumer = topic.consumer(ConsumerOptions.named("tck")
                .dataSelector((m, d) -> d.makeSubView(13, 26)).dataAllocator(allocator))) {
            for (int i = 0; i < 3; i++) {
                Event e = nextEvent(consumer, "S12: event " + i);
                assertEquals(26, e.data().size(), "S12: data().size() of allocation kind " + i);
                assertEquals("nopqrstuvwxyzABCDEFGHIJKLM", Tck.text(e.data()), "S12: bytes of allocation kind " + i);
                long covered = 0;
                for (ByteBuffer s : e.data().segments()) {
                    covered += s.remaining();
                }
                assertEquals(26, covered, "S12: segments' [position, limit) must cover exactly the selected bytes"
                        + " (allocation kind " + i + ")");
            }
        }
    }

    /**
     * S12: the allocator is not called when the selection is empty (no data stored, selector NONE, selector null, an
     * empty sub-view), and the event's data is empty.
     */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_S12_allocatorNotCalledForEmptySelection() {
        TopicHandle topic = newTopic(1);
        try (Producer producer = topic.producer()) {
            producer.push(md("{\"case\":\"no data\"}"), DataView.EMPTY);
            producer.push(md("{\"case\":\"none\"}"), DataView.of(new byte[10]));
            producer.push(md("{\"case\":\"null\"}"), DataView.of(new byte[10]));
            producer.push(md("{\"case\":\"empty view\"}"), DataView.of(new byte[10]));
            await(producer.flush(), "S12: flush");
        }
        ConcurrentLinkedQueue<String> calls = new ConcurrentLinkedQueue<>();
        DataSelector selector = (m, d) -> {
            switch (m.json().get("case").asText()) {
                case "none":
                    return DataDescriptor.NONE;
                case "null":
                    return null;
                case "empty view":
                    return d.makeSubView(4, 0);
                default:
                    return d;
            }
        };
        try (Consumer consumer = topic.consumer(ConsumerOptions.named("tck").dataSelector(selector)
                .dataAllocator((m, d) -> {
                    calls.add(m.toString());
                    return DataView.of(new byte[(int) d.size()]);
                }))) {
            for (Event e : nextEvents(consumer, 4, "S12")) {
                assertEquals(0, e.data().size(), "S12: data of " + e.metadata());
            }
        }
        assertTrue(calls.isEmpty(), "S12: the allocator was called for empty selections: " + calls);
    }

    /** S13: a consumer with default options receives the data (selector ALL, heap allocator). */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_S13_defaultConsumerReceivesTheData() {
        TopicHandle topic = newTopic(1);
        try (Producer producer = topic.producer()) {
            pushNumbered(producer, 3);
        }
        try (Consumer consumer = topic.consumer("tck")) {
            for (int i = 0; i < 3; i++) {
                Event e = nextEvent(consumer, "S13");
                assertArrayEquals(numberedData(i), e.data().toByteArray(), "S13: data of event " + i);
                assertFalse(e.data().isDirect(), "S13: the default allocator is heap()");
            }
        }
    }

    /**
     * S14: the metadata text comes back exactly as pushed: whitespace, escapes, unicode, number spellings; for a
     * driver without {@code Capabilities.metadataVerbatim}, the same JSON value (numbers compared as doubles).
     */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_S14_metadataTextDeliveredVerbatim() {
        List<String> texts = List.of(
                "{}",
                "{ \"b\" : 1,\n  \"a\" :\t[ 1 , 2.50 , -0.0e+0, 1E3 ] }",
                "{\"esc\":\"q\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0001\",\"uni\":\"h\\u00e9llo \\ud83d\\ude00\"}",
                "{\"raw\":\"h\u00e9llo \ud83d\ude00 \u65e5\u672c\u8a9e\"}",
                "{\"nested\":{\"deep\":[{\"x\":null},true,false,[]],\"n\":123456789012345678901234567890}}",
                "{\"event_num\":42,\"big\":\"" + "x".repeat(10_000) + "\"}");
        TopicHandle topic = newTopic(1);
        try (Producer producer = topic.producer()) {
            for (String t : texts) {
                producer.push(md(t), DataView.EMPTY);
            }
            await(producer.flush(), "S14: flush");
        }
        try (Consumer consumer = topic.consumer("tck")) {
            for (int i = 0; i < texts.size(); i++) {
                Event e = nextEvent(consumer, "S14: event " + i);
                if (capabilities().metadataVerbatim()) {
                    assertEquals(texts.get(i), e.metadata().toString(), "S14: metadata text of event " + i);
                } else {
                    assertTrue(Tck.sameJsonValue(md(texts.get(i)).json(), e.metadata().json()),
                            "S14: metadata value of event " + i + " (a driver that re-writes the text): sent "
                                    + texts.get(i) + ", received " + e.metadata());
                }
                assertTrue(e.metadata().json().isObject(), "S14: metadata of event " + i + " parses");
            }
        }
    }

    /**
     * S16: one-event reads, one batch ahead and a prefetch bound smaller than one event still deliver everything, in
     * order per partition.
     */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_S16_tinyReadsAndPrefetchBoundStillDeliverEverything() {
        TopicHandle topic = newTopic(2);
        int n = env().events(40);
        try (Producer producer = topic.producer()) {
            pushNumbered(producer, n);
        }
        try (Consumer consumer = topic.consumer(ConsumerOptions.named("tck").batchSize(BatchSize.of(1))
                .maxNumBatches(1).maxPrefetchBytes(8))) {
            long[] next = new long[2];
            for (Event e : nextEvents(consumer, n, "S16")) {
                assertEquals(next[e.partition()]++, e.id(), "S16: order within partition " + e.partition());
                assertArrayEquals(numberedData((int) Tck.field(e, "event_num")), e.data().toByteArray(), "S16: data");
            }
            assertNoMoreEvents(consumer, "S16");
        }
    }

    /**
     * S16: every view an allocator gives is either delivered in an event or handed back through
     * {@code DataAllocator.release} (prefetched events dropped by seek or close), exactly once.
     */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_S16_droppedPrefetchedAllocationsAreReleased() {
        TopicHandle topic = newTopic(1);
        try (Producer producer = topic.producer()) {
            pushNumbered(producer, 20);
        }
        Set<DataView> allocated = Collections.newSetFromMap(new IdentityHashMap<>());
        List<DataView> released = new ArrayList<>();
        DataAllocator allocator = new DataAllocator() {
            @Override
            public DataView allocate(Metadata m, DataDescriptor d) {
                DataView v = DataView.of(new byte[(int) d.size()]);
                synchronized (allocated) {
                    allocated.add(v);
                }
                return v;
            }

            @Override
            public void release(DataView view) {
                synchronized (allocated) {
                    released.add(view);
                }
            }
        };
        Set<DataView> delivered = Collections.newSetFromMap(new IdentityHashMap<>());
        try (Consumer consumer = topic.consumer(ConsumerOptions.named("tck").dataAllocator(allocator))) {
            for (Event e : nextEvents(consumer, 3, "S16")) {
                delivered.add(e.data());
            }
            consumer.seek(0, StartAt.id(10));
            for (Event e : nextEvents(consumer, 2, "S16: after seek")) {
                assertTrue(e.id() == 10 || e.id() == 11, "S16: id after seek " + e.id());
                delivered.add(e.data());
            }
        }
        synchronized (allocated) {
            Set<DataView> once = Collections.newSetFromMap(new IdentityHashMap<>());
            for (DataView v : released) {
                assertTrue(allocated.contains(v), "S16: release() of a view the allocator did not give");
                assertFalse(delivered.contains(v), "S16: release() of a view that was delivered to the application");
                assertTrue(once.add(v), "S16: a view was released twice");
            }
            for (DataView v : allocated) {
                assertTrue(delivered.contains(v) || once.contains(v), "S16: " + allocated.size()
                        + " views allocated, " + delivered.size() + " delivered, " + released.size()
                        + " released: a prefetched view was dropped without release()");
            }
        }
    }

    /** R12: an event with no data round trips with empty data, and the allocator is not called. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R12_emptyDataRoundTrips() {
        TopicHandle topic = newTopic(1);
        try (Producer producer = topic.producer()) {
            await(producer.push(md("{\"empty\":true}"), DataView.EMPTY), "R12: push of empty data");
            await(producer.push(md("{\"empty\":\"segments\"}"), DataView.of(ByteBuffer.allocate(0),
                    ByteBuffer.allocateDirect(0))), "R12: push of zero-length segments");
        }
        AtomicInteger calls = new AtomicInteger();
        try (Consumer consumer = topic.consumer(ConsumerOptions.named("tck").dataAllocator((m, d) -> {
            calls.incrementAndGet();
            return DataView.of(new byte[(int) d.size()]);
        }))) {
            for (Event e : nextEvents(consumer, 2, "R12")) {
                assertEquals(0, e.data().size(), "R12: data().size() of an event without data");
            }
        }
        assertEquals(0, calls.get(), "S12: the allocator must not be called for events without data");
    }
}
