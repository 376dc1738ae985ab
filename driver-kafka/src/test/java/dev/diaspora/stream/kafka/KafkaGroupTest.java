package dev.diaspora.stream.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.diaspora.stream.AssignmentListener;
import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerConflictException;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataDescriptor;
import dev.diaspora.stream.DataSelector;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.TopicHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Kafka's consumer groups seen through the driver, against a real embedded broker (with session timeouts down to
 * 250 ms allowed): generation fencing of a member whose fetch thread stalled past its poll interval, the assignment
 * reported by {@link Consumer#assignment()} against the broker's own view, and a member that does not pull keeping its
 * partitions (the session polls Kafka for it).
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class KafkaGroupTest {
    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static final Duration SESSION = Duration.ofSeconds(1);
    /**
     * The session of the churn test's members: it is about rebalances caused by joins and clean leaves, not stalls, so
     * a fetch thread descheduled for a second on a loaded machine must not drop the steady member from the group (with
     * 1 s it did, at a load of 20 on 2 cores, and its commit failed as it should for a dropped member).
     */
    private static final Duration CHURN_SESSION = Duration.ofSeconds(15);
    private static final Duration WAIT = Duration.ofSeconds(30);

    @RegisterExtension
    static final BrokerExtension BROKER = new BrokerExtension(EmbeddedKafka.SHORT_GROUP_TIMEOUTS);

    private static String topicName(String base) {
        return "kgt-" + COUNTER.incrementAndGet() + "-" + base;
    }

    private static Driver open() {
        return Driver.open("kafka", Metadata.of("{\"bootstrap.servers\":\"" + BROKER.kafka().bootstrapServers()
                + "\"}"));
    }

    private static TopicHandle newTopic(Driver driver, String base, int partitions) {
        String name = topicName(base);
        driver.createTopic(name, Metadata.of("{\"num_partitions\":" + partitions + "}"));
        return driver.openTopic(name);
    }

    private static ConsumerOptions member(String name) {
        return member(name, SESSION);
    }

    private static ConsumerOptions member(String name, Duration session) {
        return ConsumerOptions.named(name).sessionTimeout(session).heartbeatInterval(session.dividedBy(4));
    }

    private static void push(Producer producer, int partition, int count) throws Exception {
        for (int i = 0; i < count; i++) {
            producer.push(Metadata.of("{\"i\":" + i + "}"), DataView.EMPTY, partition);
        }
        producer.flush().get(30, TimeUnit.SECONDS);
    }

    private static void await(BooleanSupplier condition, Supplier<String> what) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                fail("not within " + WAIT + ": " + what.get());
            }
            Thread.sleep(20);
        }
    }

    /** A data selector that, once armed, blocks the fetch thread that calls it until released (a stalled member). */
    private static final class Stall implements DataSelector {
        private final AtomicBoolean armed = new AtomicBoolean();
        private final CountDownLatch entered = new CountDownLatch(1);
        private final CountDownLatch released = new CountDownLatch(1);

        @Override
        public DataDescriptor select(Metadata metadata, DataDescriptor descriptor) {
            if (armed.get()) {
                entered.countDown();
                try {
                    released.await(WAIT.toMillis() * 2, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return DataDescriptor.NONE;
        }

        void arm() {
            armed.set(true);
        }

        boolean awaitStalled() throws InterruptedException {
            return entered.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        }

        void release() {
            released.countDown();
        }
    }

    /** Records what an {@link AssignmentListener} was told, and on which thread. */
    private static final class Recorder implements AssignmentListener {
        final List<String> calls = new CopyOnWriteArrayList<>();
        final CountDownLatch revoked = new CountDownLatch(1);

        @Override
        public void onAssigned(Set<Integer> partitions) {
            calls.add("assigned " + new TreeSet<>(partitions) + " on " + Thread.currentThread().getName());
        }

        @Override
        public void onRevoked(Set<Integer> partitions) {
            calls.add("revoked " + new TreeSet<>(partitions) + " on " + Thread.currentThread().getName());
            revoked.countDown();
        }
    }

    /**
     * A zombie: the member reading the only partition stalls its fetch thread (in a data selector) past its poll
     * interval, Kafka gives the partition to the other member, which reads from the last committed position and
     * commits further. When the zombie wakes up, the commit it was asked for meanwhile fails with
     * {@link ConsumerConflictException} and stores nothing (the new owner's position stays), its listener hears of the
     * revocation on its fetch thread, its assignment empties, an acknowledgement of an event it still holds fails, and
     * it delivers nothing more.
     */
    @Test
    void aMemberStalledPastItsPollIntervalIsFencedAndTold() throws Exception {
        Stall stall = new Stall();
        Recorder told = new Recorder();
        try (Driver driver = open()) {
            TopicHandle topic = newTopic(driver, "zombie", 1);
            try (Producer producer = topic.producer();
                    Consumer zombie = topic.consumer(member("z").ackInterval(Duration.ofHours(1))
                            .dataSelector(stall).assignmentListener(told))) {
                assertEquals(Set.of(0), zombie.assignment());
                push(producer, 0, 10);
                List<Event> got = new ArrayList<>();
                while (got.size() < 10) {
                    got.add(zombie.poll(WAIT).orElseThrow(() -> new AssertionError("the zombie got " + got.size()
                            + " of 10 events")));
                }
                for (int i = 0; i < 5; i++) {
                    got.get(i).acknowledge();
                }
                zombie.commit().get(30, TimeUnit.SECONDS);
                assertEquals(Map.of(0, 5L), topic.positions("z"));
                for (int i = 5; i < 9; i++) {
                    got.get(i).acknowledge(); // not committed: its ackInterval is an hour
                }
                try (Consumer successor = topic.consumer(member("z"))) {
                    assertEquals(Set.of(), successor.assignment(), "the sticky assignor keeps the partition");
                    stall.arm();
                    push(producer, 0, 1); // event 10: the zombie's fetch thread blocks on it
                    assertTrue(stall.awaitStalled(), "the zombie never read event 10");

                    List<Long> ids = new ArrayList<>();
                    long deadline = System.nanoTime() + WAIT.toNanos();
                    while (!ids.contains(10L)) {
                        if (System.nanoTime() - deadline > 0) {
                            fail("the successor did not take partition 0 over and read to event 10: got " + ids
                                    + ", assignment " + successor.assignment());
                        }
                        Optional<Event> e = successor.poll(Duration.ofMillis(100));
                        if (e.isPresent()) {
                            ids.add(e.get().id());
                            e.get().acknowledge();
                        }
                    }
                    assertEquals(List.of(5L, 6L, 7L, 8L, 9L, 10L), ids,
                            "the successor starts after the last committed position");
                    successor.commit().get(30, TimeUnit.SECONDS);
                    assertEquals(Map.of(0, 11L), topic.positions("z"));

                    CompletableFuture<Void> zombieCommit = zombie.commit(); // would store 9: runs when it wakes up
                    stall.release();
                    ExecutionException x = assertThrows(ExecutionException.class,
                            () -> zombieCommit.get(30, TimeUnit.SECONDS));
                    assertInstanceOf(ConsumerConflictException.class, x.getCause(), () -> x.getCause().toString());
                    assertTrue(x.getCause().getMessage().contains("no longer reads partitions [0]"),
                            x.getCause().getMessage());

                    assertTrue(told.revoked.await(30, TimeUnit.SECONDS), "the zombie's listener was never told: "
                            + told.calls);
                    String revoked = told.calls.stream().filter(c -> c.startsWith("revoked")).findFirst()
                            .orElseThrow();
                    assertTrue(revoked.startsWith("revoked [0] on diaspora-kafka-consumer-"), told.calls::toString);
                    await(() -> zombie.assignment().isEmpty(), () -> "zombie assignment " + zombie.assignment());
                    ConsumerConflictException late = assertThrows(ConsumerConflictException.class,
                            () -> got.get(9).acknowledge());
                    assertTrue(late.getMessage().contains("partition 0"), late.getMessage());
                    assertEquals(Optional.empty(), zombie.poll(Duration.ofSeconds(1)),
                            "the zombie delivers nothing of a partition it lost");
                    assertEquals(Set.of(0), successor.assignment());
                    assertEquals(Map.of(0, 11L), topic.positions("z"), "the zombie stored nothing");
                }
            } finally {
                stall.release();
            }
        }
    }

    /**
     * A member that acknowledges and commits without pause while other members join and leave (each a rebalance, in
     * which Kafka refuses commits for a while) sees every commit succeed: the session follows the rebalance and commits
     * what it still holds, and what it gives up is committed on the way out. Nothing it committed is delivered again
     * to it or to the members that come and go.
     */
    @Test
    void commitsWhileTheGroupRebalancesSucceed() throws Exception {
        try (Driver driver = open()) {
            TopicHandle topic = newTopic(driver, "rebalancing", 4);
            try (Producer producer = topic.producer()) {
                for (int p = 0; p < 4; p++) {
                    push(producer, p, 3000);
                }
            }
            Map<String, String> acknowledged = new java.util.concurrent.ConcurrentHashMap<>(); // key -> who, when
            List<String> problems = new CopyOnWriteArrayList<>();
            AtomicBoolean done = new AtomicBoolean();
            Thread churn = new Thread(() -> {
                try {
                    for (int i = 0; i < 3; i++) {
                        try (Consumer other = topic.consumer(member("r", CHURN_SESSION))) {
                            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(700);
                            while (System.nanoTime() - until < 0) {
                                other.poll(Duration.ofMillis(10)).ifPresent(e -> take(e, acknowledged, problems,
                                        "a member that came and went"));
                            }
                            other.commit().get(30, TimeUnit.SECONDS);
                        }
                    }
                } catch (Exception e) {
                    problems.add("churn: " + e);
                } finally {
                    done.set(true);
                }
            }, "churn");
            int commits = 0;
            try (Consumer steady = topic.consumer(member("r", CHURN_SESSION))) {
                churn.start();
                while (!done.get()) {
                    Optional<Event> e = steady.poll(Duration.ofMillis(10));
                    if (e.isPresent()) {
                        take(e.get(), acknowledged, problems, "the steady member");
                        try {
                            steady.commit().get(30, TimeUnit.SECONDS);
                            commits++;
                        } catch (ExecutionException x) {
                            problems.add("commit " + commits + " failed: " + x.getCause());
                        }
                    }
                }
                churn.join();
            }
            assertTrue(problems.isEmpty(), problems.size() + " problems in " + commits + " commits, the first: "
                    + problems.subList(0, Math.min(3, problems.size())));
            assertTrue(commits > 0, "the steady member committed nothing");
        }
    }

    /**
     * Records a delivery; an event acknowledged and committed before must not come again. A problem says who
     * acknowledged it first and when (ms on the test's clock), to tell a lost commit from a stale prefetch.
     */
    private static void take(Event e, Map<String, String> acknowledged, List<String> problems, String who) {
        String key = e.partition() + ":" + e.id();
        long now = TimeUnit.NANOSECONDS.toMillis(System.nanoTime());
        String before = acknowledged.get(key);
        if (before != null) {
            problems.add(who + " got " + key + " again at " + now + " ms after " + before + " acknowledged it");
        }
        try {
            e.acknowledge();
            acknowledged.putIfAbsent(key, who + " at " + now + " ms");
        } catch (ConsumerConflictException revoked) {
            // the partition left meanwhile: its next reader may deliver it again
        }
    }

    /** {@link Consumer#assignment()} of each member is what the broker's group description says, after every change. */
    @Test
    void assignmentIsKafkasAssignment() throws Exception {
        Properties props = new Properties();
        props.put("bootstrap.servers", BROKER.kafka().bootstrapServers());
        try (Driver driver = open(); Admin admin = Admin.create(props)) {
            TopicHandle topic = newTopic(driver, "assignment", 5);
            List<Consumer> members = new ArrayList<>();
            try {
                for (int m = 1; m <= 3; m++) {
                    members.add(topic.consumer(member("a")));
                    awaitSameAsBroker(admin, topic.name(), members);
                }
                members.remove(0).close();
                awaitSameAsBroker(admin, topic.name(), members);
            } finally {
                members.forEach(Consumer::close);
            }
        }
    }

    private static void awaitSameAsBroker(Admin admin, String topic, List<Consumer> members) throws Exception {
        List<String> ours = new ArrayList<>();
        List<String> broker = new ArrayList<>();
        await(() -> {
            ours.clear();
            broker.clear();
            Set<Integer> union = new HashSet<>();
            for (Consumer c : members) {
                ours.add(new TreeSet<>(c.assignment()).toString());
                union.addAll(c.assignment());
            }
            try {
                ConsumerGroupDescription d = admin.describeConsumerGroups(List.of("a")).all().get(30,
                        TimeUnit.SECONDS).get("a");
                for (MemberDescription m : d.members()) {
                    Set<Integer> ps = new TreeSet<>();
                    for (TopicPartition tp : m.assignment().topicPartitions()) {
                        if (tp.topic().equals(topic)) {
                            ps.add(tp.partition());
                        }
                    }
                    broker.add(ps.toString());
                }
            } catch (Exception e) {
                throw new AssertionError(e);
            }
            ours.sort(Comparator.naturalOrder());
            broker.sort(Comparator.naturalOrder());
            return union.size() == 5 && ours.equals(broker);
        }, () -> members.size() + " members report " + ours + ", the broker says " + broker);
    }

    /**
     * A member whose application does not pull for three session timeouts (its prefetch is full) keeps its
     * partitions: the session polls Kafka for it, so Kafka's poll interval (the session timeout) does not expire.
     */
    @Test
    void aMemberThatDoesNotPullKeepsItsPartitions() throws Exception {
        try (Driver driver = open()) {
            TopicHandle topic = newTopic(driver, "idle", 2);
            Recorder toldA = new Recorder();
            Recorder toldB = new Recorder();
            try (Producer producer = topic.producer()) {
                push(producer, 0, 200);
                push(producer, 1, 200);
                try (Consumer a = topic.consumer(member("idle").maxPrefetchBytes(512).assignmentListener(toldA));
                        Consumer b = topic.consumer(member("idle").maxPrefetchBytes(512).assignmentListener(toldB))) {
                    await(() -> a.assignment().size() == 1 && b.assignment().size() == 1,
                            () -> "assignments " + a.assignment() + " " + b.assignment());
                    Set<Integer> before = a.assignment();
                    List<String> callsBefore = List.copyOf(toldA.calls);
                    Thread.sleep(SESSION.multipliedBy(3).toMillis());
                    assertEquals(before, a.assignment());
                    assertEquals(callsBefore, toldA.calls, "member a was revoked while it did not pull");
                    assertTrue(toldB.calls.stream().noneMatch(c -> c.startsWith("revoked")), toldB.calls::toString);
                    int n = 0;
                    while (a.poll(Duration.ofSeconds(5)).isPresent() && ++n < 200) {
                        // it still reads its partition, from the start
                    }
                    assertEquals(200, n, "member a's events");
                }
            }
        }
    }
}
