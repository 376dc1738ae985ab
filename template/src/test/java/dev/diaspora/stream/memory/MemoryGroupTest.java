package dev.diaspora.stream.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.diaspora.stream.AssignmentListener;
import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerConflictException;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.TopicHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Engine behaviour around group rebalances (issue 12), on the memory driver. */
@Timeout(60)
class MemoryGroupTest {
    private static ConsumerOptions member(AssignmentListener l) {
        return ConsumerOptions.named("g").sessionTimeout(Duration.ofSeconds(1))
                .heartbeatInterval(Duration.ofMillis(250)).assignmentListener(l);
    }

    private static void await(BooleanSupplier c, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!c.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                fail("not within 5 s: " + what);
            }
            Thread.sleep(10);
        }
    }

    @Test
    void sessionTimeoutAndHeartbeatAreChecked() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ConsumerOptions.named("x").sessionTimeout(Duration.ZERO));
        assertTrue(e.getMessage().contains("sessionTimeout must be positive"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ConsumerOptions.named("x").sessionTimeout(Duration.ofMillis(-1)));
        assertThrows(IllegalArgumentException.class, () -> ConsumerOptions.named("x").heartbeatInterval(Duration.ZERO));
        ConsumerOptions o = ConsumerOptions.named("x").sessionTimeout(Duration.ofSeconds(2))
                .heartbeatInterval(Duration.ofSeconds(3));
        e = assertThrows(IllegalArgumentException.class, o::heartbeatInterval);
        assertTrue(e.getMessage().contains("must be shorter than sessionTimeout"), e.getMessage());
        assertEquals(Duration.ofSeconds(10), ConsumerOptions.named("x").sessionTimeout());
        assertEquals(Duration.ofSeconds(2), ConsumerOptions.named("x").sessionTimeout(Duration.ofSeconds(6))
                .batchSize(dev.diaspora.stream.BatchSize.of(3)).heartbeatInterval(),
                "the group options survive the other setters");
    }

    /**
     * {@link TopicHandle#describeGroup} lists the live members with the partitions each holds (their
     * {@code assignment()}), without joining: describing does not change the assignment; a member closed is gone.
     */
    @Test
    void describeGroupListsLiveMembersAndTheirPartitions() throws InterruptedException {
        try (Driver d = Driver.open("memory")) {
            d.createTopic("dg", Metadata.of("{\"num_partitions\":5}"));
            TopicHandle t = d.openTopic("dg");
            assertEquals(List.of(), t.describeGroup("g").orElseThrow().members(), "nobody consumes yet");
            try (Consumer a = t.consumer(member(AssignmentListener.NONE))) {
                try (Consumer b = t.consumer(member(AssignmentListener.NONE))) {
                    await(() -> a.assignment().size() + b.assignment().size() == 5
                            && Math.abs(a.assignment().size() - b.assignment().size()) == 1, "balanced");
                    dev.diaspora.stream.ConsumerGroup g = t.describeGroup("g").orElseThrow();
                    assertEquals("g", g.name());
                    assertEquals(2, g.members().size(), g.toString());
                    Set<Set<Integer>> shares = new HashSet<>();
                    for (dev.diaspora.stream.ConsumerGroup.Member m : g.members()) {
                        shares.add(new HashSet<>(m.partitions()));
                    }
                    assertEquals(Set.of(a.assignment(), b.assignment()), shares);
                    for (int p = 0; p < 5; p++) {
                        assertTrue(g.holderOf(p).isPresent(), "partition " + p + " has a holder: " + g);
                    }
                    assertEquals(List.of(), t.describeGroup("other").orElseThrow().members());
                    assertThrows(IllegalArgumentException.class, () -> t.describeGroup(""));
                }
                await(() -> a.assignment().size() == 5, "a takes b's partitions");
                dev.diaspora.stream.ConsumerGroup g = t.describeGroup("g").orElseThrow();
                assertEquals(1, g.members().size(), g.toString());
                assertEquals(List.of(0, 1, 2, 3, 4), g.members().get(0).partitions());
            }
            assertEquals(List.of(), t.describeGroup("g").orElseThrow().members(), "the last member left");
        }
    }

    /** maxPollInterval is checked like the other group durations (what it does: GroupContract G4, in the TCK). */
    @Test
    void maxPollIntervalIsChecked() {
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> ConsumerOptions.named("x").maxPollInterval(Duration.ZERO));
        assertTrue(bad.getMessage().contains("maxPollInterval must be positive"), bad.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> ConsumerOptions.named("x").maxPollInterval(Duration.ofSeconds(-1)));
        assertEquals(ConsumerOptions.DEFAULT_MAX_POLL_INTERVAL, ConsumerOptions.named("x").maxPollInterval());
        assertEquals(Duration.ofSeconds(7), ConsumerOptions.named("x").maxPollInterval(Duration.ofSeconds(7))
                .sessionTimeout(Duration.ofSeconds(2)).maxPollInterval(), "kept by the other group setters");
    }

    /**
     * A partition revoked by a rebalance: the listener hears of it on the fetch thread (one that throws does not
     * break the consumer), and acknowledging an event of it afterwards throws ConsumerConflictException instead of
     * storing a position for a partition another member reads.
     */
    @Test
    void aRevokedPartitionIsToldAndItsLaterAcknowledgementFails() throws InterruptedException {
        try (Driver d = Driver.open("memory")) {
            d.createTopic("t", Metadata.of("{\"num_partitions\":4}"));
            TopicHandle t = d.openTopic("t");
            ConcurrentLinkedQueue<String> heard = new ConcurrentLinkedQueue<>();
            AssignmentListener throwing = new AssignmentListener() {
                @Override
                public void onAssigned(Set<Integer> partitions) {
                    heard.add("assigned " + partitions.size() + " on " + Thread.currentThread().getName());
                    throw new IllegalStateException("expected by the test: a listener that throws");
                }

                @Override
                public void onRevoked(Set<Integer> partitions) {
                    heard.add("revoked " + partitions.size() + " on " + Thread.currentThread().getName());
                    throw new IllegalStateException("expected by the test: a listener that throws");
                }
            };
            try (Producer p = t.producer()) {
                for (int i = 0; i < 4; i++) {
                    p.push(Metadata.of("{}"), DataView.EMPTY, i);
                }
                p.flush().join();
            }
            try (Consumer first = t.consumer(member(throwing))) {
                await(() -> first.assignment().size() == 4, "the only member reads all");
                List<Event> held = new ArrayList<>();
                long deadline = System.nanoTime() + 5_000_000_000L;
                while (held.size() < 4 && System.nanoTime() < deadline) {
                    first.poll(Duration.ofMillis(50)).ifPresent(held::add);
                }
                assertEquals(4, held.size());
                try (Consumer second = t.consumer(member(AssignmentListener.NONE))) {
                    await(() -> first.assignment().size() == 2 && second.assignment().size() == 2,
                            "2 and 2 after a join: " + first.assignment() + " " + second.assignment());
                    int conflicts = 0;
                    for (Event e : held) {
                        if (first.assignment().contains(e.partition())) {
                            e.acknowledge();
                        } else {
                            ConsumerConflictException x = assertThrows(ConsumerConflictException.class, e::acknowledge);
                            assertTrue(x.getMessage().contains("no longer reads partition " + e.partition()),
                                    x.getMessage());
                            conflicts++;
                        }
                    }
                    assertEquals(2, conflicts);
                    // the revoked partitions' events come to the new reader, which nobody acknowledged
                    Set<Integer> got = new HashSet<>();
                    long until = System.nanoTime() + 5_000_000_000L;
                    while (got.size() < 2 && System.nanoTime() < until) {
                        Optional<Event> e = second.poll(Duration.ofMillis(50));
                        e.ifPresent(ev -> got.add(ev.partition()));
                    }
                    assertEquals(second.assignment(), got);
                    assertTrue(first.poll(Duration.ofMillis(100)).isEmpty(), "the consumer goes on after its"
                            + " listener threw");
                }
            }
            assertTrue(heard.stream().anyMatch(s -> s.startsWith("assigned 4 on diaspora-")), heard.toString());
            assertTrue(heard.stream().anyMatch(s -> s.startsWith("revoked 2 on diaspora-")), heard.toString());
        }
    }

    /**
     * A member whose fetch thread stalls past its session timeout loses its partitions to a live member (the memory
     * driver takes its leases over); when it wakes up it gives them up without storing the position it acknowledged
     * meanwhile, so the stored position of the new reader never goes back.
     */
    @Test
    void aStalledMemberStoresNoPositionForPartitionsItLost() throws InterruptedException {
        try (Driver d = Driver.open("memory")) {
            d.createTopic("s", Metadata.of("{\"num_partitions\":2}"));
            TopicHandle t = d.openTopic("s");
            java.util.concurrent.atomic.AtomicBoolean stall = new java.util.concurrent.atomic.AtomicBoolean();
            java.util.concurrent.CountDownLatch stalled = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
            dev.diaspora.stream.DataSelector selector = (md, data) -> {
                if (stall.get()) {
                    stalled.countDown();
                    try {
                        release.await(30, java.util.concurrent.TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                return dev.diaspora.stream.DataDescriptor.NONE;
            };
            try (Producer p = t.producer()) {
                for (int i = 0; i < 10; i++) {
                    p.push(Metadata.of("{}"), DataView.EMPTY, 0);
                }
                p.flush().join();
            }
            try (Consumer victim = t.consumer(member(AssignmentListener.NONE).dataSelector(selector))) {
                Event first = victim.poll(Duration.ofSeconds(5)).orElseThrow();
                first.acknowledge();
                victim.commit().join();
                Event second = victim.poll(Duration.ofSeconds(5)).orElseThrow();
                assertEquals(1, second.id());
                stall.set(true);
                try (Producer p = t.producer()) {
                    p.push(Metadata.of("{}"), DataView.EMPTY, 0);
                    p.push(Metadata.of("{}"), DataView.EMPTY, 1);
                    p.flush().join();
                }
                assertTrue(stalled.await(5, java.util.concurrent.TimeUnit.SECONDS), "the victim's fetch thread stalls");
                try (Consumer other = t.consumer(member(AssignmentListener.NONE))) {
                    await(() -> other.assignment().equals(Set.of(0, 1)), "the live member takes both partitions: "
                            + other.assignment());
                    long last = -1;
                    for (int i = 0; i < 5; i++) {
                        Event e = other.poll(Duration.ofSeconds(5)).orElseThrow();
                        if (e.partition() == 0) {
                            e.acknowledge();
                            last = Math.max(last, e.id());
                        }
                    }
                    assertTrue(last >= 1, "the new reader starts after the victim's stored position");
                    other.commit().join();
                    long stored = t.positions("g").get(0);
                    second.acknowledge(); // accepted in memory: the stalled consumer does not know yet
                    release.countDown();
                    await(() -> victim.assignment().size() <= 1 && other.assignment().size() <= 1
                            && victim.assignment().size() + other.assignment().size() == 2, "rebalanced after the"
                            + " victim woke up: " + victim.assignment() + " " + other.assignment());
                    victim.commit().join();
                    assertTrue(t.positions("g").get(0) >= stored, "the stalled member stored a position for a"
                            + " partition it had lost: " + t.positions("g") + " < " + stored);
                }
            }
        }
    }

    /**
     * An event delivered before a rebalance took its partition away, acknowledged after the partition came back to
     * the same consumer (a new tenure): the acknowledgement must not move the stored position back behind what the
     * other member stored meanwhile (it throws ConsumerConflictException and stores nothing).
     */
    @Test
    void anAcknowledgementFromAnEarlierTenureDoesNotMoveThePositionBack() throws InterruptedException {
        try (Driver d = Driver.open("memory")) {
            d.createTopic("tenure", Metadata.of("{\"num_partitions\":2}"));
            TopicHandle t = d.openTopic("tenure");
            int per = 10;
            try (Producer p = t.producer()) {
                for (int i = 0; i < per; i++) {
                    p.push(Metadata.of("{}"), DataView.EMPTY, 0);
                    p.push(Metadata.of("{}"), DataView.EMPTY, 1);
                }
                p.flush().join();
            }
            try (Consumer first = t.consumer(member(AssignmentListener.NONE))) {
                await(() -> first.assignment().size() == 2, "the only member reads all");
                Event[] old = new Event[2]; // the first event of each partition, delivered and not acknowledged
                long deadline = System.nanoTime() + 5_000_000_000L;
                while ((old[0] == null || old[1] == null) && System.nanoTime() < deadline) {
                    first.poll(Duration.ofMillis(50)).ifPresent(e -> {
                        if (old[e.partition()] == null) {
                            old[e.partition()] = e;
                        }
                    });
                }
                assertTrue(old[0] != null && old[1] != null, "an event of each partition");
                int moved;
                try (Consumer second = t.consumer(member(AssignmentListener.NONE))) {
                    await(() -> first.assignment().size() == 1 && second.assignment().size() == 1, "1 and 1");
                    moved = second.assignment().iterator().next();
                    int read = 0;
                    long until = System.nanoTime() + 5_000_000_000L;
                    while (read < per && System.nanoTime() < until) {
                        Optional<Event> e = second.poll(Duration.ofMillis(50));
                        if (e.isPresent()) {
                            e.get().acknowledge();
                            read++;
                        }
                    }
                    assertEquals(per, read, "the second member reads partition " + moved);
                    second.commit().join();
                    assertEquals(Long.valueOf(per), t.positions("g").get(moved));
                }
                await(() -> first.assignment().size() == 2, "partition " + moved + " back at the first member");
                Event stale = old[moved];
                String refused = null;
                try {
                    stale.acknowledge();
                } catch (ConsumerConflictException x) {
                    refused = x.getMessage();
                }
                first.commit().join();
                assertEquals(Long.valueOf(per), t.positions("g").get(moved), "the stored position of partition "
                        + moved + " must not move back to " + (stale.id() + 1));
                assertTrue(refused != null && refused.contains("delivered before a group rebalance took the"
                        + " partition away"), "the acknowledgement of an event of the earlier tenure is refused: "
                        + refused);
            }
        }
    }
}
