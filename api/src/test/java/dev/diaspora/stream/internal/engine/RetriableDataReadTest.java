package dev.diaspora.stream.internal.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.spi.DataRequest;
import dev.diaspora.stream.spi.IncomingBatch;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A retriable failure of a data read (a lost connection to a server) must not stop the partition until the user seeks
 * (that is for damaged data): the engine delivers the events before it, reads the partition again from the failed
 * event, and every event arrives once, in order, while the other partition keeps flowing. The driver is a fixed log of
 * 10 events per partition with 4 bytes of data each; its first three data reads that include partition 0's event 3
 * fail with a retriable exception, and so do its first two attempts to move partition 0 back (as a seek needs the
 * server too).
 */
@Timeout(30)
class RetriableDataReadTest {
    static final AtomicInteger DATA_FAILURES = new AtomicInteger();
    static final AtomicInteger SEEK_FAILURES = new AtomicInteger();

    /** The test driver, registered in this module's test resources as {@code engine-test-flaky-data}. */
    public static final class Provider extends FixedTopicDriver {
        public Provider() {
            super("engine-test-flaky-data", "api test driver: data reads of partition 0 event 3 fail, retriably, at"
                    + " first", true, FlakyTopic::new);
        }
    }

    static final class FlakyTopic extends UnreadableRecordTest.FixedTopic {
        @Override
        public dev.diaspora.stream.PartitionBounds bounds(int p) {
            if (p == 0 && DATA_FAILURES.get() >= 3 && SEEK_FAILURES.getAndIncrement() < 2) {
                throw new DiasporaException("server of partition 0 unreachable (bounds)", null, true);
            }
            return super.bounds(p);
        }

        @Override
        public IncomingBatch read(int p, long fromId, int maxEvents, long maxBytes) {
            if (fromId >= 10) {
                return null;
            }
            int n = (int) Math.min(maxEvents, 10 - fromId);
            StringBuilder md = new StringBuilder();
            int[] offsets = new int[n + 1];
            long[] sizes = new long[n];
            long[] locations = new long[n];
            for (int i = 0; i < n; i++) {
                md.append("{\"id\":").append(fromId + i).append('}');
                offsets[i + 1] = md.length();
                sizes[i] = 4;
                locations[i] = fromId + i;
            }
            return new IncomingBatch(p, fromId, n, ByteBuffer.wrap(md.toString().getBytes(StandardCharsets.UTF_8)),
                    offsets, new long[n], sizes, locations, null);
        }

        @Override
        public void readData(List<DataRequest> requests) {
            boolean hits = requests.stream().anyMatch(r -> r.partition() == 0 && r.eventId() == 3);
            for (DataRequest r : requests) {
                if (hits && r.partition() == 0 && r.eventId() >= 3 && DATA_FAILURES.get() < 3) {
                    r.fail(new DiasporaException("server of partition 0 unreachable (data)", null, true));
                } else {
                    r.fillFrom(ByteBuffer.allocate(4).putInt(0, (int) (r.partition() * 100 + r.eventId())));
                }
            }
            if (hits && DATA_FAILURES.get() < 3) {
                DATA_FAILURES.incrementAndGet();
            }
        }
    }

    @org.junit.jupiter.api.BeforeEach
    void reset() {
        DATA_FAILURES.set(0);
        SEEK_FAILURES.set(0);
    }

    @Test
    void aSkippedEventInABatchThatIsReadAgainIsSkippedAndCountedOnce() {
        try (Driver d = Driver.open("engine-test-flaky-data");
                TopicHandle t = d.openTopic("fixed");
                Consumer c = t.consumer(dev.diaspora.stream.ConsumerOptions.named("c").targets(0)
                        .onUnreadableEvent(dev.diaspora.stream.UnreadableEventPolicy.SKIP).dataSelector((md, desc) -> {
                            if (md.json().get("id").asInt() == 5) {
                                throw new IllegalStateException("selector bug on event 5");
                            }
                            return desc;
                        }))) {
            java.util.List<Long> ids = new java.util.ArrayList<>();
            for (int i = 0; i < 9; i++) {
                ids.add(c.poll(Duration.ofSeconds(10)).orElseThrow(() -> new AssertionError("stalled: " + ids)).id());
            }
            assertEquals(java.util.List.of(0L, 1L, 2L, 3L, 4L, 6L, 7L, 8L, 9L), ids);
            assertEquals(3, DATA_FAILURES.get(), "the batch holding event 5 was read again");
            assertEquals(1, c.metrics().eventsSkipped(), "event 5 is skipped once, however often it is read");
        }
    }

    @Test
    void aRetriableDataFailureIsReadAgainWithoutASeekAndLosesNothing() {
        try (Driver d = Driver.open("engine-test-flaky-data");
                TopicHandle t = d.openTopic("fixed");
                Consumer c = t.consumer("c")) {
            long[] next = new long[2];
            while (next[0] < 10 || next[1] < 10) {
                Event e = c.poll(Duration.ofSeconds(10)).orElseThrow(() -> new AssertionError("stalled at "
                        + java.util.Arrays.toString(next)));
                assertEquals(next[e.partition()]++, e.id(), "in order, once");
                assertEquals(e.partition() * 100 + e.id(), ByteBuffer.wrap(e.data().toByteArray()).getInt());
            }
            assertEquals(3, DATA_FAILURES.get(), "the data reads did fail first");
            assertTrue(SEEK_FAILURES.get() >= 2, "the re-read waited for partition 0's server");
        }
    }
}
