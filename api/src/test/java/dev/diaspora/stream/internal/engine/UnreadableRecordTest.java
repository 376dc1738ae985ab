package dev.diaspora.stream.internal.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.CorruptDataException;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.PartitionBounds;
import dev.diaspora.stream.PartitionInfo;
import dev.diaspora.stream.StartAt;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.spi.Appender;
import dev.diaspora.stream.spi.AppenderConfig;
import dev.diaspora.stream.spi.Backend;
import dev.diaspora.stream.spi.BatchAppender;
import dev.diaspora.stream.spi.ChangeNotifier;
import dev.diaspora.stream.spi.DataRequest;
import dev.diaspora.stream.spi.IncomingBatch;
import dev.diaspora.stream.spi.LocalReadSession;
import dev.diaspora.stream.spi.LocalTopic;
import dev.diaspora.stream.spi.Options;
import dev.diaspora.stream.spi.ReadSession;
import dev.diaspora.stream.spi.SessionConfig;
import dev.diaspora.stream.spi.TopicBackend;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * S4 for errors a driver reports while reading records (a record that fails its checksum): the good records before
 * it are delivered, every pull from that partition then fails with the driver's exception until a seek past it, and
 * the other partition keeps flowing. The driver here is a fixed, read-only log of 10 events per partition whose
 * record 5 of partition 0 is unreadable.
 */
@Timeout(30)
class UnreadableRecordTest {
    /** The test driver, registered in this module's test resources as {@code engine-test-unreadable}. */
    public static final class Provider extends FixedTopicDriver {
        public Provider() {
            super("engine-test-unreadable", "api test driver: two partitions of 10 events; partition 0 event 5 is"
                    + " unreadable", true, FixedTopic::new);
        }
    }

    /** {@code n} events of partition {@code p} from {@code fromId}: metadata {@code {"id":<EventID>}}, no data. */
    static IncomingBatch idEvents(int p, long fromId, int n) {
        return FixedTopic.batch(p, fromId, n, null);
    }

    /** @return a backend whose every topic is a new {@code topic} (for the engine tests' fixed drivers) */
    static Backend backendOf(java.util.function.Supplier<TopicBackend> topic) {
        return new Backend() {
            @Override
            public void createTopic(String name, Options topicOptions, Metadata components) {
            }

            @Override
            public TopicBackend openTopic(String name) {
                return topic.get();
            }

            @Override
            public boolean topicExists(String name) {
                return true;
            }

            @Override
            public Map<String, Metadata> listTopics() {
                return Map.of();
            }

            @Override
            public void deleteTopic(String name) {
            }

            @Override
            public void close() {
            }
        };
    }

    static class FixedTopic implements TopicBackend, LocalTopic {
        private final ChangeNotifier notifier = new ChangeNotifier();

        @Override
        public String name() {
            return "fixed";
        }

        @Override
        public List<PartitionInfo> partitions() {
            return List.of(new PartitionInfo(0, Metadata.EMPTY), new PartitionInfo(1, Metadata.EMPTY));
        }

        @Override
        public Metadata components() {
            return Metadata.EMPTY;
        }

        @Override
        public int numPartitions() {
            return 2;
        }

        @Override
        public PartitionBounds bounds(int p) {
            return new PartitionBounds(0, 10);
        }

        @Override
        public long idForTime(int p, Instant time) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Appender appender(AppenderConfig config) {
            return (BatchAppender) (p, b, done) -> done.completeExceptionally(new IllegalStateException("read-only"));
        }

        @Override
        public ReadSession openSession(SessionConfig config) {
            return new LocalReadSession(this, config);
        }

        @Override
        public IncomingBatch read(int p, long fromId, int maxEvents, long maxBytes) {
            if (fromId >= 10) {
                return null;
            }
            long end = p == 0 && fromId <= 5 ? 5 : 10;
            int n = (int) Math.min(maxEvents, end - fromId);
            if (n == 0) {
                return IncomingBatch.failure(p, fromId, new CorruptDataException("partition 0, event 5: metadata"
                        + " fails its checksum"));
            }
            return batch(p, fromId, n, end == 5 && fromId + n == 5
                    ? new CorruptDataException("partition 0, event 5: metadata fails its checksum") : null);
        }

        /** @return events {@code fromId..fromId+n-1} of partition {@code p}, metadata {@code {"id":<id>}}, no data */
        static IncomingBatch batch(int p, long fromId, int n, CorruptDataException errorAfter) {
            StringBuilder md = new StringBuilder();
            int[] offsets = new int[n + 1];
            for (int i = 0; i < n; i++) {
                md.append("{\"id\":").append(fromId + i).append('}');
                offsets[i + 1] = md.length();
            }
            return new IncomingBatch(p, fromId, n, ByteBuffer.wrap(md.toString().getBytes(StandardCharsets.UTF_8)),
                    offsets, new long[n], new long[n], new long[n], null, errorAfter);
        }

        @Override
        public void readData(List<DataRequest> requests) {
        }

        @Override
        public Map<Integer, Long> committed(String name) {
            return Map.of();
        }

        @Override
        public void commit(String name, Map<Integer, Long> positions) {
        }

        @Override
        public AutoCloseable tryLease(String name, int p) {
            return () -> { };
        }

        @Override
        public ChangeNotifier notifier() {
            return notifier;
        }

        @Override
        public Set<String> consumerNames() {
            return Set.of();
        }

        @Override
        public void storePositions(String name, Map<Integer, Long> positions) {
        }

        @Override
        public void close() {
        }
    }

    @Test
    void anUnreadableRecordFailsItsPartitionUntilSeekWhileTheOtherPartitionFlows() {
        try (Driver d = Driver.open("engine-test-unreadable");
                TopicHandle t = d.openTopic("fixed");
                Consumer c = t.consumer("c")) {
            long[] next = new long[2];
            int failures = 0;
            while (next[1] < 10 || next[0] < 5) {
                try {
                    Event e = c.poll(Duration.ofSeconds(5)).orElseThrow();
                    assertEquals(next[e.partition()]++, e.id());
                    assertEquals(e.id(), e.metadata().json().get("id").asLong());
                } catch (CorruptDataException err) {
                    failures++;
                    assertTrue(err.getMessage().contains("event 5"), err.getMessage());
                }
            }
            assertEquals(5, next[0]);
            for (int i = 0; i < 3; i++) {
                CorruptDataException err = assertThrows(CorruptDataException.class,
                        () -> c.poll(Duration.ofSeconds(5)));
                assertTrue(err.getMessage().contains("partition 0, event 5"), err.getMessage());
            }
            c.seek(0, StartAt.id(6));
            for (long id = 6; id < 10; id++) {
                Event e = c.poll(Duration.ofSeconds(5)).orElseThrow();
                assertEquals(0, e.partition());
                assertEquals(id, e.id());
            }
        }
    }
}
