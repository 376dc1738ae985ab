package dev.diaspora.stream.tck;

import static dev.diaspora.stream.tck.Tck.md;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Ordering;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.ProducerOptions;
import dev.diaspora.stream.TopicHandle;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Rules R16 and S11 under concurrency: producers and consumers running at once, several producers (threads, handles)
 * on one topic, several consumer names. Ports the C++ ConcurrentProducerConsumerTest (three sections) and the Python
 * {@code test_concurrent_producer_consumer.py}, and adds exactly-once and ordering checks.
 */
public interface ConcurrencyContract extends TckFixture {
    /** Runs {@code body(thread index)} on {@code n} threads at once and waits for them; rethrows the first failure. */
    private void runThreads(int n, String name, ThrowingIntConsumer body) throws InterruptedException {
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < n; t++) {
            int index = t;
            Thread thread = new Thread(() -> {
                try {
                    start.await();
                    body.accept(index);
                } catch (Throwable e) {
                    errors.add(e);
                }
            }, "tck-" + name + "-" + t);
            thread.setDaemon(true);
            threads.add(thread);
            thread.start();
        }
        start.countDown();
        long deadline = System.nanoTime() + env().pullTimeout().toNanos() * 6;
        for (Thread t : threads) {
            t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
            assertTrue(!t.isAlive(), t.getName() + " did not finish");
        }
        if (!errors.isEmpty()) {
            Throwable first = errors.peek();
            throw new AssertionError(name + " thread failed: " + first, first);
        }
    }

    /**
     * R16 (C++ section 1): a producer thread and a consumer thread at once; the consumer receives every event,
     * acknowledging each, in order.
     */
    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R16_producerAndConsumerAtTheSameTime() throws InterruptedException {
        TopicHandle topic = newTopic(1);
        int n = env().events(1000);
        try (Consumer consumer = topic.consumer("concurrent")) {
            BackgroundReader reader = new BackgroundReader(consumer, n, env().pullTimeout().multipliedBy(6),
                    env().pullTimeout(), true, 0).start();
            try (Producer producer = topic.producer(ProducerOptions.named("p")
                    .threadPool(driver().defaultThreadPool()))) {
                for (int i = 0; i < n; i++) {
                    await(producer.push(md("{\"index\":" + i + "}"), DataView.EMPTY), "R16: push " + i);
                }
                await(producer.flush(), "R16: flush");
            }
            List<Event> events = reader.finish(env().pullTimeout());
            assertEquals(n, events.size(), "R16: events received while being produced");
            for (int i = 0; i < n; i++) {
                assertEquals(i, events.get(i).id(), "R16: order");
                assertEquals(i, Tck.field(events.get(i), "index"), "R16: metadata of event " + i);
            }
            assertNoMoreEvents(consumer, "R16");
        }
    }

    /** R16 (C++ section 2): a consumer slower than its producer (10 ms per event) gets every event and its data. */
    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R16_producerFasterThanConsumer() throws InterruptedException {
        TopicHandle topic = newTopic(1);
        int n = 30;
        try (Consumer consumer = topic.consumer("slow")) {
            BackgroundReader reader = new BackgroundReader(consumer, n, env().pullTimeout().multipliedBy(3),
                    env().pullTimeout(), true, 10).start();
            try (Producer producer = topic.producer()) {
                for (int i = 0; i < n; i++) {
                    await(producer.push(md("{\"index\":" + i + "}"), DataView.of(Tck.utf8("Event data " + i))),
                            "R16: push " + i);
                }
            }
            List<Event> events = reader.finish(env().pullTimeout());
            assertEquals(n, events.size(), "R16: events received by the slow consumer");
            for (int i = 0; i < n; i++) {
                assertEquals("Event data " + i, Tck.text(events.get(i).data()), "R16: data of event " + i);
            }
        }
    }

    /**
     * R16 (C++ section 3): three producer threads (one producer each) and one consumer; every event arrives once, and
     * each producer's events keep their push order.
     */
    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R16_multipleProducersSingleConsumer() throws InterruptedException {
        TopicHandle topic = newTopic(1);
        int perProducer = 20;
        try (Consumer consumer = topic.consumer("single")) {
            BackgroundReader reader = new BackgroundReader(consumer, 3 * perProducer,
                    env().pullTimeout().multipliedBy(3), env().pullTimeout(), true, 0).start();
            runThreads(3, "producer", p -> {
                try (Producer producer = topic.producer(ProducerOptions.named("producer_" + p))) {
                    for (int i = 0; i < perProducer; i++) {
                        await(producer.push(md("{\"producer\":" + p + ",\"index\":" + i + "}"), DataView.EMPTY),
                                "R16: producer " + p + " push " + i);
                    }
                    await(producer.flush(), "R16: flush of producer " + p);
                }
            });
            List<Event> events = reader.finish(env().pullTimeout());
            assertEquals(3 * perProducer, events.size(), "R16: events from 3 producers");
            int[] next = new int[3];
            for (Event e : events) {
                int p = (int) Tck.field(e, "producer");
                assertEquals(next[p]++, Tck.field(e, "index"), "S11: order of producer " + p + "'s events");
            }
            assertNoMoreEvents(consumer, "R16");
        }
    }

    /**
     * R16/S11: four producer threads (one STRICT producer each) push to a 3-partition topic while three consumers of
     * different names read it: every consumer sees every event exactly once, each partition's ids contiguous from 0,
     * and each producer's events of a partition in push order.
     */
    @Test
    @Timeout(value = 180, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R16_everyConsumerSeesEveryEventExactlyOnce() throws InterruptedException {
        TopicHandle topic = newTopic(3);
        int threads = 4;
        int perThread = env().events(500);
        int total = threads * perThread;
        List<Consumer> consumers = new ArrayList<>();
        List<BackgroundReader> readers = new ArrayList<>();
        try {
            for (int c = 0; c < 3; c++) {
                Consumer consumer = topic.consumer("reader-" + c);
                consumers.add(consumer);
                readers.add(new BackgroundReader(consumer, total, env().pullTimeout().multipliedBy(6),
                        env().pullTimeout(), c == 0, 0).start());
            }
            runThreads(threads, "producer", t -> {
                try (Producer producer = topic.producer(ProducerOptions.named("producer-" + t)
                        .ordering(Ordering.STRICT))) {
                    for (int i = 0; i < perThread; i++) {
                        producer.push(md("{\"producer\":" + t + ",\"seq\":" + i + "}"),
                                DataView.of(Tck.utf8(t + "/" + i)));
                    }
                    await(producer.flush(), "R16: flush of producer " + t);
                }
            });
            for (int c = 0; c < 3; c++) {
                List<Event> events = readers.get(c).finish(env().pullTimeout());
                checkExactlyOnce(events, threads, perThread, "reader-" + c);
                assertNoMoreEvents(consumers.get(c), "R16: reader-" + c);
            }
            long stored = topic.bounds(0).count() + topic.bounds(1).count() + topic.bounds(2).count();
            assertEquals(total, stored, "R16: events stored in the 3 partitions");
        } finally {
            consumers.forEach(Consumer::close);
        }
    }

    private void checkExactlyOnce(List<Event> events, int producers, int perProducer, String who) {
        assertEquals(producers * perProducer, events.size(), "R16: " + who + " received " + events.size()
                + " events, expected " + producers * perProducer);
        Set<String> seen = new HashSet<>();
        Map<Integer, Long> nextId = new HashMap<>();
        Map<String, Long> lastSeq = new HashMap<>();
        for (Event e : events) {
            int producer = (int) Tck.field(e, "producer");
            long seq = Tck.field(e, "seq");
            assertTrue(seen.add(producer + "/" + seq), "R16: " + who + " received producer " + producer + "'s event "
                    + seq + " twice (now as " + Tck.describe(e) + ")");
            assertArrayEquals(Tck.utf8(producer + "/" + seq), e.data().toByteArray(),
                    "R16: data of " + Tck.describe(e));
            long expectedId = nextId.getOrDefault(e.partition(), 0L);
            assertEquals(expectedId, e.id(), "R16: " + who + ": ids of partition " + e.partition()
                    + " must be contiguous from 0 with no gap or duplicate");
            nextId.put(e.partition(), expectedId + 1);
            String key = producer + "@" + e.partition();
            Long last = lastSeq.get(key);
            assertTrue(last == null || last < seq, "S11: " + who + ": producer " + producer + "'s events in partition "
                    + e.partition() + " out of push order (" + last + " then " + seq + ")");
            lastSeq.put(key, seq);
        }
    }

    /** S11: four threads sharing one STRICT producer keep each thread's push order within each partition. */
    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_S11_sharedProducerKeepsEachThreadsOrder() throws InterruptedException {
        TopicHandle topic = newTopic(2);
        int perThread = env().events(250);
        try (Producer producer = topic.producer(ProducerOptions.named("shared").ordering(Ordering.STRICT))) {
            runThreads(4, "pusher", t -> {
                for (int i = 0; i < perThread; i++) {
                    producer.push(md("{\"producer\":" + t + ",\"seq\":" + i + "}"), DataView.of(Tck.utf8(t + "/" + i)));
                }
            });
            await(producer.flush(), "S11: flush");
        }
        try (Consumer consumer = topic.consumer("tck")) {
            checkExactlyOnce(nextEvents(consumer, 4 * perThread, "S11"), 4, perThread, "tck");
        }
    }

    /**
     * R16: two producers on two handles of one topic, pushing at once, never overwrite each other: every
     * event is stored with its own data.
     */
    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R16_twoProducersNeverOverwriteEachOther() throws InterruptedException {
        TopicHandle first = newTopic(1);
        int n = env().events(200);
        try (TopicHandle second = driver().openTopic(first.name())) {
            TopicHandle[] handles = {first, second};
            runThreads(2, "handle", t -> {
                try (Producer producer = handles[t].producer(ProducerOptions.named("h" + t))) {
                    for (int i = 0; i < n; i++) {
                        producer.push(md("{\"producer\":" + t + ",\"seq\":" + i + "}"),
                                DataView.of(Tck.utf8(t + "/" + i + "/" + "x".repeat(i % 50))));
                    }
                    await(producer.flush(), "R16: flush of handle " + t);
                }
            });
        }
        try (Consumer consumer = first.consumer("tck")) {
            Set<String> seen = new HashSet<>();
            for (Event e : nextEvents(consumer, 2 * n, "R16")) {
                long p = Tck.field(e, "producer");
                long i = Tck.field(e, "seq");
                assertTrue(seen.add(p + "/" + i), "R16: event stored twice: " + Tck.describe(e));
                assertEquals(p + "/" + i + "/" + "x".repeat((int) (i % 50)), Tck.text(e.data()),
                        "R16: data of " + Tck.describe(e) + " was overwritten");
            }
            assertNoMoreEvents(consumer, "R16");
        }
        assertEquals(2L * n, first.bounds(0).next(), "R16: bounds after two producers");
    }
}
