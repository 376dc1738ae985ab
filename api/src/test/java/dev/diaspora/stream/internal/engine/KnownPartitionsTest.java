package dev.diaspora.stream.internal.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.diaspora.stream.Driver;
import dev.diaspora.stream.PartitionInfo;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.spi.AbstractDriverProvider;
import dev.diaspora.stream.spi.Backend;
import dev.diaspora.stream.spi.Capabilities;
import dev.diaspora.stream.spi.OptionSchema;
import dev.diaspora.stream.spi.Options;
import dev.diaspora.stream.spi.Partitions;
import java.util.List;
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

    /** The test driver, registered in this module's test resources as {@code engine-test-growing}. */
    public static final class Provider extends AbstractDriverProvider {
        public Provider() {
            super("engine-test-growing", "api test driver: a topic whose partitions the test adds",
                    OptionSchema.of(), OptionSchema.topicOptions(), new Capabilities(false, false, false, false,
                            false, 1 << 20));
        }

        @Override
        public Backend open(Options options) {
            return UnreadableRecordTest.backendOf(() -> new UnreadableRecordTest.FixedTopic() {
                @Override
                public List<PartitionInfo> partitions() {
                    calls.incrementAndGet();
                    return Partitions.plain(count);
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
}
