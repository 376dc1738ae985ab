package dev.diaspora.stream.tck;

import static dev.diaspora.stream.tck.Tck.md;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.BatchSize;
import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.InvalidMetadataException;
import dev.diaspora.stream.Ordering;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.ProducerOptions;
import dev.diaspora.stream.PushCallback;
import dev.diaspora.stream.StartAt;
import dev.diaspora.stream.ThreadPool;
import dev.diaspora.stream.TopicHandle;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Rules R8, S1 (the producer side), S8 (adaptive sending; back-pressure is {@link BackPressureContract}), S9, S11 and
 * S12 (the producer side): pushing, flushing, closing, explicit partitions, callbacks and ordering. Ports the C++ ProducerTest and EventProducerTest and the Python
 * {@code test_producer.py}.
 */
public interface ProducerContract extends TckFixture {
    /** R8/S9: pushes to a one-partition topic get the EventIDs 0, 1, 2, ... in push order. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R8_pushesGetContiguousIdsFromZero() {
        TopicHandle topic = newTopic(1);
        int n = env().events(50);
        try (Producer producer = topic.producer()) {
            long[] ids = pushNumbered(producer, n);
            for (int i = 0; i < n; i++) {
                assertEquals(i, ids[i], "R8: EventID of push " + i);
            }
            assertEquals(n, topic.bounds(0).next(), "R8: bounds(0).next() after " + n + " pushes");
            assertEquals(0, topic.bounds(0).first(), "R8: bounds(0).first()");
        }
    }

    /**
     * R8: every combination of pool threads (0, 1, 2) and batch size (adaptive, 10) stores every event, with and
     * without data, flushing every 5 events (the C++ EventProducerTest), in push order (STRICT, the only ordering).
     */
    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R8_everyProducerConfigurationStoresEveryEvent() {
        int n = env().events(100);
        for (int threads = 0; threads <= 2; threads++) {
            ThreadPool pool = threads == 0 ? ThreadPool.inline() : driver().makeThreadPool(threads);
            for (BatchSize batch : new BatchSize[] {BatchSize.adaptive(), BatchSize.of(10)}) {
                String config = "threads=" + threads + ", batch=" + batch;
                TopicHandle topic = newTopic(1);
                List<CompletableFuture<Long>> futures = new ArrayList<>();
                try (Producer producer = topic.producer(ProducerOptions.named("myproducer").threadPool(pool)
                        .batchSize(batch))) {
                    for (int i = 0; i < 2 * n; i++) {
                        DataView data = i < n ? DataView.EMPTY : DataView.of(numberedData(i));
                        futures.add(producer.push(md("{\"event_num\":" + i + "}"), data));
                        if (i % 5 == 4 && !batch.isAdaptive()) {
                            await(producer.flush(), "R8: flush (" + config + ")");
                        }
                    }
                    await(producer.flush(), "R8: final flush (" + config + ")");
                }
                long[] idOf = new long[2 * n];
                Set<Long> ids = new HashSet<>();
                for (int i = 0; i < 2 * n; i++) {
                    idOf[i] = await(futures.get(i), "R8: push " + i + " (" + config + ")");
                    assertTrue(ids.add(idOf[i]), "R8: EventID " + idOf[i] + " given twice (" + config + ")");
                    assertEquals(i, idOf[i], "S11: STRICT push " + i + " got another EventID (" + config + ")");
                }
                assertEquals(2L * n, topic.bounds(0).next(), "R8: bounds(0).next() (" + config + ")");
                try (Consumer consumer = topic.consumer("check")) {
                    for (Event e : nextEvents(consumer, 2 * n, "R8: reading back (" + config + ")")) {
                        int num = (int) Tck.field(e, "event_num");
                        assertEquals(idOf[num], e.id(), "R8: event_num " + num + " stored under another id ("
                                + config + ")");
                        assertArrayEquals(num < n ? new byte[0] : numberedData(num), e.data().toByteArray(),
                                "R8: data of event " + num + " (" + config + ")");
                    }
                }
            }
        }
    }

    /** S11: with fixed batches, STRICT ordering stores every event in push order (IDs follow push order). */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_S11_strictOrderKeptAcrossFixedBatches() {
        TopicHandle topic = newTopic(1);
        int n = env().events(100);
        List<CompletableFuture<Long>> futures = new ArrayList<>();
        try (Producer producer = topic.producer(ProducerOptions.named("strict").batchSize(BatchSize.of(10))
                .ordering(Ordering.STRICT))) {
            for (int i = 0; i < n; i++) {
                futures.add(producer.push(md("{\"event_num\":" + i + "}"), DataView.of(numberedData(i))));
            }
            await(producer.flush(), "S11: flush");
        }
        for (int i = 0; i < n; i++) {
            assertEquals(i, (long) await(futures.get(i), "S11: push " + i), "S11: EventID of push " + i);
        }
        try (Consumer consumer = topic.consumer("tck")) {
            for (int i = 0; i < n; i++) {
                Event e = nextEvent(consumer, "S11: event " + i);
                assertEquals(i, e.id(), "S11: delivery order");
                assertEquals(i, Tck.field(e, "event_num"), "S11: event " + i + " holds another push's metadata");
                assertArrayEquals(numberedData(i), e.data().toByteArray(), "S11: data of event " + i);
            }
        }
    }

    /** S9: once a push's future completes, the event is readable: bounds include it and a new consumer gets it. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_S9_completedPushIsReadable() {
        TopicHandle topic = newTopic(1);
        try (Producer producer = topic.producer()) {
            for (int i = 0; i < 5; i++) {
                long id = await(producer.push(md("{\"event_num\":" + i + "}"), DataView.of(numberedData(i))),
                        "S9: push " + i);
                assertTrue(topic.bounds(0).next() > id, "S9: bounds(0).next() must be past a completed push's id");
                try (Consumer consumer = topic.consumer(ConsumerOptions.named("reader" + i)
                        .startAt(StartAt.id(id)))) {
                    Event e = nextEvent(consumer, "S9: reading event " + id + " right after its push completed");
                    assertEquals(id, e.id(), "S9: first event from StartAt.id(" + id + ")");
                    assertEquals(i, Tck.field(e, "event_num"), "S9: metadata of event " + id);
                }
            }
        }
    }

    /** S8: with the adaptive batch size (the default), a push completes without any flush. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_S8_adaptivePushCompletesWithoutFlush() {
        TopicHandle topic = newTopic(1);
        try (Producer producer = topic.producer()) {
            for (int i = 0; i < 3; i++) {
                long id = await(producer.push(md("{\"event_num\":" + i + "}"), DataView.EMPTY),
                        "S8: an adaptive producer must send without flush(); push " + i);
                assertEquals(i, id, "S8: EventID");
            }
        }
    }

    /**
     * S9: {@code flush()} covers every push that returned before it, from any thread: when it completes, every one of
     * their futures has completed.
     */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_S9_flushCoversPushesFromSeveralThreads() throws InterruptedException {
        TopicHandle topic = newTopic(2);
        int perThread = env().events(100);
        ConcurrentLinkedQueue<CompletableFuture<Long>> futures = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        try (Producer producer = topic.producer(ProducerOptions.named("mt").batchSize(BatchSize.of(64)))) {
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int thread = t;
                threads.add(new Thread(() -> {
                    try {
                        for (int i = 0; i < perThread; i++) {
                            futures.add(producer.push(md("{\"thread\":" + thread + ",\"i\":" + i + "}"),
                                    DataView.EMPTY));
                        }
                    } catch (Throwable e) {
                        errors.add(e);
                    }
                }, "tck-pusher-" + t));
            }
            threads.forEach(Thread::start);
            for (Thread t : threads) {
                t.join(env().pullTimeout().toMillis());
                assertTrue(!t.isAlive(), "S9: pusher thread " + t.getName() + " did not finish");
            }
            assertTrue(errors.isEmpty(), "S9: push threw: " + errors);
            await(producer.flush(), "S9: flush after pushes from 4 threads");
            int notDone = 0;
            for (CompletableFuture<Long> f : futures) {
                if (!f.isDone()) {
                    notDone++;
                }
            }
            assertEquals(0, notDone, "S9: futures still pending after flush() completed (of " + futures.size() + ")");
            for (CompletableFuture<Long> f : futures) {
                assertTrue(!f.isCompletedExceptionally(), "S9: a push failed: " + f);
            }
            assertEquals(4L * perThread, topic.bounds(0).count() + topic.bounds(1).count(), "S9: events stored");
        }
    }

    /** R8: {@code close()} flushes: events still in an open batch are stored and their futures complete. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R8_closeFlushesPendingEvents() {
        TopicHandle topic = newTopic(1);
        List<CompletableFuture<Long>> futures = new ArrayList<>();
        Producer producer = topic.producer(ProducerOptions.named("closer").batchSize(BatchSize.of(1000)));
        for (int i = 0; i < 10; i++) {
            futures.add(producer.push(md("{\"event_num\":" + i + "}"), DataView.of(numberedData(i))));
        }
        producer.close();
        for (int i = 0; i < 10; i++) {
            CompletableFuture<Long> f = futures.get(i);
            assertTrue(f.isDone(), "R8/S9: push " + i + " still pending after Producer.close() returned");
            assertEquals(i, (long) await(f, "R8: push " + i));
        }
        try (Consumer consumer = topic.consumer("tck")) {
            assertEquals(10, nextEvents(consumer, 10, "R8: events flushed by close").size());
        }
    }

    /** R8: push after close throws {@link IllegalStateException}; close is idempotent. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R8_pushAfterCloseThrowsIllegalState() {
        TopicHandle topic = newTopic(1);
        Producer producer = topic.producer();
        await(producer.push(md("{}"), DataView.EMPTY), "R8: push before close");
        producer.close();
        producer.close();
        assertThrows(IllegalStateException.class, () -> producer.push(md("{}"), DataView.EMPTY),
                "R8: push after close");
        assertThrows(IllegalStateException.class, () -> producer.push(md("{}"), DataView.EMPTY, 0),
                "R8: push(partition) after close");
    }

    /** R8: the callback variant reports (partition, id, null) on success and the specific error on failure. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R8_pushCallbackReportsPartitionAndId() throws InterruptedException {
        TopicHandle topic = newTopic(3);
        try (Producer producer = topic.producer()) {
            int[] partition = new int[4];
            long[] id = new long[4];
            Throwable[] error = new Throwable[4];
            CountDownLatch done = new CountDownLatch(4);
            for (int i = 0; i < 4; i++) {
                int k = i;
                PushCallback cb = (p, eid, err) -> {
                    partition[k] = p;
                    id[k] = eid;
                    error[k] = err;
                    done.countDown();
                };
                if (i < 2) {
                    producer.push(md("{\"k\":" + i + "}"), DataView.EMPTY, 2, cb);
                } else if (i == 2) {
                    producer.push(md("{\"k\":" + i + "}"), DataView.of(new byte[] {1, 2, 3}), -1, cb);
                } else {
                    producer.push(md("{\"k\":"), DataView.EMPTY, 1, cb);
                }
            }
            Throwable flushed = awaitFailure(producer.flush(), "R8/R22: flush after the invalid push reports it");
            assertTrue(flushed instanceof dev.diaspora.stream.EventsFailedException
                    && ((dev.diaspora.stream.EventsFailedException) flushed).count() == 1,
                    "R8/R22: flush after one failed push fails with EventsFailedException counting 1, got " + flushed);
            assertTrue(done.await(env().pullTimeout().toMillis(), TimeUnit.MILLISECONDS),
                    "R8: not every callback was called");
            assertNull(error[0], "R8: callback error of a valid push");
            assertNull(error[1], "R8: callback error of a valid push");
            assertEquals(2, partition[0], "R8: callback partition of an explicit push to 2");
            assertEquals(2, partition[1], "R8: callback partition of an explicit push to 2");
            assertEquals(0, id[0], "R8: first EventID of partition 2");
            assertEquals(1, id[1], "R8: second EventID of partition 2");
            assertNull(error[2], "R8: callback error of a valid push");
            assertTrue(partition[2] >= 0 && partition[2] < 3, "R8: callback partition " + partition[2]);
            assertTrue(id[2] >= 0, "R8: callback id " + id[2]);
            assertTrue(error[3] instanceof InvalidMetadataException,
                    "R8: the callback of invalid JSON must get InvalidMetadataException, got " + error[3]);
            assertEquals(-1, id[3], "R8: the callback id of a failed push is -1");
        }
    }

    /** S1: {@code push(metadata, data, p)} stores the event in partition p. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_S1_explicitPartitionLandsInThatPartition() {
        TopicHandle topic = newTopic(3);
        try (Producer producer = topic.producer(); Consumer consumer = topic.consumer("tck")) {
            for (int i = 0; i < 3; i++) {
                assertEquals(i, (long) await(producer.push(md("{\"i\":" + i + "}"), DataView.EMPTY, 2),
                        "S1: explicit push " + i), "S1: EventID in partition 2");
            }
            assertEquals(0, topic.bounds(0).count(), "S1: partition 0 must be empty");
            assertEquals(0, topic.bounds(1).count(), "S1: partition 1 must be empty");
            assertEquals(3, topic.bounds(2).count(), "S1: partition 2 must hold the 3 events");
            for (int i = 0; i < 3; i++) {
                Event e = nextEvent(consumer, "S1: event " + i);
                assertEquals(2, e.partition(), "S1: partition of an event pushed to 2");
                assertEquals(i, e.id(), "S1: id");
            }
        }
    }

    /** S1: an explicit partition outside [0, N) makes push throw {@link IllegalArgumentException} at the call. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_S1_outOfRangePartitionThrowsSynchronously() {
        TopicHandle topic = newTopic(3);
        try (Producer producer = topic.producer()) {
            assertThrows(IllegalArgumentException.class, () -> producer.push(md("{}"), DataView.EMPTY, 3),
                    "S1: push to partition 3 of a 3-partition topic");
            assertThrows(IllegalArgumentException.class, () -> producer.push(md("{}"), DataView.EMPTY, 1000),
                    "S1: push to partition 1000");
            assertThrows(IllegalArgumentException.class,
                    () -> producer.push(md("{}"), DataView.EMPTY, 3, (p, id, err) -> { }),
                    "S1: callback push to partition 3");
            await(producer.push(md("{}"), DataView.EMPTY, 2), "S1: a valid push after refused ones");
        }
    }

    /**
     * S1: the default selector is round robin, and an explicit partition neither goes through it nor advances it.
     */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_S1_defaultSelectorIsRoundRobin() throws InterruptedException {
        TopicHandle topic = newTopic(3);
        try (Producer producer = topic.producer()) {
            int[] counts = new int[3];
            for (int i = 0; i < 9; i++) {
                await(producer.push(md("{\"i\":" + i + "}"), DataView.EMPTY), "S1: push " + i);
            }
            for (int p = 0; p < 3; p++) {
                counts[p] = (int) topic.bounds(p).count();
            }
            assertArrayEquals(new int[] {3, 3, 3}, counts, "S1: 9 pushes spread round robin over 3 partitions");
            int[] chosen = new int[3];
            CountDownLatch done = new CountDownLatch(3);
            producer.push(md("{\"a\":1}"), DataView.EMPTY, -1, (p, id, err) -> {
                chosen[0] = p;
                done.countDown();
            });
            producer.push(md("{\"b\":1}"), DataView.EMPTY, 0, (p, id, err) -> {
                chosen[1] = p;
                done.countDown();
            });
            producer.push(md("{\"c\":1}"), DataView.EMPTY, -1, (p, id, err) -> {
                chosen[2] = p;
                done.countDown();
            });
            await(producer.flush(), "S1: flush");
            assertTrue(done.await(env().pullTimeout().toMillis(), TimeUnit.MILLISECONDS), "S1: callbacks");
            assertEquals(0, chosen[1], "S1: explicit partition");
            assertEquals((chosen[0] + 1) % 3, chosen[2], "S1: an explicit push must not advance the round robin"
                    + " (selector chose " + chosen[0] + ", then after an explicit push " + chosen[2] + ")");
        }
    }

    /**
     * S12: the release hook of a pushed view ({@code DataView.of(Runnable, ByteBuffer...)}) runs exactly
     * once after its push completes, whether the push succeeded or failed.
     */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_S12_pushedViewIsReleasedOnce() {
        TopicHandle topic = newTopic(1);
        AtomicInteger okReleases = new AtomicInteger();
        AtomicInteger badReleases = new AtomicInteger();
        try (Producer producer = topic.producer()) {
            CompletableFuture<Long> ok = producer.push(md("{\"ok\":true}"),
                    DataView.of(okReleases::incrementAndGet, ByteBuffer.wrap(Tck.utf8("pooled"))));
            CompletableFuture<Long> bad = producer.push(md("{\"ok\":"),
                    DataView.of(badReleases::incrementAndGet, ByteBuffer.wrap(Tck.utf8("pooled too"))));
            await(ok, "S12: push with a release hook");
            awaitFailure(bad, "S12: invalid push with a release hook");
            Throwable flushed = awaitFailure(producer.flush(), "S12/R22: flush after the invalid push reports it");
            assertTrue(flushed instanceof dev.diaspora.stream.EventsFailedException,
                    "S12/R22: flush after a failed push fails with EventsFailedException, got " + flushed);
            awaitCondition(() -> okReleases.get() > 0 && badReleases.get() > 0, env().pullTimeout(),
                    () -> "S12: release hooks not run after the pushes completed (ok: " + okReleases.get()
                            + ", failed: " + badReleases.get() + ")");
        }
        Tck.sleepMillis(env().quietPeriod().toMillis());
        assertEquals(1, okReleases.get(), "S12: release hook runs exactly once (successful push)");
        assertEquals(1, badReleases.get(), "S12: release hook runs exactly once (failed push)");
    }

    /**
     * S12: push captures each buffer's [position, limit) and never changes the caller's positions or limits; heap,
     * direct and zero-length segments are stored as one byte sequence.
     */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_S12_pushKeepsCallerBufferPositionsAndStoresTheirWindow() {
        TopicHandle topic = newTopic(1);
        ByteBuffer heap = ByteBuffer.wrap(Tck.utf8("xxHELLO-yy"));
        heap.position(2).limit(8);
        ByteBuffer direct = ByteBuffer.allocateDirect(16);
        direct.put(Tck.utf8("..WORLD!......."));
        direct.position(2).limit(8);
        ByteBuffer empty = ByteBuffer.allocate(0);
        try (Producer producer = topic.producer(); Consumer consumer = topic.consumer("tck")) {
            await(producer.push(md("{}"), DataView.of(heap, empty, direct, empty)), "S12: push");
            await(producer.flush(), "S12: flush");
            assertEquals(2, heap.position(), "S12: heap buffer position changed by push");
            assertEquals(8, heap.limit(), "S12: heap buffer limit changed by push");
            assertEquals(2, direct.position(), "S12: direct buffer position changed by push");
            assertEquals(8, direct.limit(), "S12: direct buffer limit changed by push");
            Event e = nextEvent(consumer, "S12");
            assertEquals("HELLO-WORLD!", Tck.text(e.data()), "S12: stored bytes must be the buffers' windows");
        }
    }
}
