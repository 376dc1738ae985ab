package dev.diaspora.stream.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.EventProcessor;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.StopEventProcessor;
import dev.diaspora.stream.TopicHandle;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link Consumer#poll(EventProcessor, int, Duration)}, the batch form of poll, on the memory driver: what it hands
 * over and returns, and that it allocates nothing per event on the calling thread when events are ready (measured
 * with the JVM's per-thread allocation counter; skipped where the JVM has none).
 */
@Timeout(60)
class BatchPollTest {
    private static void fill(Producer producer, int n) throws Exception {
        for (int i = 0; i < n; i++) {
            producer.push(Metadata.of("{\"i\":" + i + "}"), DataView.of(ByteBuffer.allocate(8)));
        }
        producer.flush().get(10, TimeUnit.SECONDS);
    }

    /** Waits until the consumer's fetch thread has queued {@code n} events (fails after 30 s). */
    static void awaitPrefetched(Consumer consumer, long n) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (consumer.metrics().prefetchedEvents() < n) { // until the fetch thread has queued them all
            assertTrue(System.nanoTime() < deadline, "the consumer prefetches " + n + " events");
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }

    @Test
    void handsOverReadyEventsInOrderUpToTheLimitAndEndsWithTheStream() throws Exception {
        String name = "batch-poll-" + System.nanoTime();
        try (Driver driver = Driver.open("memory", Metadata.of("{}"))) {
            driver.createTopic(name, Metadata.of("{\"num_partitions\":2}"));
            TopicHandle topic = driver.openTopic(name);
            Consumer consumer = topic.consumer("batch");
            List<Event> seen = new ArrayList<>();
            assertEquals(0, consumer.poll(seen::add, 10, Duration.ZERO), "nothing stored: no wait, no event");
            assertEquals(0, consumer.poll(seen::add, 10, Duration.ofMillis(20)), "nothing arrives within the timeout");
            assertEquals(0, consumer.poll(seen::add, 0, Duration.ofSeconds(1)), "maxEvents 0 hands over none");
            fill(topic.producer(), 20);
            awaitPrefetched(consumer, 20);

            assertEquals(7, consumer.poll(seen::add, 7, Duration.ofSeconds(10)));
            assertEquals(7, seen.size());
            int[] stopAt = {0};
            EventProcessor stopping = e -> {
                seen.add(e);
                if (++stopAt[0] == 3) {
                    throw new StopEventProcessor();
                }
            };
            assertEquals(3, consumer.poll(stopping, 100, Duration.ofSeconds(10)),
                    "StopEventProcessor ends the call; its event counts");
            assertEquals(10, consumer.poll(seen::add, 100, Duration.ofSeconds(10)), "the rest, without waiting");
            assertEquals(0, consumer.poll(seen::add, 100, Duration.ZERO));
            long[] next = new long[2];
            for (Event e : seen) {
                assertEquals(next[e.partition()]++, e.id(), "EventID order within partition " + e.partition());
                assertEquals(8, e.data().size(), "the event keeps its data after the processor returned");
            }
            assertEquals(20, next[0] + next[1]);
            seen.get(seen.size() - 1).acknowledge(); // an event kept past the call can be acknowledged
            assertEquals(20, consumer.metrics().eventsDelivered());

            consumer.unsubscribe();
            assertEquals(-1, consumer.poll(seen::add, 10, Duration.ofSeconds(1)), "the end of the stream");
            consumer.close();
        }
    }

    @Test
    void allocatesNothingPerEventOnTheCallingThreadWhenEventsAreReady() throws Exception {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        Assumptions.assumeTrue(mx instanceof com.sun.management.ThreadMXBean,
                "this JVM has no per-thread allocation counter (com.sun.management.ThreadMXBean)");
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) mx;
        Assumptions.assumeTrue(threads.isThreadAllocatedMemorySupported(),
                "this JVM does not count allocation per thread");
        threads.setThreadAllocatedMemoryEnabled(true);
        long self = Thread.currentThread().getId();

        int warmUp = 4_000;
        int measured = 16_000;
        String name = "batch-alloc-" + System.nanoTime();
        try (Driver driver = Driver.open("memory", Metadata.of("{}"))) {
            driver.createTopic(name, Metadata.of("{\"num_partitions\":1}"));
            TopicHandle topic = driver.openTopic(name);
            // the pause threshold (batch size x maxPrefetchBatches) above the events: all of them are prefetched
            Consumer consumer = topic.consumer(ConsumerOptions.named("alloc").maxPrefetchBatches(64));
            fill(topic.producer(), warmUp + measured);
            awaitPrefetched(consumer, warmUp + measured);

            long[] sum = new long[1];
            EventProcessor processor = e -> sum[0] += e.id();
            int handed = 0;
            while (handed < warmUp) { // class loading and the first calls allocate once
                handed += consumer.poll(processor, Math.min(256, warmUp - handed), Duration.ZERO);
            }
            long control = threads.getThreadAllocatedBytes(self);
            byte[] known = new byte[64 << 10];
            long controlSeen = threads.getThreadAllocatedBytes(self) - control;
            assertTrue(controlSeen >= known.length, "the counter sees a 64 KiB array: " + controlSeen + " bytes");

            long before = threads.getThreadAllocatedBytes(self);
            int left = measured;
            while (left > 0) {
                int n = consumer.poll(processor, Math.min(256, left), Duration.ZERO);
                assertTrue(n > 0, "events are ready: " + left + " left");
                left -= n;
            }
            long allocated = threads.getThreadAllocatedBytes(self) - before;
            // a fixed allowance for rare contention with the fetch thread on the queue lock (a waiter node each)
            assertTrue(allocated < 16 << 10, allocated + " bytes allocated for " + measured + " events ("
                    + (double) allocated / measured + " per event); the batch poll must allocate nothing per event");
            assertEquals(warmUp + measured, consumer.metrics().eventsDelivered());
            long expectedSum = (long) (warmUp + measured) * (warmUp + measured - 1) / 2;
            assertEquals(expectedSum, sum[0], "every event was handed over once");
            consumer.close();
        }
    }
}
