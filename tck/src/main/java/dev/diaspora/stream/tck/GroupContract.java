package dev.diaspora.stream.tck;

import static dev.diaspora.stream.tck.Tck.md;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerConflictException;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataDescriptor;
import dev.diaspora.stream.DataSelector;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.TopicHandle;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Rules G1–G6: consumer groups. Consumers of one name without explicit targets are members of one group: the
 * partitions are spread evenly ({@code floor(P/M)} or {@code ceil(P/M)} each), a join or a leave rebalances, a member
 * closed cleanly hands its partitions off with no acknowledged event delivered again, and a member that stops
 * heartbeating loses its partitions to the live members within twice its session timeout, and a member whose
 * application stops pulling leaves the group after its {@code maxPollInterval}. Throughout, every event is
 * delivered, no acknowledged (and stored) event is delivered again, and no partition is held by two members once the
 * group has settled. G5 checks a crashed member through a hook of the driver's test class
 * ({@link TckFixture#crashableMember}). G6: a member dropped while stalled that wakes up stores no position for the
 * partitions it lost (the driver fences the old holder of a lease that was taken over).
 *
 * <p>Needs {@link dev.diaspora.stream.spi.Capabilities#consumerGroups()}; G3 and G6 also
 * {@link dev.diaspora.stream.spi.Capabilities#staleMemberTakeover()} (its "crash" stalls the member's fetch thread in
 * a data selector, so its heartbeats stop while its process lives on). Session timeout 1 s (times
 * {@code tck.timeoutScale}, at least 300 ms).
 */
public interface GroupContract extends TckFixture {
    /** The session timeout of the members in these tests, before {@code tck.timeoutScale}. */
    Duration SESSION_TIMEOUT = Duration.ofSeconds(1);

    /** The shortest session timeout the tests use, whatever {@code tck.timeoutScale}: shorter ones flap on a busy host. */
    Duration MIN_SESSION_TIMEOUT = Duration.ofMillis(300);

    /** @return the session timeout of the members: 1 s times {@code tck.timeoutScale}, at least 300 ms */
    default Duration groupSessionTimeout() {
        Duration t = env().timeout(SESSION_TIMEOUT);
        return t.compareTo(MIN_SESSION_TIMEOUT) < 0 ? MIN_SESSION_TIMEOUT : t;
    }

    /** @return options of a group member with the test's short session timeout */
    default ConsumerOptions groupMember(String name) {
        Duration timeout = groupSessionTimeout();
        return ConsumerOptions.named(name).sessionTimeout(timeout).heartbeatInterval(timeout.dividedBy(4));
    }

    private void assumeGroups() {
        assumeTrue(capabilities().consumerGroups(), "the driver declares no consumer groups (Capabilities"
                + ".consumerGroups): consumers of a name split the partitions first come, first served");
    }

    /** @return why the assignments are not a balanced partition of {@code 0..numPartitions-1}, or null */
    static String unbalanced(List<Consumer> members, int numPartitions) {
        List<Set<Integer>> shares = new ArrayList<>();
        for (Consumer c : members) {
            shares.add(c.assignment());
        }
        return unbalancedShares(shares, numPartitions);
    }

    /**
     * @param shares each member's partitions (null: a member that has not reported one yet, as a child process)
     * @return why the shares are not a balanced partition of {@code 0..numPartitions-1}, or null
     */
    static String unbalancedShares(List<Set<Integer>> shares, int numPartitions) {
        int m = shares.size();
        Set<Integer> seen = new HashSet<>();
        for (Set<Integer> a : shares) {
            if (a == null) {
                return "a member has no assignment yet: " + shares;
            }
            for (int p : a) {
                if (!seen.add(p)) {
                    return "partition " + p + " is assigned to two members: " + shares;
                }
            }
            if (a.size() < numPartitions / m || a.size() > (numPartitions + m - 1) / m) {
                return "a member has " + a.size() + " partitions, not " + numPartitions / m + " or "
                        + (numPartitions + m - 1) / m + ": " + shares;
            }
        }
        if (seen.size() != numPartitions) {
            return "partitions unassigned: " + seen.size() + " of " + numPartitions + " assigned: " + shares;
        }
        return null;
    }

    private void awaitBalanced(List<Consumer> members, int numPartitions, Duration within, String rule) {
        String[] last = new String[1];
        awaitCondition(() -> (last[0] = unbalanced(members, numPartitions)) == null, within,
                () -> rule + ": the group of " + members.size() + " members did not settle to a balanced assignment"
                        + " within " + within + ": " + last[0]);
    }

    /** G1: three members of a name on eight partitions get 3, 3 and 2; a fourth joining makes it 2 each; a leave 3, 3, 2. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_G1_membersShareThePartitionsEvenlyAndRebalanceOnJoinAndLeave() {
        assumeGroups();
        TopicHandle topic = newTopic(8);
        Duration settle = groupSessionTimeout().multipliedBy(3);
        List<Consumer> members = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                members.add(topic.consumer(groupMember("g1")));
            }
            awaitBalanced(members, 8, settle, "G1 (3 members)");
            members.add(topic.consumer(groupMember("g1")));
            awaitBalanced(members, 8, settle, "G1 (a 4th member joined)");
            members.remove(0).close();
            awaitBalanced(members, 8, settle, "G1 (a member left)");
        } finally {
            members.forEach(Consumer::close);
        }
    }

    /** What a test saw: every delivery, and which events were acknowledged (and so must never come again). */
    final class Ledger {
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
    final class Stall {
        final AtomicBoolean armed = new AtomicBoolean();
        final CountDownLatch stalled = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final DataSelector selector = (md, d) -> {
            if (armed.get()) {
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

    private static void pushAll(TckFixture f, Producer producer, int partitions, int perPartition, int round) {
        for (int p = 0; p < partitions; p++) {
            for (int i = 0; i < perPartition; i++) {
                producer.push(md("{\"r\":" + round + ",\"p\":" + p + ",\"i\":" + i + "}"), DataView.EMPTY, p);
            }
        }
        f.await(producer.flush(), "G: flush");
    }

    /** Polls the members round robin, acknowledging, until {@code total} distinct events were delivered. */
    private void drain(List<Consumer> members, Ledger ledger, int total, String rule) {
        long deadline = System.nanoTime() + env().pullTimeout().toNanos() * 3;
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

    private static List<Set<Integer>> assignments(List<Consumer> members) {
        List<Set<Integer>> out = new ArrayList<>();
        for (Consumer c : members) {
            out.add(c.assignment());
        }
        return out;
    }

    /**
     * G2: events flow through a join and a clean leave: every event is delivered, none that was acknowledged is
     * delivered again (a member closed cleanly stores its positions before its partitions move), and the group
     * settles balanced after each change.
     */
    @Test
    @Timeout(value = 90, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_G2_cleanLeaveAndJoinHandOffWithoutRedelivery() {
        assumeGroups();
        TopicHandle topic = newTopic(8);
        Duration settle = groupSessionTimeout().multipliedBy(3);
        int per = 30;
        Ledger ledger = new Ledger();
        List<Consumer> members = new ArrayList<>();
        try (Producer producer = topic.producer()) {
            for (int i = 0; i < 3; i++) {
                members.add(topic.consumer(groupMember("g2")));
            }
            pushAll(this, producer, 8, per, 0);
            drain(members, ledger, 8 * per / 2, "G2 (3 members)");
            members.add(topic.consumer(groupMember("g2")));
            pushAll(this, producer, 8, per, 1);
            drain(members, ledger, 8 * per + 8 * per / 2, "G2 (a 4th member joined)");
            awaitBalanced(members, 8, settle, "G2 (4 members)");
            members.remove(0).close();
            pushAll(this, producer, 8, per, 2);
            drain(members, ledger, 3 * 8 * per, "G2 (a member closed)");
            awaitBalanced(members, 8, settle, "G2 (3 members after a close)");
            for (Consumer c : members) {
                Optional<Event> e = c.poll(env().quietPeriod());
                e.ifPresent(ev -> ledger.take(c, ev, "G2 (after all)", false));
            }
            assertEquals(3 * 8 * per, ledger.deliveries.size(), "G2: distinct events delivered");
        } finally {
            members.forEach(Consumer::close);
        }
    }

    /**
     * G3: a member whose heartbeats stop (its fetch thread blocks in a data selector, the process lives on) loses
     * its partitions to the live members within twice the session timeout; its committed acknowledgements hold (the
     * events it acknowledged and committed are not delivered again), and every event is delivered.
     */
    @Test
    @Timeout(value = 90, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void optional_G3_aMemberThatStopsHeartbeatingLosesItsPartitions() throws InterruptedException {
        assumeGroups();
        assumeTrue(capabilities().staleMemberTakeover(), "the driver keeps a stalled member's leases while its process"
                + " lives (Capabilities.staleMemberTakeover); a dead process loses them, see the driver's own tests");
        TopicHandle topic = newTopic(8);
        Duration timeout = groupSessionTimeout();
        int per = 20;
        Ledger ledger = new Ledger();
        Stall stall = new Stall();
        List<Consumer> live = new ArrayList<>();
        Consumer victim = null;
        try (Producer producer = topic.producer()) {
            victim = topic.consumer(groupMember("g3").dataSelector(stall.selector));
            for (int i = 0; i < 2; i++) {
                live.add(topic.consumer(groupMember("g3")));
            }
            List<Consumer> all = new ArrayList<>(live);
            all.add(victim);
            awaitBalanced(all, 8, timeout.multipliedBy(3), "G3 (3 members)");
            pushAll(this, producer, 8, per, 0);
            drain(all, ledger, 8 * per, "G3 (before the stall)");
            await(victim.commit(), "G3: commit");
            stall.armed.set(true);
            long t0 = System.nanoTime();
            pushAll(this, producer, 8, per, 1); // the victim's fetch thread blocks on its first new event
            assertTrue(stall.stalled.await(env().pullTimeout().toMillis(), TimeUnit.MILLISECONDS),
                    "G3: the stalled member never read a new event");
            Duration within = timeout.multipliedBy(2);
            awaitBalanced(live, 8, within.plus(env().timeout(Duration.ofMillis(500))), "G3 (a member stopped"
                    + " heartbeating: its partitions must move within 2 x sessionTimeout = " + within + ")");
            long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(took <= within.toMillis() + 100, "G3: the partitions moved after " + took + " ms, more than 2"
                    + " x sessionTimeout (" + within.toMillis() + " ms)");
            drain(live, ledger, 2 * 8 * per, "G3 (after the stall)");
        } finally {
            stall.release.countDown();
            live.forEach(Consumer::close);
            if (victim != null) {
                victim.close();
            }
        }
    }

    /**
     * G4: a member whose application stops pulling (its fetch thread still heartbeats) leaves the group once its
     * {@link ConsumerOptions#maxPollInterval} has passed, as on a clean leave: the member that pulls takes its
     * partitions and gets every event, those the idle member had prefetched included, none acknowledged one delivered
     * again; the idle member's next pull rejoins the group and the partitions are shared again.
     */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_G4_aMemberWhoseApplicationStopsPullingLeavesTheGroup() {
        assumeGroups();
        TopicHandle topic = newTopic(4);
        Duration settle = groupSessionTimeout().multipliedBy(3);
        ConsumerOptions options = groupMember("g4").maxPollInterval(groupSessionTimeout());
        int per = 5;
        Ledger ledger = new Ledger();
        Consumer idle = null;
        Consumer busy = null;
        try (Producer producer = topic.producer()) {
            idle = topic.consumer(options);
            busy = topic.consumer(options);
            List<Consumer> both = List.of(idle, busy);
            Consumer i = idle;
            Consumer b = busy;
            String[] last = new String[1];
            awaitCondition(() -> {
                i.poll(Duration.ZERO); // nothing to read yet: these pulls only keep both in the group
                b.poll(Duration.ZERO);
                return (last[0] = unbalanced(both, 4)) == null;
            }, settle, () -> "G4: two members did not settle: " + last[0]);
            pushAll(this, producer, 4, per, 0);
            drain(List.of(busy), ledger, 4 * per, "G4 (one member stopped pulling: the other must get its"
                    + " partitions after maxPollInterval = " + groupSessionTimeout() + ")");
            // (awaited, not asserted at once: on a loaded host the idle member's fetch thread may stall past its
            // session timeout, lose its partitions that way, and take a share again for a moment before it leaves)
            awaitCondition(() -> i.assignment().isEmpty() && b.assignment().equals(Set.of(0, 1, 2, 3)), settle,
                    () -> "G4: the member that stopped pulling must leave the group and the other read every"
                            + " partition: " + i.assignment() + " " + b.assignment());
            awaitCondition(() -> {
                i.poll(Duration.ZERO).ifPresent(ev -> ledger.take(i, ev, "G4 (rejoined)", true));
                b.poll(Duration.ZERO).ifPresent(ev -> ledger.take(b, ev, "G4 (rejoined)", true));
                return (last[0] = unbalanced(both, 4)) == null;
            }, settle, () -> "G4: the member did not rejoin the group when it pulled again: " + last[0]);
            assertEquals(4 * per, ledger.deliveries.size(), "G4: distinct events delivered");
        } finally {
            if (idle != null) {
                idle.close();
            }
            if (busy != null) {
                busy.close();
            }
        }
    }

    /**
     * G5: a member that crashes (the driver's hook, {@link TckFixture#crashableMember}, ends it as a killed process:
     * no leave, no last commit) loses its partitions to the live members within twice the session timeout; what it
     * acknowledged and committed is not delivered again, and every event is delivered.
     */
    @Test
    @Timeout(value = 90, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void optional_G5_aCrashedMemberLosesItsPartitions() {
        assumeGroups();
        TopicHandle topic = newTopic(8);
        Duration timeout = groupSessionTimeout();
        int per = 20;
        Ledger ledger = new Ledger();
        List<Consumer> live = new ArrayList<>();
        try (CrashableMember victim = crashableMember(topic.name(), groupMember("g5"))) {
            assumeTrue(victim != null, "the driver's test class provides no crash hook (TckFixture.crashableMember):"
                    + " a member whose process dies is checked by the driver's own tests");
            try (Producer producer = topic.producer()) {
                for (int i = 0; i < 2; i++) {
                    live.add(topic.consumer(groupMember("g5")));
                }
                List<Consumer> all = new ArrayList<>(live);
                all.add(victim.consumer());
                awaitBalanced(all, 8, timeout.multipliedBy(3), "G5 (3 members)");
                pushAll(this, producer, 8, per, 0);
                drain(all, ledger, 8 * per, "G5 (before the crash)");
                await(victim.consumer().commit(), "G5: commit");
                victim.crash();
                Duration within = timeout.multipliedBy(2);
                awaitBalanced(live, 8, within.plus(env().timeout(Duration.ofMillis(500))), "G5 (a member crashed:"
                        + " its partitions must move within 2 x sessionTimeout = " + within + ")");
                pushAll(this, producer, 8, per, 1);
                drain(live, ledger, 2 * 8 * per, "G5 (after the crash)");
            }
        } finally {
            live.forEach(Consumer::close);
        }
    }

    /**
     * G6: a member dropped for missing its heartbeats (its fetch thread stalled) that wakes up after a live member took
     * its partitions over stores no position for them: the stored positions never move back behind what the new owner
     * committed, whatever the woken member had acknowledged (here: its last events, acknowledged after its fetch thread
     * stalled, so not stored before it was dropped). A driver must fence the old holder of a lease that was taken
     * over, i.e. not ignore the member's generation.
     */
    @Test
    @Timeout(value = 90, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void optional_G6_aDroppedMemberThatWakesStoresNoPositionForLostPartitions() throws InterruptedException {
        assumeGroups();
        assumeTrue(capabilities().staleMemberTakeover(), "the driver keeps a stalled member's leases while its process"
                + " lives (Capabilities.staleMemberTakeover): no lease of a live process is ever taken over");
        TopicHandle topic = newTopic(2);
        Duration timeout = groupSessionTimeout();
        int per = 10;
        Ledger ledger = new Ledger();
        Stall stall = new Stall();
        Consumer victim = null;
        Consumer live = null;
        try (Producer producer = topic.producer()) {
            victim = topic.consumer(groupMember("g6").dataSelector(stall.selector));
            awaitBalanced(List.of(victim), 2, timeout.multipliedBy(3), "G6 (1 member)");
            pushAll(this, producer, 2, per, 0);
            Map<Integer, Event> last = drainKeepingLast(victim, ledger, 2 * per);
            await(victim.commit(), "G6: commit");
            stall.armed.set(true);
            pushAll(this, producer, 2, per, 1); // the victim's fetch thread blocks on its first new event
            assertTrue(stall.stalled.await(env().pullTimeout().toMillis(), TimeUnit.MILLISECONDS),
                    "G6: the stalled member never read a new event");
            for (Event e : last.values()) { // acknowledged, not yet stored: what the victim would store on waking up
                try {
                    e.acknowledge();
                } catch (ConsumerConflictException x) {
                    // already told it lost the partition: nothing to store either
                }
            }
            live = topic.consumer(groupMember("g6"));
            Duration within = timeout.multipliedBy(2).plus(env().timeout(Duration.ofMillis(500)));
            awaitBalanced(List.of(live), 2, within, "G6 (the stalled member's partitions move to the live one)");
            drain(List.of(live), ledger, 2 * 2 * per, "G6 (after the stall)");
            await(live.commit(), "G6: commit of the new owner");
            Map<Integer, Long> owner = topic.positions("g6");
            stall.release.countDown(); // the victim wakes up with the old generation's leases and acknowledgements
            List<Consumer> both = List.of(live, victim);
            Duration settle = timeout.multipliedBy(3).plus(env().timeout(Duration.ofMillis(500)));
            awaitCondition(() -> {
                assertNotBehind(topic.positions("g6"), owner);
                return unbalanced(both, 2) == null;
            }, settle, () -> "G6: the woken member and the live one did not settle to a balanced assignment within "
                    + settle + ": " + assignments(both));
            assertNotBehind(topic.positions("g6"), owner);
        } finally {
            stall.release.countDown();
            if (live != null) {
                live.close();
            }
            if (victim != null) {
                victim.close();
            }
        }
    }

    /**
     * Polls {@code c} until {@code total} distinct events were delivered, acknowledging each but the last of each
     * partition (recorded as delivered, not acknowledged, in the ledger).
     *
     * @return the last event delivered of each partition, not acknowledged
     */
    private Map<Integer, Event> drainKeepingLast(Consumer c, Ledger ledger, int total) {
        Map<Integer, Event> last = new HashMap<>();
        long deadline = System.nanoTime() + env().pullTimeout().toNanos() * 3;
        while (ledger.deliveries.size() < total) {
            if (System.nanoTime() - deadline > 0) {
                fail("G6 (before the stall): " + ledger.deliveries.size() + " of " + total + " events delivered before"
                        + " the deadline; assignment " + c.assignment());
            }
            Optional<Event> o = c.poll(Duration.ofMillis(5));
            if (o.isPresent()) {
                Event e = o.get();
                ledger.take(c, e, "G6 (before the stall)", false);
                Event prev = last.put(e.partition(), e);
                if (prev != null) {
                    prev.acknowledge();
                    ledger.acknowledged.add(prev.partition() + ":" + prev.id());
                }
            }
        }
        return last;
    }

    private static void assertNotBehind(Map<Integer, Long> now, Map<Integer, Long> owner) {
        for (Map.Entry<Integer, Long> e : owner.entrySet()) {
            Long p = now.get(e.getKey());
            if (p == null || p < e.getValue()) {
                fail("G6: the stored position of partition " + e.getKey() + " moved back from " + e.getValue()
                        + " (committed by the member that took it over) to " + p + " after the member dropped for"
                        + " missing its heartbeats woke up: a lease that was taken over must stop its old holder from"
                        + " storing positions (Lease.held() false)");
            }
        }
    }
}
