package dev.diaspora.stream.tck;

import static dev.diaspora.stream.tck.Tck.md;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerConflictException;
import dev.diaspora.stream.DataDescriptor;
import dev.diaspora.stream.DataSelector;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Producer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What the consumer-group contracts ({@link GroupContract}, {@link GroupFailureContract}) share: the ledger of
 * deliveries, the stalling data selector, and pushing, draining and waiting for a balanced group with deadlines.
 *
 * <p>Thread safety: the static methods are as safe as the fixture and consumers they get; a {@link Ledger} is used
 * by one test thread.
 */
final class GroupSupport {
    private GroupSupport() {
    }

    /** What a test saw: every delivery, and which events were acknowledged (and so must never come again). */
    static final class Ledger {
        final Map<String, Integer> deliveries = new HashMap<>();
        final Set<String> acknowledged = new HashSet<>();

        /** Records a delivery; fails if the event was acknowledged before. Acknowledges it (unless told not to). */
        boolean take(Consumer c, Event e, String rule, boolean ack) {
            String key = e.partition() + ":" + e.id();
            if (acknowledged.contains(key)) {
                fail(rule + ": " + Tck.describe(e) + " was acknowledged and is delivered again (to " + c + ")");
            }
            deliveries.merge(key, 1, Integer::sum);
            if (!ack) {
                return false;
            }
            try {
                e.acknowledge();
                acknowledged.add(key);
                return true;
            } catch (ConsumerConflictException x) {
                return false; // revoked meanwhile: the event goes to the partition's next reader, which is allowed
            }
        }
    }

    /**
     * A data selector that, once armed, blocks the fetch thread that calls it (at most 60 s) until released: a member
     * whose heartbeats stop while its process lives on.
     */
    static final class Stall {
        final AtomicBoolean armed = new AtomicBoolean();
        final CountDownLatch stalled = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        /** When the fetch thread blocked (System.nanoTime), which is when its heartbeats stopped. */
        volatile long stalledAt;
        final DataSelector selector = (md, d) -> {
            if (armed.get()) {
                if (stalled.getCount() > 0) {
                    stalledAt = System.nanoTime();
                }
                stalled.countDown();
                try {
                    release.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return DataDescriptor.NONE;
        };
    }

    /** Skips the test unless the driver declares consumer groups. */
    static void assumeGroups(TckFixture f) {
        assumeTrue(f.capabilities().consumerGroups(), "the driver declares no consumer groups (Capabilities"
                + ".consumerGroups): consumers of a name split the partitions first come, first served");
    }

    /** Waits until the members' assignments are a balanced partition of {@code 0..numPartitions-1}. */
    static void awaitBalanced(TckFixture f, List<Consumer> members, int numPartitions, Duration within, String rule) {
        String[] last = new String[1];
        f.awaitCondition(() -> (last[0] = GroupContract.unbalanced(members, numPartitions)) == null, within,
                () -> rule + ": the group of " + members.size() + " members did not settle to a balanced assignment"
                        + " within " + within + ": " + last[0]);
    }

    /** Pushes {@code perPartition} events to each partition and flushes. */
    static void pushAll(TckFixture f, Producer producer, int partitions, int perPartition, int round) {
        for (int p = 0; p < partitions; p++) {
            for (int i = 0; i < perPartition; i++) {
                producer.push(md("{\"r\":" + round + ",\"p\":" + p + ",\"i\":" + i + "}"), DataView.EMPTY, p);
            }
        }
        f.await(producer.flush(), "G: flush");
    }

    /** Polls the members round robin, acknowledging, until {@code total} distinct events were delivered. */
    static void drain(TckFixture f, List<Consumer> members, Ledger ledger, int total, String rule) {
        long deadline = System.nanoTime() + f.env().pullTimeout().toNanos() * 3;
        while (ledger.deliveries.size() < total) {
            if (System.nanoTime() - deadline > 0) {
                fail(rule + ": " + ledger.deliveries.size() + " of " + total + " events delivered before the deadline;"
                        + " assignments " + assignments(members));
            }
            for (Consumer c : members) {
                Optional<Event> e = c.poll(Duration.ofMillis(5));
                e.ifPresent(ev -> ledger.take(c, ev, rule, true));
            }
        }
    }

    /** @return each member's assignment */
    static List<Set<Integer>> assignments(List<Consumer> members) {
        List<Set<Integer>> out = new ArrayList<>();
        for (Consumer c : members) {
            out.add(c.assignment());
        }
        return out;
    }
}
