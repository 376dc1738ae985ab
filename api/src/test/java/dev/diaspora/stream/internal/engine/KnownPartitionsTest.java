package dev.diaspora.stream.internal.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.PartitionInfo;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.ProducerOptions;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.spi.Appender;
import dev.diaspora.stream.spi.AppenderConfig;
import dev.diaspora.stream.spi.BatchAppender;
import dev.diaspora.stream.spi.Partitions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A push to a chosen partition checks it against the largest partition count the handle has seen (a topic's
 * partitions only grow), asking the driver again only for a partition at or above it: a driver's
 * {@code partitions()} may read the clock or the file system (the files driver does, to see other processes'
 * changes), and it ran once per push.
 */
class KnownPartitionsTest {
    /** The topic's partition count, which the test grows, and the calls of its {@code partitions()}. */
    static volatile int count;
    static final AtomicInteger calls = new AtomicInteger();
    /** Events appended per partition. */
    static final Map<Integer, AtomicInteger> stored = new ConcurrentHashMap<>();

    /** The test driver, registered in this module's test resources as {@code engine-test-growing}. */
    public static final class Provider extends FixedTopicDriver {
        public Provider() {
            super("engine-test-growing", "api test driver: a topic whose partitions the test adds", false,
                    () -> new UnreadableRecordTest.FixedTopic() {
                        @Override
                        public List<PartitionInfo> partitions() {
                            calls.incrementAndGet();
                            return Partitions.plain(count);
                        }

                        @Override
                        public Appender appender(AppenderConfig config) {
                            return (BatchAppender) (p, b, done) -> {
                                stored.computeIfAbsent(p, k -> new AtomicInteger()).addAndGet(b.count());
                                done.complete(0L);
                            };
                        }
                    });
        }
    }

    @Test
    void knownPartitionsAreCheckedWithoutAskingTheDriverAndNewOnesAreSeen() {
        count = 2;
        try (Driver d = Driver.open("engine-test-growing"); TopicHandle t = d.openTopic("t")) {
            TopicHandleImpl h = (TopicHandleImpl) t;
            calls.set(0);
            for (int i = 0; i < 100; i++) {
                h.checkPartition(i % 2);
            }
            assertEquals(1, calls.get(), "calls of the driver's partitions() for 100 checks of known partitions");
            assertThrows(IllegalArgumentException.class, () -> h.checkPartition(2));
            assertThrows(IllegalArgumentException.class, () -> h.checkPartition(-1));
            count = 3; // partitions added, by this process or another
            h.checkPartition(2);
            calls.set(0);
            h.checkPartition(2);
            h.checkPartition(0);
            assertEquals(0, calls.get(), "the added partition is known once seen");
            assertThrows(IllegalArgumentException.class, () -> h.checkPartition(3));
        }
    }

    /**
     * The producer's partition selection reads the topic's partitions again only every
     * {@link ProducerImpl#PARTITIONS_NANOS} of push time, not once per push (it did: a clock read per event in the
     * files driver), and still sends events to partitions added meanwhile, and to a chosen partition the selection's
     * last reading did not know yet at once.
     */
    @Test
    void theSelectionReadsThePartitionsOncePerMillisecondAndSeesAddedOnes() throws InterruptedException {
        count = 2;
        stored.clear();
        try (Driver d = Driver.open("engine-test-growing"); TopicHandle t = d.openTopic("t");
                Producer producer = t.producer(ProducerOptions.named("p"))) {
            producer.push(Metadata.of("{}"), DataView.EMPTY).join(); // the first reading
            calls.set(0);
            int events = 2000;
            long start = System.nanoTime();
            for (int i = 0; i < events; i++) {
                producer.push(Metadata.of("{}"), DataView.EMPTY);
            }
            producer.flush().join();
            long elapsedMs = (System.nanoTime() - start) / 1_000_000;
            long allowed = elapsedMs * 1_000_000 / ProducerImpl.PARTITIONS_NANOS + 2;
            assertTrue(calls.get() <= allowed, "calls of the driver's partitions() for " + events + " pushes: "
                    + calls.get() + ", expected at most " + allowed + " (the pushes took " + elapsedMs + " ms)");
            assertEquals(java.util.Set.of(0, 1), stored.keySet(), "round robin over the two partitions");

            count = 3; // a partition added: the selection uses it once its reading is older than PARTITIONS_NANOS
            Thread.sleep(ProducerImpl.PARTITIONS_NANOS / 1_000_000 + 1);
            for (int i = 0; i < 6; i++) {
                producer.push(Metadata.of("{}"), DataView.EMPTY);
            }
            producer.flush().join();
            assertTrue(stored.containsKey(2), "events went to the added partition: " + stored.keySet());

            count = 4; // a push to a chosen partition the selection has not read yet goes there at once
            producer.push(Metadata.of("{}"), DataView.EMPTY, 3).join();
            assertEquals(1, stored.get(3).get(), "events stored in the chosen partition 3");
        }
    }
}
