package dev.diaspora.stream.tck;

import static dev.diaspora.stream.tck.GroupSupport.assignments;
import static dev.diaspora.stream.tck.GroupSupport.assumeGroups;
import static dev.diaspora.stream.tck.GroupSupport.awaitBalanced;
import static dev.diaspora.stream.tck.GroupSupport.drain;
import static dev.diaspora.stream.tck.GroupSupport.pushAll;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerConflictException;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.tck.GroupSupport.Ledger;
import dev.diaspora.stream.tck.GroupSupport.Stall;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Rules G3, G5 and G6 (consumer-group members that fail): a member whose heartbeats stop (G3) or that crashes
 * (G5) loses its partitions to the live members within twice its session timeout, its committed acknowledgements
 * holding and every event delivered; a member dropped while stalled that wakes up stores no position for the
 * partitions it lost (G6). The membership rules G1, G2 and G4 are {@link GroupContract}'s, whose options and
 * capability checks these tests share.
 *
 * <p>G3 and G6 need {@link dev.diaspora.stream.spi.Capabilities#staleMemberTakeover()} (their "crash" stalls the
 * member's fetch thread in a data selector, so its heartbeats stop while its process lives on); G5 needs the driver's
 * crash hook ({@link TckFixture#crashableMember}).
 */
public interface GroupFailureContract extends GroupContract {
    /**
     * G3: a member whose heartbeats stop (its fetch thread blocks in a data selector, the process lives on) loses
     * its partitions to the live members within twice the session timeout; its committed acknowledgements hold (the
     * events it acknowledged and committed are not delivered again), and every event is delivered.
     */
    @Test
    @Timeout(value = 90, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void optional_G3_aMemberThatStopsHeartbeatingLosesItsPartitions() throws InterruptedException {
        assumeGroups(this);
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
            awaitBalanced(this, all, 8, timeout.multipliedBy(3), "G3 (3 members)");
            pushAll(this, producer, 8, per, 0);
            drain(this, all, ledger, 8 * per, "G3 (before the stall)");
            await(victim.commit(), "G3: commit");
            stall.armed.set(true);
            pushAll(this, producer, 8, per, 1); // the victim's fetch thread blocks on its first new event
            assertTrue(stall.stalled.await(env().pullTimeout().toMillis(), TimeUnit.MILLISECONDS),
                    "G3: the stalled member never read a new event");
            Duration within = timeout.multipliedBy(2);
            awaitBalanced(this, live, 8, within.plus(env().timeout(Duration.ofMillis(500))), "G3 (a member stopped"
                    + " heartbeating: its partitions must move within 2 x sessionTimeout = " + within + ")");
            // measured from the moment the member's fetch thread blocked, when its heartbeats stopped, not from the
            // pushes before it (they take longer on a loaded machine); the slack covers awaitBalanced's polling
            long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stall.stalledAt);
            long slack = env().timeout(Duration.ofMillis(100)).toMillis();
            assertTrue(took <= within.toMillis() + slack, "G3: the partitions moved " + took + " ms after the member"
                    + " stopped heartbeating, more than 2 x sessionTimeout (" + within.toMillis() + " ms) + " + slack
                    + " ms");
            drain(this, live, ledger, 2 * 8 * per, "G3 (after the stall)");
        } finally {
            stall.release.countDown();
            live.forEach(Consumer::close);
            if (victim != null) {
                victim.close();
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
        assumeGroups(this);
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
                awaitBalanced(this, all, 8, timeout.multipliedBy(3), "G5 (3 members)");
                pushAll(this, producer, 8, per, 0);
                drain(this, all, ledger, 8 * per, "G5 (before the crash)");
                await(victim.consumer().commit(), "G5: commit");
                victim.crash();
                Duration within = timeout.multipliedBy(2);
                awaitBalanced(this, live, 8, within.plus(env().timeout(Duration.ofMillis(500))), "G5 (a member crashed:"
                        + " its partitions must move within 2 x sessionTimeout = " + within + ")");
                pushAll(this, producer, 8, per, 1);
                drain(this, live, ledger, 2 * 8 * per, "G5 (after the crash)");
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
        assumeGroups(this);
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
            awaitBalanced(this, List.of(victim), 2, timeout.multipliedBy(3), "G6 (1 member)");
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
            awaitBalanced(this, List.of(live), 2, within, "G6 (the stalled member's partitions move to the live one)");
            drain(this, List.of(live), ledger, 2 * 2 * per, "G6 (after the stall)");
            await(live.commit(), "G6: commit of the new owner");
            Map<Integer, Long> owner = topic.positions("g6");
            stall.release.countDown(); // the victim wakes up with the old generation's leases and acknowledgements
            List<Consumer> both = List.of(live, victim);
            Duration settle = timeout.multipliedBy(3).plus(env().timeout(Duration.ofMillis(500)));
            awaitCondition(() -> {
                assertNotBehind(topic.positions("g6"), owner);
                return GroupContract.unbalanced(both, 2) == null;
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
