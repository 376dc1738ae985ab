package dev.diaspora.stream.internal.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.AssignmentListener;
import dev.diaspora.stream.ConsumerConflictException;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.EventsLostException;
import dev.diaspora.stream.UnreadableEventPolicy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Seeded property test of {@link AckTracker} with the {@link UnreadableEvents} and {@link GroupEvents} it works with:
 * random interleavings of deliveries, skipped events and lost ranges, acknowledgements (in any order, some from an
 * earlier tenure or of a revoked partition), periodic commits, rebalances (revocation, reassignment at a new position)
 * and topic growth, checked after every step against a plain model: which acknowledgements fail, the acknowledged and
 * uncommitted positions, what a revocation hands to the session, and that a committed position never moves back
 * within a tenure.
 *
 * <p>Replay: a failure names the base seed, the case and its seed and the steps so far; run again with
 * {@code -Dtck.seed=<base seed>}.
 */
class AckTrackerPropertyTest {
    static final int STEPS = 250;

    record Delivered(int p, long id, int tenure) {
    }

    /** The model of one partition. */
    static final class Part {
        int tenure;
        boolean assigned;
        boolean revoked;
        long acked = -1;
        long committed = -1;
        long start;
        long next; // next id to deliver
        final TreeMap<Long, Long> passed = new TreeMap<>(); // first id -> id after, of skipped or lost ranges

        /** UnreadableEvents.stepOver, as specified: move over the ranges gone past that the position reached. */
        void stepOver() {
            while (!passed.isEmpty()) {
                Map.Entry<Long, Long> e = passed.firstEntry();
                long a = acked < 0 ? start : acked;
                if (e.getKey() > a) {
                    return;
                }
                if (e.getValue() > a) {
                    acked = e.getValue();
                } else {
                    passed.remove(e.getKey());
                }
            }
        }
    }

    @Test
    void randomInterleavingsMatchTheModel() {
        SeededCases.run("AckTrackerPropertyTest", 200, 0x5EED_ACCL, AckTrackerPropertyTest::runCase);
    }

    private static void runCase(SplittableRandom rnd, StringBuilder trace) {
        int size = 1 + rnd.nextInt(3);
        UnreadableEvents unreadable = new UnreadableEvents("c", "t", UnreadableEventPolicy.SKIP, size);
        GroupEvents group = new GroupEvents("c", "t", AssignmentListener.NONE, size, BackgroundErrors.LOGGING);
        AckTracker acks = new AckTracker("c", "t", size, group, unreadable);
        List<Part> model = new ArrayList<>();
        for (int p = 0; p < size; p++) {
            model.add(new Part());
        }
        List<Delivered> held = new ArrayList<>(); // delivered, not yet acknowledged by the application
        Set<Integer> initial = new HashSet<>();
        for (int p = 0; p < size; p++) {
            assign(p, 0, acks, unreadable, model);
            initial.add(p);
        }
        group.assigned(initial);
        for (int step = 0; step < STEPS; step++) {
            int op = rnd.nextInt(100);
            if (op < 30) { // an event is delivered, perhaps after a skipped event or a lost range
                int p = rnd.nextInt(size);
                Part m = model.get(p);
                if (!m.assigned) {
                    continue;
                }
                int gap = rnd.nextInt(10);
                if (gap == 0) {
                    trace.append("skip(p").append(p).append(',').append(m.next).append(") ");
                    unreadable.unreadable(p, m.next, new DiasporaException("bad"), acks.acked());
                    m.passed.merge(m.next, m.next + 1, Math::max);
                    m.next++;
                    m.stepOver();
                } else if (gap == 1) {
                    long last = m.next + rnd.nextInt(3);
                    trace.append("lost(p").append(p).append(',').append(m.next).append("..").append(last).append(") ");
                    unreadable.lost(new EventsLostException(p, m.next, last, "test"), acks.acked());
                    m.passed.merge(m.next, last + 1, Math::max);
                    m.next = last + 1;
                    m.stepOver();
                }
                held.add(new Delivered(p, m.next++, acks.tenure(p)));
            } else if (op < 60) { // the application acknowledges a held event, in any order
                if (held.isEmpty()) {
                    continue;
                }
                Delivered d = held.remove(rnd.nextInt(held.size()));
                Part m = model.get(d.p());
                trace.append("ack(p").append(d.p()).append(',').append(d.id()).append(",t").append(d.tenure())
                        .append(") ");
                if (d.tenure() != m.tenure) {
                    assertThrows(ConsumerConflictException.class, () -> acks.acknowledge(d.p(), d.id(), d.tenure()),
                            "acknowledgement from an earlier tenure");
                } else {
                    m.acked = Math.max(m.acked, d.id() + 1);
                    if (m.revoked) {
                        assertThrows(ConsumerConflictException.class,
                                () -> acks.acknowledge(d.p(), d.id(), d.tenure()), "acknowledgement after revocation");
                    } else {
                        acks.acknowledge(d.p(), d.id(), d.tenure());
                        m.stepOver();
                    }
                }
            } else if (op < 75) { // the periodic commit; the fetch thread may not have dropped revoked partitions yet
                int[] parts = heldParts(model, rnd);
                Map<Integer, Long> expected = new HashMap<>();
                for (int p : parts) {
                    Part m = model.get(p);
                    if (m.acked > m.committed) {
                        expected.put(p, m.acked);
                    }
                }
                Map<Integer, Long> dirty = acks.uncommitted(parts);
                assertEquals(expected.isEmpty() ? null : expected, dirty, "uncommitted positions");
                if (dirty != null) {
                    trace.append("commit").append(dirty).append(' ');
                    acks.committed(dirty);
                    for (Map.Entry<Integer, Long> e : dirty.entrySet()) {
                        Part m = model.get(e.getKey());
                        assertTrue(e.getValue() > m.committed, "a commit moves the position on");
                        m.committed = e.getValue();
                    }
                }
            } else if (op < 85) { // a rebalance takes partitions away
                Set<Integer> leaving = new HashSet<>();
                for (int p = 0; p < size; p++) {
                    if (model.get(p).assigned && rnd.nextInt(3) == 0) {
                        leaving.add(p);
                    }
                }
                if (leaving.isEmpty()) {
                    continue;
                }
                trace.append("revoke").append(leaving).append(' ');
                Map<Integer, Long> expected = new HashMap<>();
                for (int p : leaving) {
                    Part m = model.get(p);
                    m.revoked = true;
                    m.assigned = false;
                    if (m.acked > m.committed) {
                        expected.put(p, m.acked);
                        m.committed = m.acked;
                    }
                }
                assertEquals(expected, acks.revoking(leaving), "positions handed over at revocation");
            } else if (op < 95) { // a rebalance gives partitions (back), at the position the group stored or further
                Set<Integer> arriving = new HashSet<>();
                for (int p = 0; p < size; p++) {
                    if (!model.get(p).assigned && rnd.nextInt(2) == 0) {
                        arriving.add(p);
                    }
                }
                if (arriving.isEmpty()) {
                    continue;
                }
                trace.append("assign").append(arriving).append(' ');
                for (int p : arriving) {
                    Part m = model.get(p);
                    long start = Math.max(m.committed, 0) + rnd.nextInt(3); // another member may have read on
                    assign(p, start, acks, unreadable, model);
                }
                group.assigned(arriving);
                for (int p : arriving) {
                    model.get(p).revoked = false;
                }
            } else { // the topic grows; new partitions arrive
                int grown = size + 1;
                trace.append("grow(").append(grown).append(") ");
                acks.grow(grown);
                unreadable.grow(grown);
                group.grow(grown);
                model.add(new Part());
                assign(size, 0, acks, unreadable, model);
                group.assigned(Set.of(size));
                size = grown;
            }
            for (int p = 0; p < size; p++) {
                assertEquals(model.get(p).acked, acks.acked().get(p), "acknowledged position of partition " + p);
            }
        }
    }

    /** As the fetch thread does when a partition arrives at {@code start}. */
    private static void assign(int p, long start, AckTracker acks, UnreadableEvents unreadable, List<Part> model) {
        acks.begin(p);
        unreadable.started(p, start);
        Part m = model.get(p);
        m.tenure++;
        m.assigned = true;
        m.acked = -1;
        m.committed = -1;
        m.start = start;
        m.next = start;
    }

    /** The assigned partitions, and some of the revoked ones that the fetch thread may still list. */
    private static int[] heldParts(List<Part> model, SplittableRandom rnd) {
        int[] out = new int[model.size()];
        int n = 0;
        for (int p = 0; p < model.size(); p++) {
            if (model.get(p).assigned || rnd.nextBoolean()) {
                out[n++] = p;
            }
        }
        return Arrays.copyOf(out, n);
    }
}
