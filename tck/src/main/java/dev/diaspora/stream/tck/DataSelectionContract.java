package dev.diaspora.stream.tck;

import static dev.diaspora.stream.tck.Tck.md;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataAllocator;
import dev.diaspora.stream.DataDescriptor;
import dev.diaspora.stream.DataDescriptor.Range;
import dev.diaspora.stream.DataSelector;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.TopicHandle;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Rules R12 and R13: data round trips (empty, multi-segment, large) and data selection. Ports the C++
 * DataSelectionTest (one event of two segments, {@code "a..z"} and {@code "A..Z"}, read through five selections) and
 * adds stacked views, which compose (docs/differences.md: C++ intersects them and reads the wrong bytes).
 */
public interface DataSelectionContract extends TckFixture {
    /**
     * Pushes the 52-byte two-segment event to a new topic and reads it with this selector and allocator.
     *
     * @return the event
     */
    private Event readSelected(DataSelector selector, DataAllocator allocator, String context) {
        TopicHandle topic = newTopic(1);
        try (Producer producer = topic.producer()) {
            await(producer.push(md("{}"), DataView.of(ByteBuffer.wrap(Tck.utf8(Tck.LOWER)),
                    ByteBuffer.wrap(Tck.utf8(Tck.UPPER)))), context + ": push");
            await(producer.flush(), context + ": flush");
        }
        try (Consumer consumer = topic.consumer(ConsumerOptions.named("tck").dataSelector(selector)
                .dataAllocator(allocator))) {
            Event e = nextEvent(consumer, context);
            assertNoMoreEvents(consumer, context);
            return e;
        }
    }

    private void checkSelection(UnaryOperator<DataDescriptor> view, String expected, String context) {
        AtomicReference<DataDescriptor> given = new AtomicReference<>();
        Event e = readSelected((m, d) -> {
            given.set(d);
            return view.apply(d);
        }, DataAllocator.heap(), context);
        assertEquals(52, given.get().size(), context + ": the selector must receive the whole data (52 bytes)");
        assertEquals(expected.length(), e.data().size(), context + ": data().size()");
        assertEquals(expected, Tck.text(e.data()), context + ": selected bytes");
    }

    /** R13 (C++ section 1): a selector returning NONE and an allocator returning EMPTY give an event with no data. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R13_noDataSelectionDeliversNoData() {
        AtomicInteger calls = new AtomicInteger();
        Event e = readSelected((m, d) -> DataDescriptor.NONE, (m, d) -> {
            calls.incrementAndGet();
            return DataView.EMPTY;
        }, "R13 none");
        assertEquals(0, e.data().size(), "R13: data().size() with a NONE selection");
        assertEquals(0, calls.get(), "S12: the allocator must not be called for an empty selection");
    }

    /** R13 (C++ section 2): the whole data arrives in the allocator's single segment, the pushed segments joined. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R13_wholeDataArrivesInOneSegment() {
        Event e = readSelected((m, d) -> d, (m, d) -> DataView.of(new byte[(int) d.size()]), "R13 whole");
        assertEquals(1, e.data().segmentCount(), "R13: segments of the whole data");
        assertEquals(Tck.LOWER + Tck.UPPER, Tck.text(e.data()), "R13: whole data");
    }

    /** R13 (C++ section 3): {@code makeSubView(13, 26)}. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R13_subViewSelectsExactBytes() {
        checkSelection(d -> d.makeSubView(13, 26), "nopqrstuvwxyzABCDEFGHIJKLM", "R13 sub(13,26)");
    }

    /** R13 (C++ section 4): {@code makeStridedView(13, 3, 4, 2)}. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R13_stridedViewSelectsExactBytes() {
        checkSelection(d -> d.makeStridedView(13, 3, 4, 2), "nopqtuvwzABC", "R13 strided(13,3,4,2)");
    }

    /** R13 (C++ section 5): {@code makeUnstructuredView({3,6},{15,4},{27,8})}. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R13_unstructuredViewSelectsExactBytes() {
        checkSelection(d -> d.makeUnstructuredView(new Range(3, 6), new Range(15, 4), new Range(27, 8)),
                "defghipqrsBCDEFGHI", "R13 unstructured({3,6},{15,4},{27,8})");
    }

    /**
     * R13: a sub-view across the boundary of the pushed segments, and a sub-view and a strided view clamped at the end
     * of the data.
     */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R13_subViewAcrossSegmentsAndClampedAtEnd() {
        checkSelection(d -> d.makeSubView(20, 12), "uvwxyzABCDEF", "R13 sub(20,12) across the segment boundary");
        checkSelection(d -> d.makeSubView(40, 100), "OPQRSTUVWXYZ", "R13 sub(40,100) clamped at the end");
        checkSelection(d -> d.makeStridedView(40, 3, 8, 2), "OPQRSTUVYZ",
                "R13 strided(40,3,8,2) clamped at the end like a sub-view (second block cut, third dropped)");
    }

    /**
     * R13: stacked views compose, each view's offsets relative to the view it refines (C++ intersects the
     * absolute ranges instead).
     */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R13_stackedViewsCompose() {
        checkSelection(d -> d.makeSubView(13, 26).makeStridedView(1, 3, 4, 2), "opqruvwxABCD",
                "R13 sub(13,26) then strided(1,3,4,2)");
        checkSelection(d -> d.makeSubView(4, 8).makeSubView(2, 3), "ghi", "R13 sub(4,8) then sub(2,3)");
        checkSelection(d -> d.makeSubView(10, 16).makeStridedView(0, 3, 2, 3), "klpquv",
                "R13 sub(10,16) then strided(0,3,2,3)");
        checkSelection(d -> d.makeUnstructuredView(new Range(3, 6), new Range(15, 4), new Range(27, 8))
                .makeSubView(2, 10), "fghipqrsBC", "R13 unstructured then sub(2,10)");
        checkSelection(d -> d.makeStridedView(0, 4, 10, 3)
                .makeUnstructuredView(new Range(0, 2), new Range(9, 3), new Range(25, 5)), "abjnoFGHIJ",
                "R13 strided(0,4,10,3) then unstructured({0,2},{9,3},{25,5})");
        checkSelection(d -> d.makeUnstructuredView(new Range(1, 20), new Range(30, 20)).makeStridedView(2, 5, 5, 2)
                .makeSubView(3, 15), "ghklmnorstuEHIJ", "R13 unstructured then strided then sub (3 deep)");
    }

    /**
     * R12: a large event of three segments (heap, direct, heap; about 24 MiB, bounded by the driver's
     * {@code maxEventSize}) round trips whole into a direct allocation, and a sub-view across its segments reads
     * exactly those bytes.
     */
    @Test
    @Timeout(value = 180, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R12_bigEventRoundTrips() {
        long limit = capabilities().maxEventSize() - 4096;
        int total = (int) Math.max(3, Math.min(24L << 20, limit));
        int a = total / 3;
        int b = total / 3 + 17;
        int c = total - a - b;
        byte[] bytes = new byte[total];
        new SplittableRandom(env().seed()).nextBytes(bytes);
        ByteBuffer s1 = ByteBuffer.wrap(bytes, 0, a).slice();
        ByteBuffer s2 = ByteBuffer.allocateDirect(b);
        s2.put(bytes, a, b).flip();
        ByteBuffer s3 = ByteBuffer.wrap(bytes, a + b, c).slice();
        TopicHandle topic = newTopic(1);
        try (Producer producer = topic.producer()) {
            await(producer.push(md("{\"big\":" + total + "}"), DataView.of(s1, s2, s3)), "R12: push of " + total
                    + " bytes");
        }
        try (Consumer consumer = topic.consumer(ConsumerOptions.named("whole").dataAllocator(DataAllocator.direct()))) {
            Event e = nextEvent(consumer, "R12: big event");
            assertEquals(total, e.data().size(), "R12: size of the big event");
            assertTrue(Arrays.equals(bytes, e.data().toByteArray()), "R12: the " + total
                    + " bytes of the big event differ from those pushed");
        }
        long off = Math.max(0, a - 1000);
        long len = Math.min(b + 2000L, total - off);
        try (Consumer consumer = topic.consumer(ConsumerOptions.named("part")
                .dataSelector((m, d) -> d.makeSubView(off, len)))) {
            Event e = nextEvent(consumer, "R12: sub-view of the big event");
            assertArrayEquals(Arrays.copyOfRange(bytes, (int) off, (int) (off + len)), e.data().toByteArray(),
                    "R12: sub-view [" + off + ", " + (off + len) + ") of the big event");
        }
    }

    /** R12: events with data of many sizes and segmentations round trip exactly, heap and direct. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R12_dataOfManyShapesRoundTrips() {
        int[] sizes = {1, 2, 7, 255, 256, 4095, 4096, 4097, 65_535, 65_536, 65_537, 300_000};
        TopicHandle topic = newTopic(1);
        SplittableRandom random = env().random(12);
        byte[][] expected = new byte[sizes.length][];
        try (Producer producer = topic.producer()) {
            for (int i = 0; i < sizes.length; i++) {
                expected[i] = new byte[sizes[i]];
                random.nextBytes(expected[i]);
                int cut = sizes[i] / 3;
                ByteBuffer first = ByteBuffer.wrap(expected[i], 0, cut).slice();
                ByteBuffer second = ByteBuffer.allocateDirect(sizes[i] - cut);
                second.put(expected[i], cut, sizes[i] - cut).flip();
                producer.push(md("{\"i\":" + i + "}"), i % 2 == 0 ? DataView.of(expected[i])
                        : DataView.of(first, second));
            }
            await(producer.flush(), "R12: flush");
        }
        try (Consumer consumer = topic.consumer(ConsumerOptions.named("tck")
                .dataAllocator((m, d) -> m.json().get("i").asInt() % 3 == 0 ? DataAllocator.direct().allocate(m, d)
                        : DataAllocator.heap().allocate(m, d)))) {
            for (int i = 0; i < sizes.length; i++) {
                Event e = nextEvent(consumer, "R12: event " + i);
                assertArrayEquals(expected[i], e.data().toByteArray(), "R12: data of " + sizes[i] + " bytes (event "
                        + i + ")");
            }
        }
    }

    /**
     * R12 (data ownership): a driver fills each target only during the {@code readData} call it was given in. Events
     * the application keeps stay intact after later reads (checked once all are read), and under
     * {@code recycleEvents}, where the engine hands the buffers of processed events to later reads, each event holds
     * its own bytes during its processor's call, and copies made with {@code keep()} stay intact.
     */
    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R12_targetsAreFilledOnlyDuringTheirRead() {
        int n = 64;
        TopicHandle topic = newTopic(1);
        byte[][] data = new byte[n][];
        SplittableRandom r = new SplittableRandom(12);
        try (Producer producer = topic.producer()) {
            for (int i = 0; i < n; i++) {
                data[i] = new byte[48]; // one size: the recycling consumer reuses every buffer
                r.nextBytes(data[i]);
                producer.push(md("{\"i\":" + i + "}"), DataView.of(data[i]));
            }
            await(producer.flush(), "R12 ownership: flush");
        }
        java.util.List<Event> kept = new java.util.ArrayList<>();
        try (Consumer consumer = topic.consumer(ConsumerOptions.named("owned").batchSize(
                dev.diaspora.stream.BatchSize.of(8)))) {
            kept.addAll(nextEvents(consumer, n, "R12 ownership: owned events"));
        }
        for (Event e : kept) {
            assertArrayEquals(data[(int) e.id()], e.data().toByteArray(), "R12: event " + e.id() + " kept by the"
                    + " application changed after later reads: the driver wrote into its target after readData");
        }
        kept.clear();
        try (Consumer consumer = topic.consumer(ConsumerOptions.named("recycled").recycleEvents(true)
                .batchSize(dev.diaspora.stream.BatchSize.of(8)).maxPrefetchBatches(1))) {
            while (kept.size() < n) {
                int got = consumer.poll(e -> {
                    assertArrayEquals(data[(int) e.id()], e.data().toByteArray(), "R12: event " + e.id()
                            + " of a recycling consumer, during its call");
                    assertEquals("{\"i\":" + e.id() + "}", e.metadata().toString(), "R12: the metadata of event "
                            + e.id() + " of a recycling consumer, during its call");
                    kept.add(e.keep());
                }, n - kept.size(), env().pullTimeout());
                assertTrue(got > 0, "R12: events " + kept.size() + ".. of the recycling consumer arrive");
            }
        }
        for (Event e : kept) {
            assertArrayEquals(data[(int) e.id()], e.data().toByteArray(), "R12: the kept copy of event " + e.id());
            assertEquals("{\"i\":" + e.id() + "}", e.metadata().toString(), "R12: the kept copy's metadata, event "
                    + e.id());
        }
    }
}
