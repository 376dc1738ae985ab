package dev.diaspora.stream.internal.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.BatchSize;
import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataSelector;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Ordering;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.ProducerOptions;
import dev.diaspora.stream.ThreadPool;
import dev.diaspora.stream.TopicHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.ConcurrentModificationException;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What the engine answers the same over every driver, moved here from the TCK: the getters of producers (R8) and
 * consumers (R14), iteration and {@code stream()} (R14), and thread confinement of {@code poll} (S17).
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ClientSurfaceTest extends EngineRuleFixture {
    /** R8: a producer reports the name, topic and options it was made with (the Python test_producer case). */
    @Test
    void producerGettersEchoOptions() {
        TopicHandle topic = newTopic(1);
        ThreadPool pool = driver().defaultThreadPool();
        ProducerOptions options = ProducerOptions.named("my_producer").batchSize(BatchSize.of(32)).maxInFlightBatches(4)
                .threadPool(pool).ordering(Ordering.STRICT);
        try (Producer producer = topic.producer(options)) {
            assertEquals("my_producer", producer.name(), "Producer.name()");
            assertEquals(topic.name(), producer.topic().name(), "Producer.topic().name()");
            assertEquals(BatchSize.of(32), producer.options().batchSize(), "options().batchSize()");
            assertEquals(4, producer.options().maxInFlightBatches(), "options().maxInFlightBatches()");
            assertEquals(Ordering.STRICT, producer.options().ordering(), "options().ordering()");
            assertSame(pool, producer.options().threadPool(), "options().threadPool()");
            List<CompletableFuture<Long>> futures = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                futures.add(producer.push(md("{\"index\":" + i + "}"), DataView.EMPTY));
            }
            await(producer.flush());
            Set<Long> ids = new HashSet<>();
            futures.forEach(f -> ids.add(await(f)));
            assertEquals(Set.of(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L), ids, "EventIDs of 10 pushes");
        }
    }

    /** R14: a consumer reports its name, topic and options; it reads every partition by default. */
    @Test
    void consumerGettersEchoOptions() {
        TopicHandle topic = newTopic(3);
        try (Consumer consumer = topic.consumer("my_consumer")) {
            assertEquals("my_consumer", consumer.name(), "Consumer.name()");
            assertEquals(topic.name(), consumer.topic().name(), "Consumer.topic().name()");
            assertNotNull(consumer.options().batchSize(), "options().batchSize()");
            assertTrue(consumer.options().maxPrefetchBatches() > 0, "options().maxPrefetchBatches() > 0");
            assertSame(DataSelector.ALL, consumer.options().dataSelector(),
                    "S13: the default data selector is DataSelector.ALL");
            assertEquals(Set.of(0, 1, 2), consumer.assignment(), "a consumer reads every partition by default");
        }
        ConsumerOptions options = ConsumerOptions.named("tuned").batchSize(BatchSize.of(16)).maxPrefetchBatches(3);
        try (Consumer consumer = topic.consumer(options)) {
            assertEquals(BatchSize.of(16), consumer.options().batchSize(), "options().batchSize()");
            assertEquals(3, consumer.options().maxPrefetchBatches(), "options().maxPrefetchBatches()");
        }
    }

    /** R14: iteration yields the events in order and ends after its idle timeout (the Python iterator case). */
    @Test
    void iteratorYieldsEventsThenEndsAfterIdleTimeout() {
        TopicHandle topic = newTopic(1);
        try (Producer producer = topic.producer()) {
            for (int i = 0; i < 10; i++) {
                await(producer.push(md("{\"index\":" + i + ",\"value\":\"event_" + i + "\"}"), DataView.EMPTY));
            }
            await(producer.flush());
        }
        Duration idle = Duration.ofMillis(500);
        try (Consumer consumer = topic.consumer("my_consumer")) {
            Iterator<Event> it = consumer.iterator(idle);
            int count = 0;
            long lastEvent = System.nanoTime();
            while (it.hasNext()) {
                Event e = it.next();
                lastEvent = System.nanoTime();
                assertEquals(count, e.id(), "iteration order");
                assertEquals("{\"index\":" + count + ",\"value\":\"event_" + count + "\"}", e.metadata().toString(),
                        "metadata of event " + count);
                e.acknowledge();
                count++;
                assertTrue(count <= 10, "iteration yielded more than the 10 events");
            }
            long ended = System.nanoTime() - lastEvent;
            assertEquals(10, count, "iteration must yield exactly the 10 events");
            assertTrue(ended >= idle.toNanos() / 2, "S3: iteration ended " + Duration.ofNanos(ended)
                    + " after the last event, before its idle timeout " + idle);
        }
    }

    /** R14: {@code stream()} gives the events in order. */
    @Test
    void streamGivesEventsInOrder() {
        TopicHandle topic = newTopic(1);
        try (Producer producer = topic.producer()) {
            pushNumbered(producer, 8);
        }
        try (Consumer consumer = topic.consumer("c")) {
            List<Long> ids = consumer.stream().limit(5).map(Event::id).collect(Collectors.toList());
            assertEquals(List.of(0L, 1L, 2L, 3L, 4L), ids, "the first 5 events of stream()");
        }
    }

    /** S17: polling while another thread is blocked in poll fails fast with ConcurrentModificationException. */
    @Test
    void concurrentPollFailsFast() throws InterruptedException {
        TopicHandle topic = newTopic(1);
        try (Consumer consumer = topic.consumer("c")) {
            AtomicReference<Object> result = new AtomicReference<>();
            Thread poller = new Thread(() -> {
                try {
                    result.set(consumer.poll(PULL_TIMEOUT.multipliedBy(3)));
                } catch (Throwable t) {
                    result.set(t);
                }
            }, "test-poller");
            poller.start();
            awaitCondition(() -> (poller.getState() == Thread.State.WAITING
                    || poller.getState() == Thread.State.TIMED_WAITING)
                    && Arrays.stream(poller.getStackTrace()).anyMatch(f -> f.getMethodName().equals("poll")),
                    "the polling thread blocked in poll");
            assertThrows(ConcurrentModificationException.class, () -> consumer.poll(Duration.ZERO),
                    "poll from a second thread while the first is blocked in poll");
            consumer.unsubscribe();
            poller.join(PULL_TIMEOUT.toMillis());
            assertFalse(poller.isAlive(), "S3: unsubscribe from another thread must end a blocked poll");
            assertTrue(result.get() instanceof Optional, "S3: the blocked poll must return after unsubscribe, got "
                    + result.get());
        }
    }
}
