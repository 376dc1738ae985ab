package dev.diaspora.stream.internal.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.BatchSize;
import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataSelector;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.PartitionBounds;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.ProducerOptions;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.spi.AppenderConfig;
import dev.diaspora.stream.spi.BatchAppender;
import dev.diaspora.stream.spi.IncomingBatch;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The renamed options do what their names say (issue 18 item 2). {@code maxInFlightBatches}: a producer never has more
 * than that many appends of one partition outstanding at the driver, and reaches that many when it has the events.
 * {@code maxPrefetchBatches}: a consumer whose application does not pull reads exactly that many read batches of a
 * partition ahead, and stops there. The driver holds every append until the test completes it, and serves a partition of
 * 100,000 small events, counting how far it was read.
 */
class OptionEffectTest {
    /** The topic the current test's driver serves (the provider is made by {@code ServiceLoader}). */
    static volatile CountingTopic topic;

    /** The test driver, registered in this module's test resources as {@code engine-test-held-appends}. */
    public static final class Provider extends FixedTopicDriver {
        public Provider() {
            super("engine-test-held-appends", "api test driver: appends wait for the test; a long log of small events",
                    false, () -> topic);
        }
    }

    static final class CountingTopic extends UnreadableRecordTest.FixedTopic {
        static final int EVENTS = 100_000;
        final ConcurrentLinkedQueue<Runnable> held = new ConcurrentLinkedQueue<>();
        final AtomicInteger outstanding = new AtomicInteger();
        final AtomicInteger maxOutstanding = new AtomicInteger();
        final AtomicLong nextId = new AtomicLong();
        final AtomicLong readUpTo = new AtomicLong();
        final ConcurrentLinkedQueue<Integer> asked = new ConcurrentLinkedQueue<>();
        volatile int configuredInFlight;

        @Override
        public BatchAppender appender(AppenderConfig config) {
            configuredInFlight = config.maxInFlight();
            return (p, batch, done) -> {
                long first = nextId.getAndAdd(batch.count());
                maxOutstanding.accumulateAndGet(outstanding.incrementAndGet(), Math::max);
                held.add(() -> {
                    outstanding.decrementAndGet(); // before completing: the completion may issue the next append
                    done.complete(first);
                });
            };
        }

        @Override
        public PartitionBounds bounds(int p) {
            return new PartitionBounds(0, EVENTS);
        }

        @Override
        public IncomingBatch read(int p, long fromId, int maxEvents, long maxBytes) {
            asked.add(maxEvents);
            int n = (int) Math.min(maxEvents, EVENTS - fromId);
            if (n <= 0) {
                return null;
            }
            readUpTo.accumulateAndGet(fromId + n, Math::max);
            return UnreadableRecordTest.idEvents(p, fromId, n);
        }
    }

    @BeforeEach
    void freshTopic() {
        topic = new CountingTopic();
    }

    /** Waits until {@code value} has stayed the same for 300 ms (bounded by 10 s), and returns it. */
    private static long settled(AtomicLong value) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        long last = -1;
        long stableSince = System.nanoTime();
        while (System.nanoTime() - deadline < 0) {
            long now = value.get();
            if (now != last) {
                last = now;
                stableSince = System.nanoTime();
            } else if (System.nanoTime() - stableSince > 300_000_000L && now > 0) {
                return now;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("the value kept changing for 10 s: " + value.get());
    }

    @ParameterizedTest(name = "maxInFlightBatches({0})")
    @ValueSource(ints = {1, 3})
    void aProducerHasAtMostMaxInFlightBatchesAppendsOfAPartitionAtTheDriver(int inFlight) throws Exception {
        int events = 20;
        try (Driver d = Driver.open("engine-test-held-appends");
                TopicHandle t = d.openTopic("fixed");
                Producer producer = t.producer(ProducerOptions.named("p").batchSize(BatchSize.of(1))
                        .maxInFlightBatches(inFlight))) {
            assertEquals(inFlight, topic.configuredInFlight, "AppenderConfig.maxInFlight");
            List<CompletableFuture<Long>> futures = new ArrayList<>();
            for (int i = 0; i < events; i++) {
                futures.add(producer.push(Metadata.of("{\"i\":" + i + "}"), DataView.EMPTY, 0));
            }
            CompletableFuture<Void> flushed = producer.flush();
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (topic.outstanding.get() < inFlight) {
                assertTrue(System.nanoTime() - deadline < 0, "the producer reached " + inFlight + " appends in flight");
                Thread.sleep(1);
            }
            Thread.sleep(200); // room for an append past the bound, were the bound not kept
            assertEquals(inFlight, topic.outstanding.get(), "appends in flight while the driver holds them all");
            while (!flushed.isDone()) {
                Runnable next = topic.held.poll();
                if (next != null) {
                    next.run();
                } else {
                    assertTrue(System.nanoTime() - deadline < 0, "the flush completed");
                    Thread.sleep(1);
                }
            }
            flushed.get();
            for (int i = 0; i < events; i++) {
                assertEquals(i, futures.get(i).get().longValue(), "push " + i);
            }
            assertEquals(inFlight, topic.maxOutstanding.get(), "the most appends ever in flight");
        }
    }

    @ParameterizedTest(name = "maxPrefetchBatches({0})")
    @ValueSource(ints = {1, 4})
    void aConsumerReadsMaxPrefetchBatchesReadBatchesAheadOfTheApplication(int batches) throws Exception {
        int readBatch = 8;
        try (Driver d = Driver.open("engine-test-held-appends");
                TopicHandle t = d.openTopic("fixed");
                Consumer consumer = t.consumer(ConsumerOptions.named("c").targets(0).dataSelector(DataSelector.NONE)
                        .batchSize(BatchSize.of(readBatch)).maxPrefetchBatches(batches))) {
            long read = settled(topic.readUpTo);
            assertEquals((long) batches * readBatch, read, "events read ahead with maxPrefetchBatches(" + batches
                    + ") and read batches of " + readBatch);
            // pulling makes room: the consumer reads on
            for (int i = 0; i < read; i++) {
                assertEquals(i, consumer.poll(EngineRuleFixture.PULL_TIMEOUT).orElseThrow().id());
            }
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (topic.readUpTo.get() <= read) {
                assertTrue(System.nanoTime() - deadline < 0, "the consumer read on after the application pulled");
                Thread.sleep(1);
            }
        }
    }

    /**
     * An adaptive consumer's reads start at {@code ADAPTIVE_READ_BATCH} events, double after each full read up to
     * {@code ADAPTIVE_MAX_READ_BATCH}, and the partition's read-ahead bound grows with them (a consumer of small events
     * from a remote driver stalled a round trip per read with reads of 512 and 1,024 events ahead); a fixed batch size
     * never changes (the test above).
     */
    @org.junit.jupiter.api.Test
    void anAdaptiveConsumerAsksForMoreEventsPerReadWhileReadsComeBackFull() throws Exception {
        try (Driver d = Driver.open("engine-test-held-appends");
                TopicHandle t = d.openTopic("fixed");
                Consumer consumer = t.consumer(ConsumerOptions.named("c").targets(0)
                        .dataSelector(DataSelector.NONE))) {
            long read = settled(topic.readUpTo);
            List<Integer> sizes = new ArrayList<>(topic.asked);
            int max = ConsumerOptions.ADAPTIVE_MAX_READ_BATCH;
            assertTrue(sizes.size() >= 4, "the consumer read on past 1,024 events, in reads of " + sizes);
            assertEquals(List.of(512, 1024, 2048, max), sizes.subList(0, 4), "read sizes: " + sizes);
            assertTrue(sizes.stream().allMatch(n -> n <= max), "never above the maximum: " + sizes);
            long bound = 2L * max; // maxPrefetchBatches (2) read sizes, passed by the read that reaches it
            assertTrue(read >= bound && read < bound + max, read + " events read ahead, against the grown bound "
                    + bound);
            assertEquals(0, consumer.poll(EngineRuleFixture.PULL_TIMEOUT).orElseThrow().id());
        }
    }

    /** A recycling consumer asked for a flat heap: its adaptive reads stay at {@code ADAPTIVE_READ_BATCH}. */
    @org.junit.jupiter.api.Test
    void aRecyclingConsumersAdaptiveReadsDoNotGrow() throws Exception {
        try (Driver d = Driver.open("engine-test-held-appends");
                TopicHandle t = d.openTopic("fixed");
                Consumer consumer = t.consumer(ConsumerOptions.named("c").targets(0).recycleEvents(true)
                        .dataSelector(DataSelector.NONE))) {
            long read = settled(topic.readUpTo);
            List<Integer> sizes = new ArrayList<>(topic.asked);
            assertTrue(sizes.stream().allMatch(n -> n == ConsumerOptions.ADAPTIVE_READ_BATCH), "read sizes: " + sizes);
            assertEquals(2L * ConsumerOptions.ADAPTIVE_READ_BATCH, read, "read ahead: 2 read batches");
            assertEquals(0, consumer.poll(EngineRuleFixture.PULL_TIMEOUT).orElseThrow().id());
        }
    }
}
