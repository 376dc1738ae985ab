package dev.diaspora.stream.tck;

import static dev.diaspora.stream.tck.Tck.md;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import dev.diaspora.stream.BatchSize;
import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataAllocator;
import dev.diaspora.stream.DataDescriptor;
import dev.diaspora.stream.DataSelector;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.StartAt;
import dev.diaspora.stream.TopicHandle;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Rules S12 to S14, S16 and R12 (what a consumer receives): allocations trimmed to the selection, no allocation
 * for empty selections or empty data, default options receiving the data, metadata text delivered verbatim, tiny
 * reads and prefetch bounds, prefetched allocations released. Split from {@link ConsumerContract}; the test names are
 * unchanged.
 */
public interface ConsumerDataContract extends TckFixture {
    /**
     * S12: an allocator may return a larger view, or several segments; the event's data is exactly the selected
     * bytes, each segment's [position, limit) covering its part.
     */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_S12_largerOrSegmentedAllocationIsTrimmedToSelection() {
        TopicHandle topic = newTopic(1);
        try (Producer producer = topic.producer()) {
            for (int i = 0; i < 3; i++) {
                producer.push(md("{\"kind\":" + i + "}"), DataView.of(ByteBuffer.wrap(Tck.utf8(Tck.LOWER)),
                        ByteBuffer.wrap(Tck.utf8(Tck.UPPER))));
            }
            await(producer.flush(), "S12: flush");
        }
        DataAllocator allocator = (m, d) -> {
            switch (m.json().get("kind").asInt()) {
                case 0:
                    return DataView.of(ByteBuffer.allocateDirect((int) d.size() + 74));
                case 1:
                    return DataView.of(ByteBuffer.allocate(10), ByteBuffer.allocateDirect(7), ByteBuffer.allocate(0),
                            ByteBuffer.allocate(20));
                default:
                    ByteBuffer big = ByteBuffer.allocate(100);
                    big.position(30).limit(90);
                    return DataView.of(big);
            }
        };
        try (Consumer consumer = topic.consumer(ConsumerOptions.named("tck")
                .dataSelector((m, d) -> d.makeSubView(13, 26)).dataAllocator(allocator))) {
            for (int i = 0; i < 3; i++) {
                Event e = nextEvent(consumer, "S12: event " + i);
                assertEquals(26, e.data().size(), "S12: data().size() of allocation kind " + i);
                assertEquals("nopqrstuvwxyzABCDEFGHIJKLM", Tck.text(e.data()), "S12: bytes of allocation kind " + i);
                long covered = 0;
                for (ByteBuffer s : e.data().segments()) {
                    covered += s.remaining();
                }
                assertEquals(26, covered, "S12: segments' [position, limit) must cover exactly the selected bytes"
                        + " (allocation kind " + i + ")");
            }
        }
    }

    /**
     * S12: the allocator is not called when the selection is empty (no data stored, selector NONE, selector null, an
     * empty sub-view), and the event's data is empty.
     */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_S12_allocatorNotCalledForEmptySelection() {
        TopicHandle topic = newTopic(1);
        try (Producer producer = topic.producer()) {
            producer.push(md("{\"case\":\"no data\"}"), DataView.EMPTY);
            producer.push(md("{\"case\":\"none\"}"), DataView.of(new byte[10]));
            producer.push(md("{\"case\":\"null\"}"), DataView.of(new byte[10]));
            producer.push(md("{\"case\":\"empty view\"}"), DataView.of(new byte[10]));
            await(producer.flush(), "S12: flush");
        }
        ConcurrentLinkedQueue<String> calls = new ConcurrentLinkedQueue<>();
        DataSelector selector = (m, d) -> {
            switch (m.json().get("case").asText()) {
                case "none":
                    return DataDescriptor.NONE;
                case "null":
                    return null;
                case "empty view":
                    return d.makeSubView(4, 0);
                default:
                    return d;
            }
        };
        try (Consumer consumer = topic.consumer(ConsumerOptions.named("tck").dataSelector(selector)
                .dataAllocator((m, d) -> {
                    calls.add(m.toString());
                    return DataView.of(new byte[(int) d.size()]);
                }))) {
            for (Event e : nextEvents(consumer, 4, "S12")) {
                assertEquals(0, e.data().size(), "S12: data of " + e.metadata());
            }
        }
        assertTrue(calls.isEmpty(), "S12: the allocator was called for empty selections: " + calls);
    }

    /** S13: a consumer with default options receives the data (selector ALL, heap allocator). */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_S13_defaultConsumerReceivesTheData() {
        TopicHandle topic = newTopic(1);
        try (Producer producer = topic.producer()) {
            pushNumbered(producer, 3);
        }
        try (Consumer consumer = topic.consumer("tck")) {
            for (int i = 0; i < 3; i++) {
                Event e = nextEvent(consumer, "S13");
                assertArrayEquals(numberedData(i), e.data().toByteArray(), "S13: data of event " + i);
                assertFalse(e.data().isDirect(), "S13: the default allocator is heap()");
            }
        }
    }

    /**
     * S14: the metadata text comes back exactly as pushed: whitespace, escapes, unicode, number spellings; for a
     * driver without {@code Capabilities.metadataVerbatim}, the same JSON value (numbers compared as doubles).
     */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_S14_metadataTextDeliveredVerbatim() {
        List<String> texts = List.of(
                "{}",
                "{ \"b\" : 1,\n  \"a\" :\t[ 1 , 2.50 , -0.0e+0, 1E3 ] }",
                "{\"esc\":\"q\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0001\",\"uni\":\"h\\u00e9llo \\ud83d\\ude00\"}",
                "{\"raw\":\"h\u00e9llo \ud83d\ude00 \u65e5\u672c\u8a9e\"}",
                "{\"nested\":{\"deep\":[{\"x\":null},true,false,[]],\"n\":123456789012345678901234567890}}",
                "{\"event_num\":42,\"big\":\"" + "x".repeat(10_000) + "\"}");
        TopicHandle topic = newTopic(1);
        try (Producer producer = topic.producer()) {
            for (String t : texts) {
                producer.push(md(t), DataView.EMPTY);
            }
            await(producer.flush(), "S14: flush");
        }
        try (Consumer consumer = topic.consumer("tck")) {
            for (int i = 0; i < texts.size(); i++) {
                Event e = nextEvent(consumer, "S14: event " + i);
                if (capabilities().metadataVerbatim()) {
                    assertEquals(texts.get(i), e.metadata().toString(), "S14: metadata text of event " + i);
                } else {
                    assertTrue(Tck.sameJsonValue(md(texts.get(i)).json(), e.metadata().json()),
                            "S14: metadata value of event " + i + " (a driver that re-writes the text): sent "
                                    + texts.get(i) + ", received " + e.metadata());
                }
                assertTrue(e.metadata().json().isObject(), "S14: metadata of event " + i + " parses");
            }
        }
    }

    /**
     * S16: one-event reads, one batch ahead and a prefetch bound smaller than one event still deliver everything, in
     * order per partition.
     */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_S16_tinyReadsAndPrefetchBoundStillDeliverEverything() {
        TopicHandle topic = newTopic(2);
        int n = env().events(40);
        try (Producer producer = topic.producer()) {
            pushNumbered(producer, n);
        }
        try (Consumer consumer = topic.consumer(ConsumerOptions.named("tck").batchSize(BatchSize.of(1))
                .maxPrefetchBatches(1).maxPrefetchBytes(8))) {
            long[] next = new long[2];
            for (Event e : nextEvents(consumer, n, "S16")) {
                assertEquals(next[e.partition()]++, e.id(), "S16: order within partition " + e.partition());
                assertArrayEquals(numberedData((int) Tck.field(e, "event_num")), e.data().toByteArray(), "S16: data");
            }
            assertNoMoreEvents(consumer, "S16");
        }
    }

    /**
     * S16: every view an allocator gives is either delivered in an event or handed back through
     * {@code DataAllocator.release} (prefetched events dropped by seek or close), exactly once.
     */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_S16_droppedPrefetchedAllocationsAreReleased() {
        TopicHandle topic = newTopic(1);
        try (Producer producer = topic.producer()) {
            pushNumbered(producer, 20);
        }
        Set<DataView> allocated = Collections.newSetFromMap(new IdentityHashMap<>());
        List<DataView> released = new ArrayList<>();
        DataAllocator allocator = new DataAllocator() {
            @Override
            public DataView allocate(Metadata m, DataDescriptor d) {
                DataView v = DataView.of(new byte[(int) d.size()]);
                synchronized (allocated) {
                    allocated.add(v);
                }
                return v;
            }

            @Override
            public void release(DataView view) {
                synchronized (allocated) {
                    released.add(view);
                }
            }
        };
        Set<DataView> delivered = Collections.newSetFromMap(new IdentityHashMap<>());
        try (Consumer consumer = topic.consumer(ConsumerOptions.named("tck").dataAllocator(allocator))) {
            for (Event e : nextEvents(consumer, 3, "S16")) {
                delivered.add(e.data());
            }
            consumer.seek(0, StartAt.id(10));
            for (Event e : nextEvents(consumer, 2, "S16: after seek")) {
                assertTrue(e.id() == 10 || e.id() == 11, "S16: id after seek " + e.id());
                delivered.add(e.data());
            }
        }
        synchronized (allocated) {
            Set<DataView> once = Collections.newSetFromMap(new IdentityHashMap<>());
            for (DataView v : released) {
                assertTrue(allocated.contains(v), "S16: release() of a view the allocator did not give");
                assertFalse(delivered.contains(v), "S16: release() of a view that was delivered to the application");
                assertTrue(once.add(v), "S16: a view was released twice");
            }
            for (DataView v : allocated) {
                assertTrue(delivered.contains(v) || once.contains(v), "S16: " + allocated.size()
                        + " views allocated, " + delivered.size() + " delivered, " + released.size()
                        + " released: a prefetched view was dropped without release()");
            }
        }
    }

    /** R12: an event with no data round trips with empty data, and the allocator is not called. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R12_emptyDataRoundTrips() {
        TopicHandle topic = newTopic(1);
        try (Producer producer = topic.producer()) {
            await(producer.push(md("{\"empty\":true}"), DataView.EMPTY), "R12: push of empty data");
            await(producer.push(md("{\"empty\":\"segments\"}"), DataView.of(ByteBuffer.allocate(0),
                    ByteBuffer.allocateDirect(0))), "R12: push of zero-length segments");
        }
        AtomicInteger calls = new AtomicInteger();
        try (Consumer consumer = topic.consumer(ConsumerOptions.named("tck").dataAllocator((m, d) -> {
            calls.incrementAndGet();
            return DataView.of(new byte[(int) d.size()]);
        }))) {
            for (Event e : nextEvents(consumer, 2, "R12")) {
                assertEquals(0, e.data().size(), "R12: data().size() of an event without data");
            }
        }
        assertEquals(0, calls.get(), "S12: the allocator must not be called for events without data");
    }
}
