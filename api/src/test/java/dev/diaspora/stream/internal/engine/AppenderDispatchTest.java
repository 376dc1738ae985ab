package dev.diaspora.stream.internal.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.BatchSize;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.ProducerOptions;
import dev.diaspora.stream.ThreadPool;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.spi.Appender;
import dev.diaspora.stream.spi.AppenderConfig;
import dev.diaspora.stream.spi.BatchAppender;
import dev.diaspora.stream.spi.OutgoingBatch;
import dev.diaspora.stream.spi.RecordAppender;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The engine takes one of two paths, chosen once from the type of the driver's {@code Appender} (issue 18 item 2): a
 * {@link BatchAppender} gets the engine's batches (one {@code append} of three events after a flush, as the linger
 * is long), a {@link RecordAppender} gets each event at once through {@code send}, and the producer's flush waits for
 * the record appender's own flush. Both are closed with the producer.
 */
class AppenderDispatchTest {
    /** The appender the next producer of the test driver gets (the provider is made by {@code ServiceLoader}). */
    static volatile Appender next;

    /** The test driver, registered in this module's test resources as {@code engine-test-appender-kinds}. */
    public static final class Provider extends FixedTopicDriver {
        public Provider() {
            super("engine-test-appender-kinds", "api test driver: the test chooses the producer's appender", false,
                    () -> new UnreadableRecordTest.FixedTopic() {
                        @Override
                        public Appender appender(AppenderConfig config) {
                            return next;
                        }
                    });
        }
    }

    /**
     * A linger long enough that no batch leaves by it during a test (the tests flush); inline, so that each push and
     * flush reaches the appender before it returns.
     */
    private static final ProducerOptions BATCHING = ProducerOptions.named("p").batchSize(BatchSize.of(100))
            .linger(Duration.ofSeconds(60)).threadPool(ThreadPool.inline());

    private static final class Batches implements BatchAppender {
        final List<Integer> counts = new ArrayList<>();
        final AtomicLong nextId = new AtomicLong();
        final AtomicInteger closes = new AtomicInteger();

        @Override
        public synchronized void append(int partition, OutgoingBatch batch, CompletableFuture<Long> done) {
            counts.add(batch.count());
            done.complete(nextId.getAndAdd(batch.count()));
        }

        @Override
        public void close() {
            closes.incrementAndGet();
        }
    }

    private static final class Records implements RecordAppender {
        final List<String> sent = new ArrayList<>();
        final AtomicLong nextId = new AtomicLong(100);
        final AtomicInteger closes = new AtomicInteger();
        final CompletableFuture<Void> flushed = new CompletableFuture<>();
        final AtomicInteger flushes = new AtomicInteger();

        @Override
        public void send(int partition, ByteBuffer metadata, DataView data, AppendCallback callback) {
            synchronized (this) {
                sent.add(partition + ":" + StandardCharsets.UTF_8.decode(metadata.duplicate()));
            }
            callback.onComplete(nextId.getAndIncrement(), null);
        }

        @Override
        public CompletableFuture<Void> flush() {
            flushes.incrementAndGet();
            return flushed;
        }

        @Override
        public void close() {
            closes.incrementAndGet();
        }
    }

    private interface ProducerTest {
        void run(Producer producer) throws Exception;
    }

    /** Runs {@code test} with a producer of the test driver whose appender is {@code appender}. */
    private static void withProducerOf(Appender appender, ProducerTest test) throws Exception {
        next = appender;
        try (Driver d = Driver.open("engine-test-appender-kinds");
                TopicHandle t = d.openTopic("fixed")) {
            test.run(t.producer(BATCHING));
        }
    }

    /** Pushes {"i":0}, {"i":1}, {"i":2} to partition 1. */
    private static List<CompletableFuture<Long>> pushThree(Producer producer) {
        List<CompletableFuture<Long>> futures = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            futures.add(producer.push(Metadata.of("{\"i\":" + i + "}"), DataView.EMPTY, 1));
        }
        return futures;
    }

    @Test
    void aBatchAppenderGetsTheEnginesBatches() throws Exception {
        Batches batches = new Batches();
        withProducerOf(batches, producer -> {
            List<CompletableFuture<Long>> futures = pushThree(producer);
            synchronized (batches) {
                assertEquals(List.of(), batches.counts, "the engine holds the events in its batcher until the flush");
            }
            producer.flush().get(10, TimeUnit.SECONDS);
            synchronized (batches) {
                assertEquals(List.of(3), batches.counts, "one batch of the three events");
            }
            for (int i = 0; i < 3; i++) {
                assertEquals(i, futures.get(i).get().longValue(), "push " + i);
            }
            producer.close();
            assertEquals(1, batches.closes.get(), "the producer closes its appender");
        });
    }

    @Test
    void aRecordAppenderGetsEachEventAtOnceAndTheProducersFlushWaitsForItsFlush() throws Exception {
        Records records = new Records();
        withProducerOf(records, producer -> {
            List<CompletableFuture<Long>> futures = pushThree(producer);
            synchronized (records) {
                assertEquals(List.of("1:{\"i\":0}", "1:{\"i\":1}", "1:{\"i\":2}"), records.sent,
                        "each event reaches send at once, not held by a batcher with a 60 s linger");
            }
            for (int i = 0; i < 3; i++) {
                assertEquals(100 + i, futures.get(i).get(10, TimeUnit.SECONDS).longValue(), "push " + i);
            }
            CompletableFuture<Void> flush = producer.flush();
            assertEquals(1, records.flushes.get(), "the producer's flush calls the appender's");
            Thread.sleep(100);
            assertFalse(flush.isDone(), "the producer's flush waits for the appender's flush");
            records.flushed.complete(null);
            flush.get(10, TimeUnit.SECONDS);
            producer.close();
            assertEquals(1, records.closes.get(), "the producer closes its appender");
        });
    }

    @Test
    void aDriverThatReturnsNoAppenderIsNamedWhenTheProducerOpens() {
        NullPointerException e = assertThrows(NullPointerException.class, () -> withProducerOf(null, producer -> {
        }));
        assertTrue(e.getMessage().contains("'engine-test-appender-kinds' driver returned no appender"), e.getMessage());
    }
}
