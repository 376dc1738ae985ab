package dev.diaspora.stream.internal.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.CorruptDataException;
import dev.diaspora.stream.DataDescriptor;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.EventsLostException;
import dev.diaspora.stream.PartitionBounds;
import dev.diaspora.stream.StartAt;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.UnreadableEventPolicy;
import dev.diaspora.stream.spi.DataRequest;
import dev.diaspora.stream.spi.IncomingBatch;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Events the engine cannot deliver ({@link UnreadableEventPolicy}) and ranges a driver reports lost
 * ({@link EventsLostException}). The driver is a fixed log: partition 0 holds events 0..9 whose record 5 fails its
 * checksum and whose event 7's data fails its checksum; partition 1 holds events 0..3 and 7..11, and reports 4..6 lost.
 * Stored positions are kept in {@link #COMMITTED} so that a restart can be checked.
 */
@Timeout(30)
class PoisonEventTest {
    static final Map<Integer, Long> COMMITTED = new ConcurrentHashMap<>();

    /** The test driver, registered in this module's test resources as {@code engine-test-poison}. */
    public static final class Provider extends FixedTopicDriver {
        public Provider() {
            super("engine-test-poison", "api test driver: partition 0 record 5 and event 7's data are damaged,"
                    + " partition 1 events 4..6 are lost", true, PoisonTopic::new);
        }
    }

    static final class PoisonTopic extends UnreadableRecordTest.FixedTopic {
        @Override
        public PartitionBounds bounds(int p) {
            return new PartitionBounds(0, p == 0 ? 10 : 12);
        }

        @Override
        public IncomingBatch read(int p, long fromId, int maxEvents, long maxBytes) {
            if (fromId >= (p == 0 ? 10 : 12)) {
                return null;
            }
            if (p == 0 && fromId == 5) {
                return IncomingBatch.failure(p, 5, corruptRecord());
            }
            if (p == 1 && fromId >= 4 && fromId <= 6) {
                return IncomingBatch.failure(p, fromId, new EventsLostException(1, fromId, 6, "a test"));
            }
            long end = p == 0 ? (fromId < 5 ? 5 : 10) : (fromId < 4 ? 4 : 12);
            int n = (int) Math.min(maxEvents, end - fromId);
            DiasporaException error = null;
            if (fromId + n == end && end == 5 && p == 0) {
                error = corruptRecord();
            } else if (fromId + n == end && end == 4 && p == 1) {
                error = new EventsLostException(1, 4, 6, "a test");
            }
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
                    offsets, new long[n], sizes, locations, null, error);
        }

        private static CorruptDataException corruptRecord() {
            return new CorruptDataException("partition 0, event 5: metadata fails its checksum");
        }

        @Override
        public void readData(List<DataRequest> requests) {
            for (DataRequest r : requests) {
                if (r.partition() == 0 && r.eventId() == 7) {
                    r.fail(new CorruptDataException("partition 0, event 7: data fails its checksum"));
                } else {
                    r.fillFrom(ByteBuffer.allocate(4).putInt(0, (int) (r.partition() * 100 + r.eventId())));
                }
            }
        }

        @Override
        public Map<Integer, Long> committed(String name) {
            return Map.copyOf(COMMITTED);
        }

        @Override
        public void commit(String name, Map<Integer, Long> positions) {
            COMMITTED.putAll(positions);
        }
    }

    @BeforeEach
    void clear() {
        COMMITTED.clear();
    }

    /** Polls until {@code want} events came, 2 s pass with none or 5 errors; records errors as their class. */
    static List<String> drain(Consumer c, int want) {
        List<String> got = new ArrayList<>();
        int events = 0;
        int errors = 0;
        while (events < want && errors < 5) {
            try {
                Optional<Event> e = c.poll(Duration.ofSeconds(2));
                if (e.isEmpty()) {
                    break;
                }
                got.add(e.get().partition() + "/" + e.get().id());
                events++;
            } catch (DiasporaException x) {
                got.add(x.getClass().getSimpleName());
                errors++;
            }
        }
        return got;
    }

    @Test
    void failNamesThePartitionTheEventIdAndTheWayPast() {
        try (Driver d = Driver.open("engine-test-poison");
                TopicHandle t = d.openTopic("fixed");
                Consumer c = t.consumer(ConsumerOptions.named("c").targets(0))) {
            for (int i = 0; i < 5; i++) {
                assertEquals(i, c.poll(Duration.ofSeconds(5)).orElseThrow().id());
            }
            for (int i = 0; i < 2; i++) { // sticky, as before
                CorruptDataException e = assertThrows(CorruptDataException.class, () -> c.poll(Duration.ofSeconds(5)));
                String m = e.getMessage();
                assertTrue(m.contains("partition 0, event 5"), m);
                assertTrue(m.contains("fails its checksum"), m);
                assertTrue(m.contains("seek(0, StartAt.id(6))"), m);
                assertTrue(m.contains("onUnreadableEvent(UnreadableEventPolicy.SKIP)"), m);
            }
        }
    }

    @Test
    void failingSelectorUnderFailNamesThePartitionTheEventIdAndTheWayPast() {
        try (Driver d = Driver.open("engine-test-poison");
                TopicHandle t = d.openTopic("fixed");
                Consumer c = t.consumer(ConsumerOptions.named("c").targets(0).dataSelector((md, desc) -> {
                    if (md.json().get("id").asInt() == 2) {
                        return desc.makeUnstructuredView(new DataDescriptor.Range(0, 100)); // out of bounds
                    }
                    return desc;
                }))) {
            assertEquals(0, c.poll(Duration.ofSeconds(5)).orElseThrow().id());
            assertEquals(1, c.poll(Duration.ofSeconds(5)).orElseThrow().id());
            DiasporaException e = assertThrows(DiasporaException.class, () -> c.poll(Duration.ofSeconds(5)));
            String m = e.getMessage();
            assertTrue(m.contains("partition 0, event 2"), m);
            assertTrue(m.contains("seek(0, StartAt.id(3))"), m);
            assertTrue(m.contains("UnreadableEventPolicy.SKIP"), m);
            c.seek(0, StartAt.id(3));
            assertEquals(3, c.poll(Duration.ofSeconds(5)).orElseThrow().id());
        }
    }

    @Test
    void skipGoesPastDamagedRecordsDamagedDataAndFailingSelectorsCountingEach() {
        try (Driver d = Driver.open("engine-test-poison");
                TopicHandle t = d.openTopic("fixed");
                Consumer c = t.consumer(ConsumerOptions.named("c").targets(0)
                        .onUnreadableEvent(UnreadableEventPolicy.SKIP).dataSelector((md, desc) -> {
                            if (md.json().get("id").asInt() == 2) {
                                throw new IllegalStateException("selector bug on event 2");
                            }
                            return desc;
                        }))) {
            List<String> got = drain(c, 7);
            assertEquals(List.of("0/0", "0/1", "0/3", "0/4", "0/6", "0/8", "0/9"), got,
                    "event 2 (selector), 5 (record) and 7 (data) skipped, no error surfaced");
            assertEquals(3, c.metrics().eventsSkipped());
            assertEquals(10, c.position(0), "the position moved past the skipped events");
        }
    }

    @Test
    void skippedEventsCountAsConsumedSoARestartDoesNotMeetThemAgain() {
        ConsumerOptions o = ConsumerOptions.named("c").targets(0).onUnreadableEvent(UnreadableEventPolicy.SKIP);
        try (Driver d = Driver.open("engine-test-poison"); TopicHandle t = d.openTopic("fixed")) {
            try (Consumer c = t.consumer(o)) {
                for (long id : new long[] {0, 1, 2, 3, 4}) {
                    Event e = c.poll(Duration.ofSeconds(5)).orElseThrow();
                    assertEquals(id, e.id());
                    e.acknowledge();
                }
                Event six = c.poll(Duration.ofSeconds(5)).orElseThrow();
                assertEquals(6, six.id());
                c.commit().join();
                assertEquals(6L, COMMITTED.get(0), "everything before skipped event 5 was acknowledged: so is 5");
                six.acknowledge();
                c.commit().join();
                assertEquals(8L, COMMITTED.get(0), "acknowledging 6 steps over skipped event 7");
            }
            try (Consumer again = t.consumer(o)) {
                assertEquals(8, again.poll(Duration.ofSeconds(5)).orElseThrow().id());
                assertEquals(0, again.metrics().eventsSkipped(), "a restart does not meet the skipped events");
            }
        }
    }

    @Test
    void eventsLostIsDeliveredToExactlyOnePollCountedAndTheConsumerGoesOn() {
        try (Driver d = Driver.open("engine-test-poison");
                TopicHandle t = d.openTopic("fixed");
                Consumer c = t.consumer(ConsumerOptions.named("c").targets(1))) {
            for (int i = 0; i < 4; i++) {
                assertEquals(i, c.poll(Duration.ofSeconds(5)).orElseThrow().id());
            }
            EventsLostException lost = assertThrows(EventsLostException.class, () -> c.poll(Duration.ofSeconds(5)));
            assertEquals(1, lost.partition());
            assertEquals(4, lost.firstLostId());
            assertEquals(6, lost.lastLostId());
            assertEquals(3, c.metrics().eventsLost());
            for (int i = 7; i < 12; i++) {
                assertEquals(i, c.poll(Duration.ofSeconds(5)).orElseThrow().id(), "the partition goes on");
            }
            assertTrue(c.poll(Duration.ofMillis(300)).isEmpty(), "reported once");
            assertEquals(3, c.metrics().eventsLost());
        }
    }

    @Test
    void eventsLostIsDeliveredToExactlyOnePullToo() {
        try (Driver d = Driver.open("engine-test-poison");
                TopicHandle t = d.openTopic("fixed");
                Consumer c = t.consumer(ConsumerOptions.named("c").targets(1))) {
            List<java.util.concurrent.CompletableFuture<Event>> pulls = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                pulls.add(c.pull());
            }
            List<String> got = new ArrayList<>();
            for (var f : pulls) {
                try {
                    got.add(String.valueOf(f.get(5, java.util.concurrent.TimeUnit.SECONDS).id()));
                } catch (java.util.concurrent.ExecutionException e) {
                    got.add(e.getCause().getClass().getSimpleName());
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            }
            assertEquals(List.of("0", "1", "2", "3", "EventsLostException", "7", "8", "9", "10", "11"), got);
        }
    }

    @Test
    void processAndIterationGoPastALostRangeWhichIsCounted() {
        try (Driver d = Driver.open("engine-test-poison"); TopicHandle t = d.openTopic("fixed")) {
            try (Consumer c = t.consumer(ConsumerOptions.named("c").targets(1))) {
                List<Long> ids = new ArrayList<>();
                long n = c.process(e -> ids.add(e.id()), Duration.ofMillis(500), 9, null);
                assertEquals(9, n);
                assertEquals(List.of(0L, 1L, 2L, 3L, 7L, 8L, 9L, 10L, 11L), ids);
                assertEquals(3, c.metrics().eventsLost());
            }
            try (Consumer c = t.consumer(ConsumerOptions.named("i").targets(1))) {
                List<Long> ids = new ArrayList<>();
                c.iterator(Duration.ofMillis(500)).forEachRemaining(e -> ids.add(e.id()));
                assertEquals(List.of(0L, 1L, 2L, 3L, 7L, 8L, 9L, 10L, 11L), ids);
                assertEquals(3, c.metrics().eventsLost());
            }
            try (Consumer c = t.consumer(ConsumerOptions.named("s").targets(1))) {
                assertEquals(9, c.stream().limit(9).count());
                assertEquals(3, c.metrics().eventsLost());
            }
        }
    }

    @Test
    void acknowledgingTheEventBeforeALostRangeStoresAPositionAfterIt() {
        try (Driver d = Driver.open("engine-test-poison");
                TopicHandle t = d.openTopic("fixed");
                Consumer c = t.consumer(ConsumerOptions.named("c").targets(1))) {
            Event last = null;
            for (int i = 0; i < 4; i++) {
                last = c.poll(Duration.ofSeconds(5)).orElseThrow();
            }
            assertThrows(EventsLostException.class, () -> c.poll(Duration.ofSeconds(5)));
            last.acknowledge();
            c.commit().join();
            assertEquals(7L, COMMITTED.get(1));
        }
    }
}
