package dev.diaspora.stream.internal.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.DataAllocator;
import dev.diaspora.stream.DataDescriptor;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Metadata;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The pool of {@code recycleEvents}: reuse by size, its bounds, what close gives back, and the recycled state. */
class EventRecyclerTest {
    /** A heap allocator that counts what it hands out and what comes back. */
    static final class CountingAllocator implements DataAllocator {
        final Map<DataView, Boolean> out = new IdentityHashMap<>();
        int allocated;
        int released;

        @Override
        public synchronized DataView allocate(Metadata metadata, DataDescriptor descriptor) {
            DataView v = DataAllocator.heap().allocate(metadata, descriptor);
            out.put(v, Boolean.TRUE);
            allocated++;
            return v;
        }

        @Override
        public synchronized void release(DataView view) {
            if (out.remove(view) == null) {
                throw new AssertionError("released a view this allocator did not hand out, or twice: " + view);
            }
            released++;
        }

        synchronized int outstanding() {
            return out.size();
        }
    }

    private static DataDescriptor of(long size) {
        return DataDescriptor.of(0L, size);
    }

    @Test
    void aViewOfTheSameSizeIsReusedAndOthersComeFromTheAllocator() {
        CountingAllocator heap = new CountingAllocator();
        EventRecycler pool = new EventRecycler(null, heap, 16, 1 << 20);
        DataView a = pool.allocate(Metadata.EMPTY, of(100));
        pool.release(a);
        assertSame(a, pool.allocate(Metadata.EMPTY, of(100)), "a view of the same size comes back from the pool");
        assertNotSame(a, pool.allocate(Metadata.EMPTY, of(101)), "another size is the allocator's");
        assertEquals(2, heap.allocated);
    }

    @Test
    void thePoolKeepsAtMostMaxBytesAndGivesTheRestToTheAllocator() {
        CountingAllocator heap = new CountingAllocator();
        EventRecycler pool = new EventRecycler(null, heap, 16, 250);
        List<DataView> views = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            views.add(pool.allocate(Metadata.EMPTY, of(100)));
        }
        views.forEach(pool::release);
        assertEquals(200, pool.pooledBytes(), "two views of 100 bytes fit in 250");
        assertEquals(3, heap.released, "the three that do not fit go back to the allocator");
    }

    @Test
    void closeGivesEveryPooledViewBackAndLaterOnesGoStraightToTheAllocator() {
        CountingAllocator heap = new CountingAllocator();
        EventRecycler pool = new EventRecycler(null, heap, 16, 1 << 20);
        DataView kept = pool.allocate(Metadata.EMPTY, of(10));
        EventImpl inFlight = pool.event(Metadata.EMPTY, kept, 0, 7, 0, 0);
        pool.release(pool.allocate(Metadata.EMPTY, of(20)));
        pool.close();
        assertEquals(1, heap.outstanding(), "only the event still in the application's hands holds a view");
        pool.recycle(inFlight); // its processor returns after the consumer closed
        assertEquals(0, heap.outstanding(), "nothing leaks");
        assertEquals(0, pool.pooledEvents(), "a closed pool keeps no events");
    }

    @Test
    void theFetchSideTakesTheSharedViewsOfASizeInOneExchangeAndCloseGivesItsStashBack() {
        CountingAllocator heap = new CountingAllocator();
        EventRecycler pool = new EventRecycler(null, heap, 16, 1 << 20);
        DataView a = pool.allocate(Metadata.EMPTY, of(100));
        DataView b = pool.allocate(Metadata.EMPTY, of(100));
        pool.release(a);
        pool.release(b);
        assertEquals(200, pool.pooledBytes());
        DataView first = pool.allocate(Metadata.EMPTY, of(100)); // takes both into the stash, hands one out
        assertEquals(100, pool.pooledBytes(), "the view left in the stash still counts against the bound");
        DataView second = pool.allocate(Metadata.EMPTY, of(100)); // from the stash
        assertEquals(java.util.Set.of(a, b), java.util.Set.of(first, second), "both reused");
        assertEquals(2, heap.allocated);
        pool.release(first);
        pool.allocate(Metadata.EMPTY, of(100)); // the stash is empty: exchange again
        pool.release(pool.allocate(Metadata.EMPTY, of(7)));
        pool.allocate(Metadata.EMPTY, of(7)); // the 7-byte view goes into the stash and out again
        pool.release(second);
        pool.release(pool.allocate(Metadata.EMPTY, of(100))); // second via the stash, then back to the shared pool
        pool.allocate(Metadata.EMPTY, of(100)); // the stash holds it again
        pool.release(pool.allocate(Metadata.EMPTY, of(50)));
        pool.close();
        assertEquals(3, heap.outstanding(), "the three views handed out and not given back; none kept by the pool");
    }

    /**
     * Seeded: a fetch thread taking events and views while an application thread gives them back, as a batch poll
     * runs; the bounds hold throughout and close leaves nothing out.
     */
    @Test
    void seededTakesAndGivesOnTwoThreadsStayWithinTheBoundsAndLeakNothing() throws Exception {
        for (long seed = 1; seed <= 20; seed++) {
            SplittableRandom rnd = new SplittableRandom(seed);
            CountingAllocator heap = new CountingAllocator();
            long maxBytes = 64 + rnd.nextInt(4000);
            int maxEvents = 1 + rnd.nextInt(64);
            EventRecycler pool = new EventRecycler(null, heap, maxEvents, maxBytes);
            java.util.concurrent.BlockingQueue<EventImpl> handOff = new java.util.concurrent.ArrayBlockingQueue<>(32);
            long sizesSeed = rnd.nextLong();
            Thread fetch = new Thread(() -> {
                SplittableRandom sizes = new SplittableRandom(sizesSeed);
                try {
                    for (int i = 0; i < 20_000; i++) {
                        long size = 1 + sizes.nextInt(3) * 64L;
                        handOff.put(pool.event(Metadata.EMPTY, pool.allocate(Metadata.EMPTY, of(size)), 0, i, 0, 0));
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            fetch.start();
            List<EventImpl> kept = new ArrayList<>();
            for (int i = 0; i < 20_000; i++) {
                EventImpl e = handOff.poll(10, java.util.concurrent.TimeUnit.SECONDS);
                if (e == null) {
                    throw new AssertionError("seed " + seed + ": the fetch side stopped at " + i);
                }
                if (e.id() != i || e.data().size() % 64 != 1) {
                    throw new AssertionError("seed " + seed + ": event " + i + " shows id " + e.id() + ", size "
                            + e.data().size() + " (an event or view handed out twice)");
                }
                if (rnd.nextInt(100) == 0) {
                    kept.add(e); // still in the application's hands at close
                } else {
                    pool.recycle(e);
                }
                assertTrue(pool.pooledBytes() <= maxBytes && pool.pooledEvents() <= maxEvents,
                        "seed " + seed + ": within the bounds");
            }
            fetch.join();
            pool.close();
            assertEquals(kept.size(), heap.outstanding(), "seed " + seed + ": only the kept events hold views");
            kept.forEach(pool::recycle);
            assertEquals(0, heap.outstanding(), "seed " + seed + ": every view back at the allocator");
        }
    }

    @Test
    void aRecycledEventFailsClearlyUntilItIsReusedAndKeepMakesAnOwnedCopy() {
        EventRecycler pool = new EventRecycler(null, new CountingAllocator(), 16, 1 << 20);
        DataView data = pool.allocate(Metadata.EMPTY, of(4));
        data.write(0, new byte[] {1, 2, 3, 4}, 0, 4);
        EventImpl e = pool.event(Metadata.of("{\"a\":1}"), data, 2, 9, 0, 0);
        Event kept = e.keep();
        pool.recycle(e);
        IllegalStateException x = assertThrows(IllegalStateException.class, e::data);
        assertTrue(x.getMessage().contains("recycleEvents") && x.getMessage().contains("keep()"),
                "the error names the option and the way out: " + x.getMessage());
        assertThrows(IllegalStateException.class, e::acknowledge);
        assertThrows(IllegalStateException.class, e::keep);
        assertEquals(9, kept.id());
        assertEquals(2, kept.partition());
        assertEquals(Metadata.of("{\"a\":1}"), kept.metadata());
        DataView again = pool.allocate(Metadata.EMPTY, of(4));
        assertSame(data, again, "the recycled buffer is reused");
        again.write(0, new byte[] {9, 9, 9, 9}, 0, 4);
        assertEquals(List.of((byte) 1, (byte) 2, (byte) 3, (byte) 4), bytes(kept.data()), "the copy is its own");
        assertSame(e, pool.event(Metadata.EMPTY, again, 0, 10, 0, 0), "the event object is reused");
        assertEquals(10, e.id(), "a reused event shows the later event");
    }

    @Test
    void anOwnedEventIsLeftAlone() {
        CountingAllocator heap = new CountingAllocator();
        EventRecycler pool = new EventRecycler(null, heap, 16, 1 << 20);
        EventImpl owned = new EventImpl(null, Metadata.EMPTY, DataView.of(new byte[3]), 0, 1, 0, 0);
        pool.recycle(owned);
        assertEquals(3, owned.data().size(), "an owned event stays valid");
        assertSame(owned, owned.keep(), "keep() of an owned event is the event itself");
        assertEquals(0, pool.pooledBytes());
    }

    /** Seeded: any mix of sizes, takes and gives; the pool never exceeds its bounds and close leaves nothing out. */
    @Test
    void seededMixesStayWithinTheBoundsAndLeakNothing() {
        for (long seed = 1; seed <= 50; seed++) {
            SplittableRandom rnd = new SplittableRandom(seed);
            CountingAllocator heap = new CountingAllocator();
            long maxBytes = 1 + rnd.nextInt(4000);
            EventRecycler pool = new EventRecycler(null, heap, 1 + rnd.nextInt(20), maxBytes);
            List<EventImpl> live = new ArrayList<>();
            for (int step = 0; step < 500; step++) {
                if (live.isEmpty() || rnd.nextInt(3) > 0) {
                    DataView v = pool.allocate(Metadata.EMPTY, of(1 + rnd.nextInt(8) * 64L));
                    live.add(pool.event(Metadata.EMPTY, v, 0, step, 0, 0));
                } else {
                    pool.recycle(live.remove(rnd.nextInt(live.size())));
                }
                assertTrue(pool.pooledBytes() <= maxBytes, "seed " + seed + ": pooled bytes within the bound");
            }
            pool.close();
            live.forEach(pool::recycle);
            assertEquals(0, heap.outstanding(), "seed " + seed + ": every view back at the allocator");
        }
    }

    private static List<Byte> bytes(DataView v) {
        List<Byte> out = new ArrayList<>();
        for (byte b : v.toByteArray()) {
            out.add(b);
        }
        return out;
    }
}
