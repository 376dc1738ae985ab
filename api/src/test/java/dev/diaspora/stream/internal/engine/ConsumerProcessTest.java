package dev.diaspora.stream.internal.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.StopEventProcessor;
import dev.diaspora.stream.ThreadPool;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.spi.Clock;
import dev.diaspora.stream.spi.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Rule S15 ({@code Consumer.process}): maxEvents, {@link StopEventProcessor} inline and on a pool, the idle timeout,
 * a processor's exception, partition order on a pool, the end on unsubscribe. The engine runs {@code process()} the
 * same way over every driver, so these tests moved here from the TCK's {@code ConsumerContract}.
 *
 * <p>The consumers run on a {@link ManualClock} that stands still unless a test moves it: an idle timeout never passes
 * by itself, so a {@code process()} that returns was ended by what the test did (a stop, an exception, maxEvents, an
 * unsubscribe), never by the timeout, and the idle timeout is tested by moving the clock instead of waiting for it.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ConsumerProcessTest extends EngineRuleFixture {
    private final ManualClock clock = new ManualClock();

    @Override
    Clock clock() {
        return clock;
    }
    @Test
    void processStopsAtMaxEventsAndTheNextEventIsStillThere() {
        TopicHandle topic = newTopic(1);
        try (Producer producer = topic.producer()) {
            pushNumbered(producer, 20);
        }
        try (Consumer consumer = topic.consumer("c")) {
            List<Long> ids = new ArrayList<>();
            long n = consumer.process(e -> ids.add(e.id()), PULL_TIMEOUT, 5, null);
            assertEquals(5, n, "process() with maxEvents 5");
            assertEquals(List.of(0L, 1L, 2L, 3L, 4L), ids, "the events processed");
            assertEquals(5, nextEvent(consumer, "the event after maxEvents must not be lost").id());
        }
    }

    @Test
    void stopEventProcessorEndsProcessingInline() {
        TopicHandle topic = newTopic(1);
        try (Producer producer = topic.producer()) {
            pushNumbered(producer, 10);
        }
        try (Consumer consumer = topic.consumer("c"); ThreadPool inline = ThreadPool.inline()) {
            List<Long> ids = new ArrayList<>();
            // the clock stands still: process() cannot end on its idle timeout, only on the stop
            long n = consumer.process(e -> {
                ids.add(e.id());
                if (e.id() == 3) {
                    throw new StopEventProcessor();
                }
            }, PULL_TIMEOUT, 1000, inline);
            assertEquals(List.of(0L, 1L, 2L, 3L), ids, "events processed until the stop");
            assertTrue(n == 3 || n == 4, "process() must return the number processed (3 or 4), got " + n);
        }
    }

    /**
     * On a 2-thread pool, also when process() has already handed out every event and waits for more (the processor
     * throws once the consumer has delivered all of them, or after a short wait if it hands them out in steps).
     */
    @Test
    void stopEventProcessorEndsProcessingOnPool() {
        TopicHandle topic = newTopic(4);
        int n = 100;
        try (Producer producer = topic.producer()) {
            pushNumbered(producer, n);
        }
        AtomicInteger processed = new AtomicInteger();
        int stopAt = n / 10;
        try (ThreadPool pool = driver().makeThreadPool(2); Consumer consumer = topic.consumer("c")) {
            // the clock stands still: process() cannot end on its idle timeout, only on the stop
            long count = consumer.process(e -> {
                if (processed.incrementAndGet() == stopAt) {
                    long until = System.nanoTime() + Duration.ofSeconds(1).toNanos();
                    while (consumer.metrics().eventsDelivered() < n && System.nanoTime() - until < 0) {
                        Thread.yield();
                    }
                    throw new StopEventProcessor();
                }
            }, PULL_TIMEOUT, Long.MAX_VALUE, pool);
            assertTrue(count >= stopAt - 1 && count < n, "process() returned " + count + " after a stop at "
                    + stopAt + " of " + n);
        }
    }

    @Test
    void processReturnsAfterItsIdleTimeoutWhenNoEventArrives() {
        TopicHandle topic = newTopic(1);
        try (Producer producer = topic.producer()) {
            pushNumbered(producer, 3);
        }
        Duration idle = Duration.ofHours(1); // on the consumer's clock, which the test moves
        try (Consumer consumer = topic.consumer("c")) {
            AtomicInteger seen = new AtomicInteger();
            AtomicLong movedAt = new AtomicLong();
            Thread mover = new Thread(() -> {
                awaitCondition(() -> seen.get() >= 3, "3 events processed");
                movedAt.set(clock.nanoTime());
                clock.advance(idle); // the last event was taken before it was processed: now idle for the timeout
            }, "test-clock-mover");
            mover.setDaemon(true);
            long start = clock.nanoTime();
            mover.start();
            long n = consumer.process(e -> seen.incrementAndGet(), idle, 1000, null);
            assertEquals(3, n, "events processed before the idle timeout");
            assertTrue(movedAt.get() != 0 && clock.nanoTime() - start >= idle.toNanos(),
                    "process() returned before its idle timeout had passed on the consumer's clock");
        }
    }

    @Test
    void processOnAPoolReturnsAfterItsIdleTimeoutOnTheConsumersClock() {
        TopicHandle topic = newTopic(2);
        try (Producer producer = topic.producer()) {
            pushNumbered(producer, 4);
        }
        Duration idle = Duration.ofHours(1);
        try (ThreadPool pool = driver().makeThreadPool(2); Consumer consumer = topic.consumer("c")) {
            AtomicInteger seen = new AtomicInteger();
            Thread mover = new Thread(() -> {
                awaitCondition(() -> seen.get() >= 4, "4 events processed");
                clock.advance(idle);
            }, "test-clock-mover");
            mover.setDaemon(true);
            long start = clock.nanoTime();
            mover.start();
            long n = consumer.process(e -> seen.incrementAndGet(), idle, 1000, pool);
            assertEquals(4, n, "events processed before the idle timeout");
            assertTrue(clock.nanoTime() - start >= idle.toNanos(),
                    "process() on a pool returned before its idle timeout had passed on the consumer's clock");
        }
    }

    @Test
    void aProcessorExceptionStopsProcessingAndIsRethrown() {
        TopicHandle topic = newTopic(1);
        try (Producer producer = topic.producer()) {
            pushNumbered(producer, 5);
        }
        IllegalStateException boom = new IllegalStateException("boom");
        try (Consumer consumer = topic.consumer("c")) {
            List<Long> ids = new ArrayList<>();
            RuntimeException thrown = assertThrows(RuntimeException.class, () -> consumer.process(e -> {
                ids.add(e.id());
                if (e.id() == 2) {
                    throw boom;
                }
            }, PULL_TIMEOUT, 1000, null));
            assertTrue(chainHolds(thrown, boom), "process() must rethrow the processor's exception, got " + thrown);
            assertEquals(List.of(0L, 1L, 2L), ids, "processing stops at the exception");
        }
    }

    private static boolean chainHolds(Throwable t, Throwable wanted) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c == wanted) {
                return true;
            }
        }
        return false;
    }

    @Test
    void onAPoolTheEventsOfOnePartitionAreProcessedOneAtATimeInIdOrder() {
        TopicHandle topic = newTopic(4);
        int n = 100;
        try (Producer producer = topic.producer()) {
            pushNumbered(producer, n);
        }
        AtomicBoolean[] busy = new AtomicBoolean[4];
        long[] next = new long[4];
        ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
        for (int p = 0; p < 4; p++) {
            busy[p] = new AtomicBoolean();
        }
        try (ThreadPool pool = driver().makeThreadPool(2); Consumer consumer = topic.consumer("c")) {
            long count = consumer.process(e -> {
                int p = e.partition();
                if (!busy[p].compareAndSet(false, true)) {
                    problems.add("two events of partition " + p + " processed at once");
                }
                synchronized (next) {
                    if (next[p] != e.id()) {
                        problems.add("partition " + p + ": expected id " + next[p] + ", got " + e.id());
                    }
                    next[p] = e.id() + 1;
                }
                Thread.yield();
                busy[p].set(false);
            }, PULL_TIMEOUT, n, pool);
            assertEquals(n, count, "events processed with maxEvents " + n);
            assertTrue(problems.isEmpty(), problems.toString());
        }
    }

    /** S15/S3: the sentinel NO_MORE_EVENTS ends process(). */
    @Test
    void processEndsWhenAnotherThreadUnsubscribes() {
        TopicHandle topic = newTopic(1);
        try (Producer producer = topic.producer()) {
            pushNumbered(producer, 3);
        }
        try (Consumer consumer = topic.consumer("c")) {
            AtomicInteger seen = new AtomicInteger();
            Thread stopper = new Thread(() -> {
                awaitCondition(() -> seen.get() >= 3, "3 events processed");
                consumer.unsubscribe();
            }, "test-unsubscriber");
            stopper.setDaemon(true);
            stopper.start();
            // the clock stands still: process() cannot end on its idle timeout, only on NO_MORE_EVENTS
            long n = consumer.process(e -> seen.incrementAndGet(), PULL_TIMEOUT.multipliedBy(3), 1000, null);
            assertEquals(3, n, "events processed");
        }
    }

    @Test
    void theProcessorRunsOnTheCallersThreadWithoutAPool() {
        TopicHandle topic = newTopic(1);
        try (Producer producer = topic.producer()) {
            pushNumbered(producer, 2);
        }
        Thread caller = Thread.currentThread();
        List<Thread> threads = new ArrayList<>();
        try (Consumer consumer = topic.consumer("c")) {
            assertEquals(2, consumer.process(e -> threads.add(Thread.currentThread()), PULL_TIMEOUT, 2, null));
        }
        threads.forEach(t -> assertSame(caller, t, "process(..., null) runs the processor on the caller's thread"));
    }
}
