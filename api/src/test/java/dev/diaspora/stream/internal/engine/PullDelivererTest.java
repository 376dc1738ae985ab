package dev.diaspora.stream.internal.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.DataView;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.EventsLostException;
import dev.diaspora.stream.Metadata;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link PullDeliverer} over real {@link ReadyQueues} of one partition: waiting pulls served in call order, a
 * cancelled pull losing no event, markers failing the pull they meet, and the ends (topic gone, stop).
 */
@Timeout(10)
class PullDelivererTest {
    /** Runs once, under the lock, right after the deliverer lets go of it: what another thread may do then. */
    private Runnable afterUnlock;
    private final ReentrantLock lock = new ReentrantLock() {
        @Override
        public void unlock() {
            super.unlock();
            Runnable r = afterUnlock;
            if (r != null && getHoldCount() == 0) {
                afterUnlock = null;
                lock();
                try {
                    r.run();
                } finally {
                    unlock();
                }
            }
        }
    };
    private final List<ReadyItem> released = new ArrayList<>();
    /**
     * Armed by the next take (which runs under the lock): runs once the deliverer has let go of the lock, before it
     * completes the pull: what another thread may do between take and delivery.
     */
    private Runnable onTake;
    private final PartitionLongs delivered = new PartitionLongs(1, 0);
    private final ReadyQueues queues = new ReadyQueues(100, delivered, new ReadyQueues.Signals() {
        @Override
        public void spaceFreed() {
            afterUnlock = onTake; // called under the lock, on the deliverer's thread, as an event is taken
            onTake = null;
        }

        @Override
        public void belowThreshold(int partition) {
        }
    });
    private final PullDeliverer deliverer = new PullDeliverer(lock, queues, released::add, null,
            dev.diaspora.stream.spi.Clock.system());
    private long nextId;

    PullDelivererTest() {
        queues.grow(1);
        queues.arrive(0, 0);
        queues.assignment(new int[] {0});
    }

    private List<EventImpl> offer(int n) {
        List<ReadyItem> items = new ArrayList<>();
        List<EventImpl> events = new ArrayList<>();
        long bytes = 0;
        for (int i = 0; i < n; i++) {
            EventImpl e = new EventImpl(null, Metadata.EMPTY, DataView.of(new byte[4]), 0, nextId++, 0, 0);
            items.add(e);
            events.add(e);
            bytes += e.bytes();
        }
        assertTrue(deliverer.offer(0, new BatchMaterializer.Prepared(items, n, bytes, -1)));
        return events;
    }

    /**
     * A waiting pull's event is counted before its future completes, so an application that reads the metrics as soon
     * as it has the event sees it counted (counted afterwards, a metrics test once saw 29 of 30 pulls).
     */
    @Test
    void aWaitingPullsEventIsCountedBeforeItsFutureCompletes() throws Exception {
        CompletableFuture<Event> pull = deliverer.pull();
        CompletableFuture<long[]> seen = pull.thenApply(e -> new long[] {deliverer.eventsDelivered(),
            deliverer.bytesDelivered()});
        offer(1);
        assertArrayEquals(new long[] {1, 4}, seen.get(1, TimeUnit.SECONDS), "events and bytes as the pull completes");
    }

    @Test
    void waitingPullsAreServedInCallOrderAndACancelledOneLosesNothing() throws Exception {
        CompletableFuture<Event> first = deliverer.pull();
        CompletableFuture<Event> second = deliverer.pull();
        CompletableFuture<Event> third = deliverer.pull();
        assertFalse(first.isDone());
        assertTrue(deliverer.waiting());
        second.cancel(false);
        List<EventImpl> events = offer(3);
        assertSame(events.get(0), first.get(1, TimeUnit.SECONDS));
        assertSame(events.get(1), third.get(1, TimeUnit.SECONDS), "the cancelled pull's event goes to the next one");
        assertSame(events.get(2), deliverer.poll(Duration.ZERO).orElseThrow());
        assertFalse(deliverer.waiting());
        assertEquals(3, deliverer.eventsDelivered());
        assertEquals(12, deliverer.bytesDelivered());
        assertEquals(3, deliverer.pollLatency().count(), "each delivered event's wait is recorded");
        assertEquals(3, delivered.get(0), "the position follows the deliveries");
    }

    /**
     * The batch poll counts the events it took ready once per call: the counters and the latency histogram hold
     * every event handed over, also when the processor stops the call early.
     */
    @Test
    void theBatchPollCountsEveryEventItHandsOver() {
        offer(5);
        int[] seen = {0};
        assertEquals(3, deliverer.drain(e -> seen[0]++, 3, Duration.ZERO));
        assertEquals(3, deliverer.eventsDelivered());
        assertEquals(12, deliverer.bytesDelivered());
        assertEquals(3, deliverer.pollLatency().count());
        assertEquals(1, deliverer.drain(e -> {
            throw new dev.diaspora.stream.StopEventProcessor();
        }, 5, Duration.ZERO), "stopped at the first event");
        assertEquals(4, deliverer.eventsDelivered(), "the event of the stopped call is counted");
        assertEquals(16, deliverer.bytesDelivered());
        assertEquals(4, deliverer.pollLatency().count());
        assertEquals(4, delivered.get(0), "the position follows the deliveries");
    }

    /**
     * A processor may batch-poll again (the nested call takes the next events in order): the events of both calls are
     * counted. The nested call used to reset the outer call's tally, so the outer call's events before it were lost
     * from the metrics.
     */
    @Test
    void aNestedBatchPollLeavesTheOuterCallsTallyWhole() {
        offer(6);
        int[] inner = {0};
        boolean[] nested = {false};
        assertEquals(2, deliverer.drain(e -> {
            if (!nested[0]) {
                nested[0] = true;
                inner[0] = deliverer.drain(x -> { }, 3, Duration.ZERO);
            }
        }, 2, Duration.ZERO));
        assertEquals(3, inner[0]);
        assertEquals(5, deliverer.eventsDelivered(), "2 events of the outer call and 3 of the nested one");
        assertEquals(20, deliverer.bytesDelivered());
        assertEquals(5, delivered.get(0), "the position follows the deliveries");
    }

    /**
     * Ready pulls are counted under the lock and added to the latency histogram in bulk: the counters and a fresh
     * read of the histogram hold every event; a histogram reference kept from before lags by fewer than 1,024 pulls.
     */
    @Test
    void readyPullsAreCountedExactlyAndTheHistogramCatchesUp() {
        dev.diaspora.stream.internal.metrics.LatencyHistogram kept = deliverer.pollLatency();
        offer(2500);
        for (int i = 0; i < 2500; i++) {
            assertEquals(i, deliverer.poll(Duration.ZERO).orElseThrow().id());
        }
        assertTrue(kept.count() > 2500 - 1024, "added in bulk while pulling: " + kept.count());
        assertEquals(2500, deliverer.eventsDelivered());
        assertEquals(10_000, deliverer.bytesDelivered());
        assertEquals(2500, deliverer.pollLatency().count(), "a read brings the histogram up to date");
        assertEquals(2500, kept.count());
        assertEquals(0, deliverer.pollLatency().percentileNanos(1.0), "every event was ready");
    }

    @Test
    void aPullCancelledWhileASeekMovesItsPartitionDoesNotBringBackThePreSeekEvent() throws Exception {
        CompletableFuture<Event> pull = deliverer.pull();
        List<ReadyItem> dropped = new ArrayList<>();
        onTake = () -> { // between the take and the completion: the pull is cancelled and the partition moved to 100
            pull.cancel(false);
            queues.seeked(0, 100, dropped);
        };
        List<EventImpl> before = offer(1);
        assertTrue(pull.isCancelled());
        assertEquals(List.of(before.get(0)), released, "the pre-seek event's data goes back to the allocator");
        assertEquals(100, delivered.get(0), "the position stays where the seek put it");
        nextId = 100;
        List<EventImpl> after = offer(1);
        assertSame(after.get(0), deliverer.poll(Duration.ZERO).orElseThrow(), "the first event after the seek");
    }

    @Test
    void aPullCancelledAfterItsPartitionLeftReleasesTheEventsData() {
        CompletableFuture<Event> pull = deliverer.pull();
        List<ReadyItem> dropped = new ArrayList<>();
        onTake = () -> {
            pull.cancel(false);
            queues.leave(0, dropped);
            queues.arrive(0, 7); // and came back (a new tenure) before the put-back
        };
        List<EventImpl> events = offer(1);
        assertEquals(List.of(events.get(0)), released, "not dropped silently, not queued into the new tenure");
        assertEquals(7, delivered.get(0));
        assertTrue(deliverer.poll(Duration.ZERO).isEmpty());
    }

    /**
     * A waiting poll is handed its event before the deliverer lets go of the lock: a poll made right after (here in the
     * window between the deliverer's unlock and its next look at the waiting pulls) takes the next ready event at once
     * instead of waiting behind the deliverer, which cost a wake-up per event while a batch was handed over.
     */
    @Test
    void aPollRightAfterAWaitingPollWasServedTakesTheNextEventAtOnce() throws Exception {
        CompletableFuture<Event> waited = new CompletableFuture<>();
        Thread poller = new Thread(() -> {
            try {
                waited.complete(deliverer.poll(Duration.ofSeconds(5)).orElseThrow());
            } catch (RuntimeException e) {
                waited.completeExceptionally(e);
            }
        });
        poller.start();
        while (!deliverer.waiting()) {
            Thread.onSpinWait();
        }
        List<Event> next = new ArrayList<>();
        onTake = () -> deliverer.poll(Duration.ZERO).ifPresent(next::add);
        List<EventImpl> events = offer(2);
        assertSame(events.get(0), waited.get(5, TimeUnit.SECONDS), "the waiting poll gets the first event");
        assertEquals(List.of(events.get(1)), next, "the poll right after it takes the second event without waiting");
        poller.join();
        assertEquals(2, deliverer.eventsDelivered());
        assertEquals(2, delivered.get(0));
    }

    /**
     * A waiting poll that gives up while another thread hands it an event (completed under the lock, or put back at
     * once when the poll was cancelled first) either returns that event or leaves it queued for the next poll.
     */
    @Test
    void aWaitingPollThatGivesUpWhileAnEventArrivesLosesNoEvent() throws Exception {
        java.util.Random random = new java.util.Random(16);
        for (int round = 0; round < 200; round++) {
            long delayNanos = random.nextInt(200_000);
            long[] first = {nextId};
            nextId++;
            Thread offerer = new Thread(() -> {
                java.util.concurrent.locks.LockSupport.parkNanos(delayNanos);
                EventImpl e = new EventImpl(null, Metadata.EMPTY, DataView.of(new byte[4]), 0, first[0], 0, 0);
                assertTrue(deliverer.offer(0, new BatchMaterializer.Prepared(List.of(e), 1, e.bytes(), -1)));
            });
            offerer.start();
            Optional<Event> got = deliverer.poll(Duration.ofNanos(random.nextInt(200_000)));
            offerer.join();
            Event e = got.isPresent() ? got.get() : deliverer.poll(Duration.ofSeconds(5)).orElseThrow();
            assertEquals(first[0], e.id(), "round " + round + " (seed 16)");
            assertFalse(deliverer.waiting());
            assertTrue(deliverer.poll(Duration.ZERO).isEmpty(), "delivered once");
        }
        assertEquals(0, queues.prefetchedEvents());
    }

    @Test
    void aPollThatTimesOutLeavesNoWaitingPullAndLosesNoEvent() {
        assertTrue(deliverer.poll(Duration.ofMillis(5)).isEmpty());
        assertFalse(deliverer.waiting());
        assertEquals(0, deliverer.pollLatency().count(), "a poll that returned nothing is not recorded");
        List<EventImpl> events = offer(1);
        assertSame(events.get(0), deliverer.poll(Duration.ZERO).orElseThrow());
    }

    @Test
    void aLostRangeFailsOnePullThenTheNextEventFollows() throws Exception {
        offer(1);
        EventsLostException lost = new EventsLostException(0, 1, 2, "test");
        List<ReadyItem> items = new ArrayList<>();
        items.add(ReadyMarker.lost(lost, 0, 1, 3));
        EventImpl after = new EventImpl(null, Metadata.EMPTY, DataView.EMPTY, 0, 3, 0, 0);
        items.add(after);
        assertTrue(deliverer.offer(0, new BatchMaterializer.Prepared(items, 1, after.bytes(), -1)));
        assertEquals(0, deliverer.poll(Duration.ZERO).orElseThrow().id());
        assertSame(lost, assertThrows(EventsLostException.class, () -> deliverer.poll(Duration.ZERO)));
        assertSame(after, deliverer.pull().get(1, TimeUnit.SECONDS));
    }

    @Test
    void aStickyFailureFailsEveryPullUntilTheQueueIsCleared() {
        DiasporaException bad = new DiasporaException("bad event");
        List<ReadyItem> items = new ArrayList<>();
        items.add(ReadyMarker.failed(bad));
        assertTrue(deliverer.offer(0, new BatchMaterializer.Prepared(items, 0, 0, -1)));
        assertSame(bad, assertThrows(DiasporaException.class, () -> deliverer.poll(Duration.ZERO)));
        ExecutionException e = assertThrows(ExecutionException.class, () -> deliverer.pull().get(1, TimeUnit.SECONDS));
        assertSame(bad, e.getCause());
        List<ReadyItem> dropped = new ArrayList<>();
        lock.lock();
        try {
            queues.seeked(0, 5, dropped);
        } finally {
            lock.unlock();
        }
        assertEquals(1, dropped.size());
        assertTrue(deliverer.poll(Duration.ZERO).isEmpty(), "after the seek the partition is readable again");
    }

    @Test
    void aReadErrorFailsTheFirstWaitingPullOnly() {
        CompletableFuture<Event> first = deliverer.pull();
        CompletableFuture<Event> second = deliverer.pull();
        DiasporaException error = new DiasporaException("read failed", null, true);
        deliverer.failFirst(error);
        assertTrue(first.isCompletedExceptionally());
        assertFalse(second.isDone());
        offer(1);
        assertEquals(0, second.join().id());
    }

    @Test
    void aGoneTopicFailsWaitingAndLaterPulls() {
        CompletableFuture<Event> waiting = deliverer.pull();
        DiasporaException gone = new DiasporaException("topic deleted");
        deliverer.topicGone(gone);
        assertTrue(waiting.isCompletedExceptionally());
        assertSame(gone, assertThrows(DiasporaException.class, () -> deliverer.poll(Duration.ofSeconds(1))));
        assertTrue(deliverer.pull().isCompletedExceptionally());
    }

    @Test
    void stoppingEndsWaitingAndLaterPullsAndHandsBackTheQueuedEvents() throws Exception {
        CompletableFuture<Event> waiting = deliverer.pull();
        waiting.cancel(false); // a cancelled pull keeps nothing
        List<EventImpl> events = offer(2);
        CompletableFuture<Event> next = deliverer.pull();
        assertSame(events.get(0), next.get(1, TimeUnit.SECONDS));
        CompletableFuture<Event> open = deliverer.pull();
        assertSame(events.get(1), open.get(1, TimeUnit.SECONDS));
        CompletableFuture<Event> last = deliverer.pull();
        offer(1);
        List<EventImpl> queued = offer(1);
        List<ReadyItem> dropped = new ArrayList<>();
        deliverer.stop(dropped);
        assertEquals(List.of(queued.get(0)), dropped, "the queued event is handed back for release");
        assertEquals(2, last.get(1, TimeUnit.SECONDS).id());
        assertTrue(deliverer.pull().join().isNoMoreEvents());
        assertTrue(deliverer.poll(Duration.ofSeconds(1)).orElseThrow().isNoMoreEvents());
        assertFalse(deliverer.offer(0, new BatchMaterializer.Prepared(List.of(), 0, 0, -1)), "nothing is queued");
        assertEquals(0, queues.prefetchedEvents());
    }
}
