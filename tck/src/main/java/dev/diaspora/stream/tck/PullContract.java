package dev.diaspora.stream.tck;

import static dev.diaspora.stream.tck.Tck.md;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.EventID;
import dev.diaspora.stream.InterruptException;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.TopicHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Rules S2 and S3 (pull and poll): pending pulls served in call order, cancelled pulls and timed-out polls
 * losing no event, non-blocking {@code poll(ZERO)}, tailing pulls, interrupted polls, and the end-of-stream sentinel
 * after {@code unsubscribe()} or {@code close()}. Split from {@link ConsumerContract}; the test names are unchanged.
 */
public interface PullContract extends TckFixture {
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
}
