package dev.diaspora.stream.internal.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.diaspora.stream.DataView;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.EventsLostException;
import dev.diaspora.stream.Metadata;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Seeded property test of {@link ReadyQueues}: random interleavings of batches arriving, takes (polls), cancelled
 * takes put back, seeks, rebalances (partitions leaving and arriving), topic growth and pause decisions, checked after
 * every step against a plain model of per-partition lists with a round-robin cursor: which item each take returns
 * (the same object), the delivery positions, the prefetch counts, which partitions want pausing, the resume signals,
 * and the items handed back for release. A cancelled take may be put back after a seek of its partition or a
 * rebalance: the item is then stale, is not queued again (a pre-seek event would be delivered after the seek) and goes
 * back to the caller for release (its data would leak otherwise).
 *
 * <p>Replay: a failure names the base seed, the case and its seed and the steps so far; run again with
 * {@code -Dtck.seed=<base seed>}.
 */
class ReadyQueuesPropertyTest {
    static final int STEPS = 300;
    static final long THRESHOLD = 3;

    /** The model: per partition the items in order, positions, flags, and the round-robin cursor. */
    static final class Model implements ReadyQueues.Signals {
        final List<ArrayDeque<ReadyItem>> q = new ArrayList<>();
        long[] position = new long[0];
        long[] nextId = new long[0];
        boolean[] assigned = new boolean[0];
        boolean[] failed = new boolean[0];
        boolean[] shadow = new boolean[0];
        int[] parts = new int[0];
        int cursor;
        long events;
        long bytes;
        int spaceSignals;
        final List<Integer> resumed = new ArrayList<>();

        @Override
        public void spaceFreed() {
            spaceSignals++;
        }

        @Override
        public void belowThreshold(int partition) {
            resumed.add(partition);
        }

        void grow(int n) {
            int old = q.size();
            for (int i = old; i < n; i++) {
                q.add(new ArrayDeque<>());
            }
            position = Arrays.copyOf(position, n);
            nextId = Arrays.copyOf(nextId, n);
            assigned = Arrays.copyOf(assigned, n);
            failed = Arrays.copyOf(failed, n);
            shadow = Arrays.copyOf(shadow, n);
        }

        long readyEvents(int p) {
            return q.get(p).stream().filter(o -> o instanceof EventImpl).count();
        }

        List<ReadyItem> drop(int p) {
            List<ReadyItem> out = new ArrayList<>(q.get(p));
            for (ReadyItem o : out) {
                if (o instanceof EventImpl) {
                    events--;
                    bytes -= o.bytes();
                }
            }
            q.get(p).clear();
            return out;
        }

        /** What takeNext must return, with the model updated as it would be. */
        ReadyItem take() {
            int n = parts.length;
            for (int k = 0; k < n; k++) {
                int at = (cursor + k) % n;
                int i = parts[at];
                ArrayDeque<ReadyItem> d = q.get(i);
                while (d.peek() instanceof ReadyMarker m && m.kind == ReadyMarker.Kind.SKIPPED) {
                    d.poll();
                    position[i] = m.nextId;
                }
                ReadyItem o = d.peek();
                if (o == null) {
                    continue;
                }
                cursor = (at + 1) % n;
                if (o instanceof ReadyMarker m) {
                    if (!m.sticky()) {
                        d.poll();
                        position[i] = m.nextId;
                    }
                    return m;
                }
                d.poll();
                EventImpl e = (EventImpl) o;
                events--;
                bytes -= e.bytes();
                position[i] = e.id() + 1;
                if (shadow[i] && !failed[i] && readyEvents(i) < THRESHOLD) {
                    shadow[i] = false;
                    resumed.add(-1 - i); // expected; compared below
                }
                return e;
            }
            return null;
        }
    }

    @Test
    void randomInterleavingsMatchTheModel() {
        SeededCases.run("ReadyQueuesPropertyTest", 400, 0x5EED_0E0EL, ReadyQueuesPropertyTest::runCase);
    }

    private static void runCase(SplittableRandom rnd, StringBuilder trace) {
        Model m = new Model();
        PartitionLongs delivered = new PartitionLongs(0, 0);
        ReadyQueues rq = new ReadyQueues(THRESHOLD, delivered, m);
        int size = 1 + rnd.nextInt(4);
        delivered.grow(size);
        rq.grow(size);
        m.grow(size);
        ReadyItem lastTaken = null;
        long lastEpoch = 0;
        boolean lastStale = false; // the partition of lastTaken was moved, left or arrived since the take
        for (int step = 0; step < STEPS; step++) {
            int op = rnd.nextInt(100);
            if (op < 30) { // a batch arrives
                int p = rnd.nextInt(size);
                if (m.failed[p]) {
                    continue; // the fetch thread pauses a failed partition: nothing more arrives
                }
                List<ReadyItem> items = new ArrayList<>();
                int events = 0;
                long bytes = 0;
                long id = m.nextId[p];
                int k = rnd.nextInt(5);
                for (int i = 0; i < k; i++) {
                    int kind = rnd.nextInt(10);
                    if (kind == 0) {
                        items.add(ReadyMarker.skipped(p, id));
                        id++;
                    } else if (kind == 1) {
                        long last = id + rnd.nextInt(3);
                        items.add(ReadyMarker.lost(new EventsLostException(p, id, last, "test"), p, id, last + 1));
                        id = last + 1;
                    } else {
                        EventImpl e = new EventImpl(null, Metadata.EMPTY, DataView.of(new byte[rnd.nextInt(50)]), p,
                                id, 0, 0);
                        items.add(e);
                        events++;
                        bytes += e.bytes();
                        id++;
                    }
                }
                if (rnd.nextInt(12) == 0) {
                    items.add(ReadyMarker.failed(new DiasporaException("bad event " + id)));
                }
                trace.append("add(p").append(p).append(',').append(items.size()).append(") ");
                boolean queued = rq.add(p, items, events, bytes);
                assertEquals(m.assigned[p], queued, "add to partition " + p + " queued");
                if (queued) {
                    m.q.get(p).addAll(items);
                    m.events += events;
                    m.bytes += bytes;
                    m.nextId[p] = id;
                    if (!items.isEmpty() && items.get(items.size() - 1) instanceof ReadyMarker r && r.sticky()) {
                        m.failed[p] = true;
                    }
                }
            } else if (op < 60) { // a poll
                trace.append("take ");
                int signals = m.spaceSignals;
                ReadyItem expected = m.take();
                ReadyItem got = rq.takeNext();
                assertSame(expected, got, "takeNext");
                if (expected instanceof EventImpl) {
                    assertEquals(signals + 1, m.spaceSignals, "one space signal per event taken");
                }
                // a later step may cancel this pull (a sticky marker is never taken); batches arriving and
                // rebalances may come between, as on the fetch thread
                lastTaken = expected instanceof ReadyMarker r && r.sticky() ? null : expected;
                lastEpoch = got == null ? 0 : rq.epoch(got);
                lastStale = false;
            } else if (op < 68) { // the pull of the last take was cancelled: its item goes back
                if (lastTaken != null) {
                    trace.append("putBack ");
                    boolean kept = rq.putBack(lastTaken, lastEpoch);
                    boolean expectKept = !lastStale && m.assigned[lastTaken.partition()];
                    assertEquals(expectKept, kept, "putBack of " + lastTaken + " (stale: " + lastStale
                            + ") queued it again; else the caller releases it");
                    if (expectKept) {
                        putBack(m, lastTaken);
                    }
                    lastTaken = null;
                }
            } else if (op < 76) { // a seek
                int p = rnd.nextInt(size);
                if (m.assigned[p]) {
                    long id = rnd.nextInt(50);
                    trace.append("seek(p").append(p).append(',').append(id).append(") ");
                    List<ReadyItem> dropped = new ArrayList<>();
                    rq.seeked(p, id, dropped);
                    assertEquals(m.drop(p), dropped, "items dropped by the seek");
                    m.failed[p] = false;
                    m.position[p] = id;
                    m.nextId[p] = id;
                    if (lastTaken != null && lastTaken.partition() == p) {
                        lastStale = true; // the seek raced with a pull of its partition that may be cancelled
                    }
                }
            } else if (op < 84) { // a rebalance
                TreeSet<Integer> now = new TreeSet<>();
                for (int p = 0; p < size; p++) {
                    if (rnd.nextInt(3) != 0) {
                        now.add(p);
                    }
                }
                trace.append("assign").append(now).append(' ');
                for (int p = 0; p < size; p++) {
                    if (m.assigned[p] && !now.contains(p)) {
                        List<ReadyItem> dropped = new ArrayList<>();
                        rq.leave(p, dropped);
                        assertEquals(m.drop(p), dropped, "items dropped when partition " + p + " left");
                        m.assigned[p] = false;
                        m.failed[p] = false;
                        m.shadow[p] = false;
                        if (lastTaken != null && lastTaken.partition() == p) {
                            lastStale = true; // even if it comes back before the put-back: a new tenure
                        }
                    }
                }
                for (int p : now) {
                    if (!m.assigned[p]) {
                        long start = rnd.nextInt(50);
                        rq.arrive(p, start);
                        m.assigned[p] = true;
                        m.position[p] = start;
                        m.nextId[p] = start;
                    }
                }
                int[] sorted = now.stream().mapToInt(Integer::intValue).toArray();
                rq.assignment(sorted);
                m.parts = sorted;
                m.cursor = 0;
            } else if (op < 86) { // the topic grows
                size += 1 + rnd.nextInt(2);
                trace.append("grow(").append(size).append(") ");
                delivered.grow(size);
                rq.grow(size);
                m.grow(size);
            } else { // the fetch thread decides whether to pause a partition
                if (m.parts.length > 0) {
                    int p = m.parts[rnd.nextInt(m.parts.length)];
                    boolean rewinding = rnd.nextInt(8) == 0;
                    boolean want = m.failed[p] || m.readyEvents(p) >= THRESHOLD || rewinding;
                    assertEquals(want, rq.wantPause(p, rewinding), "wantPause(" + p + ")");
                    m.shadow[p] = want;
                }
            }
            check(m, rq, delivered, size);
        }
    }

    private static void putBack(Model m, ReadyItem item) {
        if (item instanceof ReadyMarker r) {
            m.q.get(r.partition).addFirst(r);
            m.position[r.partition] = r.id;
            return;
        }
        EventImpl e = (EventImpl) item;
        m.q.get(e.partition()).addFirst(e);
        m.events++;
        m.bytes += e.bytes();
        m.position[e.partition()] = e.id();
    }

    private static void check(Model m, ReadyQueues rq, PartitionLongs delivered, int size) {
        assertEquals(m.events, rq.prefetchedEvents(), "prefetched events");
        assertEquals(m.bytes, rq.prefetchedBytes(), "prefetched bytes");
        for (int p = 0; p < size; p++) {
            assertEquals(m.assigned[p], rq.assigned(p), "assigned(" + p + ")");
            assertEquals(m.readyEvents(p), rq.readyEvents(p), "ready events of partition " + p);
            assertEquals(m.position[p], delivered.get(p), "delivery position of partition " + p);
        }
        // each resume signal the queues sent was expected by the model (recorded as -1 - p), in the same order
        List<Integer> sent = new ArrayList<>();
        List<Integer> expected = new ArrayList<>();
        for (int r : m.resumed) {
            (r < 0 ? expected : sent).add(r < 0 ? -1 - r : r);
        }
        assertEquals(expected, sent, "resume signals");
        if (rq.prefetchedEvents() == 0) {
            assertNull(firstEvent(m), "no event left when none is prefetched");
        }
    }

    private static ReadyItem firstEvent(Model m) {
        for (ArrayDeque<ReadyItem> d : m.q) {
            for (ReadyItem o : d) {
                if (o instanceof EventImpl) {
                    return o;
                }
            }
        }
        return null;
    }
}
