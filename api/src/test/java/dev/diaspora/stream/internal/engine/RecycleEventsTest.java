package dev.diaspora.stream.internal.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.StartAt;
import dev.diaspora.stream.TopicHandle;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link ConsumerOptions#recycleEvents(boolean)}: events handed to an {@code EventProcessor} are valid only during
 * the call (a kept reference fails clearly while pooled), {@code keep()} makes a copy that stays valid, pulls, polls
 * and iterators hand out copies, buffers are reused, and every buffer goes back to the allocator when the consumer
 * closes, also after a seek dropped prefetched events.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class RecycleEventsTest extends EngineRuleFixture {
    private static final int SIZE = 16;

    private static byte[] data(int i) {
        return String.format("event %9d", i).getBytes(StandardCharsets.US_ASCII); // SIZE bytes each
    }

    private TopicHandle topicWith(int n) {
        TopicHandle topic = newTopic(1);
        try (Producer producer = topic.producer()) {
            for (int i = 0; i < n; i++) {
                producer.push(md("{\"event_num\":" + i + "}"), DataView.of(data(i)));
            }
            await(producer.flush());
        }
        return topic;
    }

    private static ConsumerOptions recycling(String name, EventRecyclerTest.CountingAllocator heap) {
        return ConsumerOptions.named(name).recycleEvents(true).dataAllocator(heap).batchSize(
                dev.diaspora.stream.BatchSize.of(8)).maxPrefetchBatches(1);
    }

    /** Reads {@code n} events with the batch poll, checking each event's data during its call. */
    private static void drain(Consumer c, int from, int n, List<Event> seen) {
        int read = 0;
        while (read < n) {
            int got = c.poll(e -> {
                assertArrayEquals(data((int) e.id()), e.data().toByteArray(), "event " + e.id() + " during its call");
                assertEquals(e.id(), e.metadata().json().get("event_num").asLong());
                seen.add(e);
            }, n - read, PULL_TIMEOUT);
            assertTrue(got > 0, "events " + (from + read) + ".. arrive");
            read += got;
        }
    }

    @Test
    void anEventKeptPastItsCallFailsClearlyAndKeepMakesAValidCopy() {
        // only event 0 exists while the kept reference is checked: no later event can take its pooled object (with
        // event 1 already stored, the fetch thread could prefetch it into event 0's object right after the call)
        TopicHandle topic = topicWith(1);
        EventRecyclerTest.CountingAllocator heap = new EventRecyclerTest.CountingAllocator();
        try (Consumer c = topic.consumer(recycling("c", heap).maxPrefetchBatches(1).batchSize(
                dev.diaspora.stream.BatchSize.of(1)))) {
            Event[] kept = new Event[2];
            assertEquals(1, c.poll(e -> {
                kept[0] = e;
                kept[1] = e.keep();
            }, 1, PULL_TIMEOUT));
            IllegalStateException x = assertThrows(IllegalStateException.class, () -> kept[0].data());
            assertTrue(x.getMessage().contains("keep()"), x.getMessage());
            assertArrayEquals(data(0), kept[1].data().toByteArray(), "the kept copy stays valid");
            kept[1].acknowledge(); // the copy acknowledges like the event
            await(c.commit());
        }
        try (Producer producer = topic.producer()) { // event 1, for the next consumer to resume at
            producer.push(md("{\"event_num\":1}"), DataView.of(data(1)));
            await(producer.flush());
        }
        try (Consumer again = topic.consumer(ConsumerOptions.named("c"))) {
            assertEquals(1, nextEvent(again, "after the acknowledged event").id(), "the kept copy's ack was stored");
        }
    }

    @Test
    void buffersAreReusedAndAllGoBackWhenTheConsumerCloses() {
        int n = 200;
        TopicHandle topic = topicWith(n);
        EventRecyclerTest.CountingAllocator heap = new EventRecyclerTest.CountingAllocator();
        List<Event> seen = new ArrayList<>();
        try (Consumer c = topic.consumer(recycling("c", heap))) {
            drain(c, 0, n, seen);
        }
        assertEquals(n, seen.size());
        assertTrue(heap.allocated < n / 2, "the pool reuses buffers: " + heap.allocated + " allocations for " + n
                + " events");
        assertEquals(0, heap.outstanding(), "every buffer back at the allocator after close");
        assertEquals(n, seen.stream().map(Event::toString).filter("Event[recycled]"::equals).count(),
                "every event object handed out was recycled");
    }

    @Test
    void aSeekDropsPrefetchedEventsIntoThePoolAndNothingLeaks() {
        int n = 100;
        TopicHandle topic = topicWith(n);
        EventRecyclerTest.CountingAllocator heap = new EventRecyclerTest.CountingAllocator();
        List<Event> seen = new ArrayList<>();
        try (Consumer c = topic.consumer(recycling("c", heap))) {
            drain(c, 0, 10, seen);
            awaitCondition(() -> heap.allocated > 10, "the consumer prefetches past what was read");
            c.seek(0, StartAt.id(5));
            List<Long> ids = new ArrayList<>();
            c.poll(e -> ids.add(e.id()), 3, PULL_TIMEOUT);
            assertEquals(5L, ids.get(0), "the seek rewound");
        }
        assertEquals(0, heap.outstanding(), "every buffer back at the allocator after a seek and close");
    }

    @Test
    void pullsPollsAndIteratorsHandOutCopiesThatStayValid() {
        TopicHandle topic = topicWith(30);
        EventRecyclerTest.CountingAllocator heap = new EventRecyclerTest.CountingAllocator();
        try (Consumer c = topic.consumer(recycling("c", heap))) {
            List<Event> kept = new ArrayList<>();
            kept.add(nextEvent(c, "poll"));
            CompletableFuture<Event> f = c.pull();
            kept.add(await(f));
            Iterator<Event> it = c.iterator(PULL_TIMEOUT);
            for (int i = 0; i < 10; i++) {
                kept.add(it.next());
            }
            c.poll(e -> { }, 10, PULL_TIMEOUT); // recycles events and reuses their buffers meanwhile
            for (int i = 0; i < kept.size(); i++) {
                assertEquals(i, kept.get(i).id());
                assertArrayEquals(data(i), kept.get(i).data().toByteArray(), "copy " + i + " is intact");
            }
        }
        assertEquals(0, heap.outstanding());
    }

    @Test
    void theDefaultStillLetsTheApplicationKeepEvents() {
        TopicHandle topic = topicWith(20);
        List<Event> seen = new ArrayList<>();
        long recycledBefore = LogTestDriver.BATCHES_RECYCLED.get();
        try (Consumer c = topic.consumer(ConsumerOptions.named("c"))) {
            assertFalse(c.options().recycleEvents());
            drain(c, 0, 20, seen);
        }
        assertEquals(recycledBefore, LogTestDriver.BATCHES_RECYCLED.get(), "owned events wrap their batch's buffer:"
                + " no batch is given back to the driver");
        for (int i = 0; i < seen.size(); i++) {
            assertArrayEquals(data(i), seen.get(i).data().toByteArray(), "event " + i + " kept past its call");
            assertEquals(i, seen.get(i).metadata().json().get("event_num").asInt(), "metadata " + i + " kept");
        }
    }

    /**
     * With the default serializer the recycled events' metadata is a flyweight over each event's own copy of the
     * text, so the engine gives every batch's buffers back to the driver (the test driver then overwrites them): the
     * metadata seen during the call and the kept copies' stay right, a reference to the flyweight kept past its call
     * shows a later event, and every batch went back.
     */
    @Test
    void metadataIsCopiedOutOfTheBatchAndBatchesGoBackToTheDriver() {
        int n = 64;
        TopicHandle topic = topicWith(n);
        EventRecyclerTest.CountingAllocator heap = new EventRecyclerTest.CountingAllocator();
        List<Event> kept = new ArrayList<>();
        List<dev.diaspora.stream.Metadata> flyweights = new ArrayList<>();
        long recycledBefore = LogTestDriver.BATCHES_RECYCLED.get();
        try (Consumer c = topic.consumer(recycling("c", heap))) {
            int read = 0;
            while (read < n) {
                int got = c.poll(e -> {
                    assertEquals(e.id(), e.metadata().json().get("event_num").asLong(), "during the call");
                    assertEquals("{\"event_num\":" + e.id() + "}", e.metadata().toString());
                    kept.add(e.keep());
                    flyweights.add(e.metadata());
                }, n - read, PULL_TIMEOUT);
                assertTrue(got > 0);
                read += got;
            }
        }
        long batches = LogTestDriver.BATCHES_RECYCLED.get() - recycledBefore;
        assertTrue(batches >= n / 8, "every batch of 8 went back to the driver: " + batches);
        for (int i = 0; i < n; i++) {
            assertEquals(i, kept.get(i).metadata().json().get("event_num").asInt(), "kept copy " + i);
            assertEquals("{\"event_num\":" + i + "}", kept.get(i).metadata().toString(), "kept copy " + i);
        }
        assertTrue(flyweights.stream().map(Object::toString).distinct().count() < n, "the events share flyweights:"
                + " a metadata reference kept past its call is not the event's any more");
    }
}
