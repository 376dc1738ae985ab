package dev.diaspora.stream.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerConflictException;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.TopicHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Brokers lost on a three-broker cluster: the leader of a partition stops while producers and a consumer group run and
 * comes back (nothing completed is lost, duplicated or reordered; the group reads on without skipping); and two of
 * three brokers stop for longer than the delivery timeout (pushes fail, retriable, naming the cause; nothing reported
 * failed is stored twice).
 */
class KafkaLeaderLossTest {
    private static final int PARTITIONS = 2;
    private static final AtomicInteger COUNTER = new AtomicInteger();

    @RegisterExtension
    static final BrokerExtension CLUSTER = new BrokerExtension(3, SecurityProtocol.PLAINTEXT,
            EmbeddedKafka.SHORT_GROUP_TIMEOUTS);

    private static Driver open(String kafkaObject) {
        return Driver.open("kafka", Metadata.of("{\"bootstrap.servers\":\"" + CLUSTER.kafka().bootstrapServers() + "\""
                + (kafkaObject == null ? "" : ",\"kafka\":" + kafkaObject) + "}"));
    }

    /** A group member on its own thread: records each delivery as "p:id" -> event number, acknowledges it. */
    private static final class Member implements Runnable {
        final TopicHandle topic;
        final Map<String, Integer> seen = new ConcurrentHashMap<>();
        final AtomicInteger redelivered = new AtomicInteger();
        final AtomicInteger revokedAcks = new AtomicInteger();
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicReference<Throwable> error = new AtomicReference<>();
        volatile Set<Integer> assignment = Set.of();
        final Thread thread;

        Member(TopicHandle topic, String name) {
            this.topic = topic;
            this.thread = new Thread(this, "test-" + name);
            thread.start();
        }

        @Override
        public void run() {
            try (Consumer c = topic.consumer(ConsumerOptions.named("leader-loss").sessionTimeout(Duration.ofSeconds(2))
                    .heartbeatInterval(Duration.ofMillis(300)))) {
                while (!stop.get()) {
                    Optional<Event> e = c.poll(Duration.ofMillis(100));
                    if (e.isPresent()) {
                        Event ev = e.get();
                        if (seen.put(ev.partition() + ":" + ev.id(), ev.metadata().json().get("i").asInt()) != null) {
                            redelivered.incrementAndGet();
                        }
                        try {
                            ev.acknowledge();
                        } catch (ConsumerConflictException revoked) {
                            // the group took the partition away between the poll and the acknowledgement (a member
                            // rejoins while the coordinator moves): its next reader delivers the event again, which
                            // the test allows (at-least-once across a rebalance); nothing is skipped
                            revokedAcks.incrementAndGet();
                        }
                    }
                    assignment = Set.copyOf(c.assignment());
                }
            } catch (Throwable t) {
                error.set(t);
            }
        }

        void close() throws InterruptedException {
            stop.set(true);
            thread.join(30_000);
        }
    }

    /** @return "p:id" -> event number of every record of the topic, read back from the start */
    private static Map<String, Integer> readAll(TopicHandle topic, int expectedAtLeast) {
        Map<String, Integer> stored = new HashMap<>();
        List<Integer> partitions = new ArrayList<>();
        for (int p = 0; p < PARTITIONS; p++) {
            partitions.add(p);
        }
        try (Consumer c = topic.consumer(ConsumerOptions.named("audit-" + COUNTER.incrementAndGet())
                .targets(partitions.stream().mapToInt(Integer::intValue).toArray()))) {
            long idleUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (System.nanoTime() - idleUntil < 0) {
                Optional<Event> e = c.poll(Duration.ofMillis(200));
                if (e.isPresent()) {
                    stored.put(e.get().partition() + ":" + e.get().id(), e.get().metadata().json().get("i").asInt());
                    if (stored.size() >= expectedAtLeast) {
                        idleUntil = Math.min(idleUntil, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1500));
                    }
                }
            }
        }
        return stored;
    }

    /** Each event number is stored at most once, and within a partition the numbers grow with the ids. */
    private static void assertStoredOnceInOrder(Map<String, Integer> stored) {
        Map<Integer, String> where = new HashMap<>();
        for (Map.Entry<String, Integer> e : stored.entrySet()) {
            String before = where.put(e.getValue(), e.getKey());
            assertNull(before, "event " + e.getValue() + " stored twice, at " + before + " and " + e.getKey());
        }
        for (int p = 0; p < PARTITIONS; p++) {
            TreeMap<Long, Integer> byId = new TreeMap<>();
            for (Map.Entry<String, Integer> e : stored.entrySet()) {
                String[] pid = e.getKey().split(":");
                if (Integer.parseInt(pid[0]) == p) {
                    byId.put(Long.parseLong(pid[1]), e.getValue());
                }
            }
            int prev = -1;
            for (Map.Entry<Long, Integer> e : byId.entrySet()) {
                assertTrue(e.getValue() > prev, "partition " + p + ": event " + e.getValue() + " at id " + e.getKey()
                        + " after event " + prev + " (push order broken)");
                prev = e.getValue();
            }
        }
    }

    private static int leaderOf(String topic, int partition) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", CLUSTER.kafka().bootstrapServers()))) {
            TopicPartitionInfo p = admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS)
                    .get(topic).partitions().get(partition);
            return p.leader().id();
        }
    }

    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void losingAPartitionLeaderLosesDuplicatesAndSkipsNothing() throws Exception {
        String name = "leader-loss";
        try (Driver driver = open(null)) {
            driver.createTopic(name, Metadata.of("{\"num_partitions\":" + PARTITIONS + "}"));
            TopicHandle topic = driver.openTopic(name);
            Member a = new Member(topic, "member-a");
            Member b = new Member(topic, "member-b");
            Map<String, Integer> completed = new ConcurrentHashMap<>();
            List<String> failures = Collections.synchronizedList(new ArrayList<>());
            AtomicInteger pushed = new AtomicInteger();
            AtomicBoolean restarted = new AtomicBoolean();
            AtomicBoolean stopPushing = new AtomicBoolean();
            AtomicInteger afterRestart = new AtomicInteger();
            Thread producerThread = new Thread(() -> {
                try (Producer producer = topic.producer()) {
                    for (int i = 0; !stopPushing.get(); i++) {
                        int n = i;
                        int p = i % PARTITIONS;
                        producer.push(Metadata.of("{\"i\":" + i + "}"), DataView.of(new byte[] {(byte) i}), p)
                                .whenComplete((id, err) -> {
                                    if (err != null) {
                                        failures.add(n + ": " + err);
                                    } else {
                                        completed.put(p + ":" + id, n);
                                        if (restarted.get()) {
                                            afterRestart.incrementAndGet();
                                        }
                                    }
                                });
                        pushed.incrementAndGet();
                        if (i % 10 == 0) {
                            Thread.sleep(10);
                        }
                    }
                    producer.flush().get(60, TimeUnit.SECONDS);
                } catch (Exception e) {
                    failures.add("producer: " + e);
                }
            }, "test-leader-loss-producer");
            producerThread.start();

            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while ((completed.size() < 200 || a.seen.size() + b.seen.size() < 20) && System.nanoTime() - until < 0) {
                Thread.sleep(10);
            }
            int leader = leaderOf(name, 0);
            long down = System.nanoTime();
            CLUSTER.kafka().stopBroker(leader);
            int completedAtStop = completed.size();
            until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (completed.size() < completedAtStop + 200 && System.nanoTime() - until < 0) {
                Thread.sleep(10);
            }
            int completedWhileDown = completed.size() - completedAtStop;
            int newLeader = leaderOf(name, 0);
            CLUSTER.kafka().startBroker(leader);
            restarted.set(true);
            System.out.println("KafkaLeaderLossTest: leader " + leader + " of partition 0 down for "
                    + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - down) + " ms; new leader " + newLeader
                    + "; " + completedWhileDown + " pushes completed meanwhile");
            until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (afterRestart.get() < 200 && System.nanoTime() - until < 0) {
                Thread.sleep(10);
            }
            stopPushing.set(true);

            producerThread.join(90_000);
            assertTrue(!producerThread.isAlive(), "the producer did not finish");
            assertEquals(List.of(), failures, "pushes failed although two of three replicas stayed in sync");
            assertEquals(pushed.get(), completed.size());
            assertTrue(newLeader != leader, "the leadership of partition 0 did not move from broker " + leader);
            assertTrue(completedWhileDown > 0, "no push completed while the leader was down");
            assertTrue(afterRestart.get() > 0, "no push completed after the restart: the fault was not exercised");

            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            // every completed event delivered, and the group settled: a rebalance the fault set off (a member's
            // session expiring while the coordinator moved) may still be under way when the last event arrives,
            // with a partition between its revocation and its next assignment for a moment
            while ((!union(a, b).keySet().containsAll(completed.keySet()) || !assignedTogether(a, b).equals(
                    Set.of(0, 1))) && System.nanoTime() - deadline < 0) {
                Thread.sleep(50);
            }
            a.close();
            b.close();
            assertNull(a.error.get(), () -> "member a failed: " + a.error.get());
            assertNull(b.error.get(), () -> "member b failed: " + b.error.get());
            Map<String, Integer> delivered = union(a, b);
            for (Map.Entry<String, Integer> e : completed.entrySet()) {
                assertEquals(e.getValue(), delivered.get(e.getKey()), "the group skipped completed event "
                        + e.getValue() + " at " + e.getKey());
            }
            assertEquals(Set.of(0, 1), assignedTogether(a, b), "the group's assignment after the fault: a "
                    + a.assignment + ", b " + b.assignment);
            System.out.println("KafkaLeaderLossTest: group deliveries " + (a.seen.size() + b.seen.size())
                    + ", redelivered within a member " + (a.redelivered.get() + b.redelivered.get())
                    + ", acknowledgements refused after a revocation " + (a.revokedAcks.get() + b.revokedAcks.get()));

            Map<String, Integer> stored = readAll(topic, pushed.get());
            assertStoredOnceInOrder(stored);
            assertEquals(completed, stored, "the topic holds exactly the completed pushes");
        }
    }

    /** @return the partitions the two members hold between them */
    private static Set<Integer> assignedTogether(Member a, Member b) {
        Set<Integer> assigned = new TreeSet<>(a.assignment);
        assigned.addAll(b.assignment);
        return assigned;
    }

    private static Map<String, Integer> union(Member a, Member b) {
        Map<String, Integer> all = new HashMap<>(a.seen);
        all.putAll(b.seen);
        return all;
    }

    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void brokersDownPastTheDeliveryTimeoutFailPushesRetriablyAndNothingFailedIsStoredTwice() throws Exception {
        String name = "below-min-insync";
        List<Integer> brokers = CLUSTER.kafka().brokerIds();
        // request.timeout.ms <= delivery.timeout.ms - linger.ms, as Kafka requires
        try (Driver driver = open("{\"delivery.timeout.ms\":3000,\"request.timeout.ms\":2000}")) {
            driver.createTopic(name, Metadata.of("{\"num_partitions\":" + PARTITIONS + "}"));
            TopicHandle topic = driver.openTopic(name);
            try (Producer producer = topic.producer()) {
                int n = 0;
                for (; n < 20; n++) {
                    producer.push(Metadata.of("{\"i\":" + n + "}"), DataView.of(new byte[] {1}), n % PARTITIONS)
                            .get(30, TimeUnit.SECONDS);
                }
                // two of three brokers down: one in-sync replica, fewer than min.insync.replicas = 2
                CLUSTER.kafka().stopBroker(brokers.get(1));
                CLUSTER.kafka().stopBroker(brokers.get(2));
                Map<Integer, CompletableFuture<Long>> byNumber = new HashMap<>();
                for (int k = 0; k < 20; k++, n++) {
                    CompletableFuture<Long> f = producer.push(Metadata.of("{\"i\":" + n + "}"),
                            DataView.of(new byte[] {2}), n % PARTITIONS);
                    byNumber.put(n, f);
                }
                Set<Integer> failed = new TreeSet<>();
                Throwable first = null;
                for (Map.Entry<Integer, CompletableFuture<Long>> e : byNumber.entrySet()) {
                    try {
                        e.getValue().get(30, TimeUnit.SECONDS);
                    } catch (ExecutionException x) {
                        failed.add(e.getKey());
                        first = first == null ? x.getCause() : first;
                    }
                }
                CLUSTER.kafka().startBroker(brokers.get(1));
                CLUSTER.kafka().startBroker(brokers.get(2));
                assertEquals(byNumber.keySet(), failed, "every push made while two brokers were down fails");
                DiasporaException de = assertInstanceOf(DiasporaException.class, first);
                assertTrue(de.isRetriable(), "not retriable: " + de);
                assertTrue(de.getMessage().contains("delivery.timeout.ms")
                        && de.getMessage().contains("'" + name + "'"),
                        de.getMessage());
                try {
                    producer.flush().get(30, TimeUnit.SECONDS);
                } catch (ExecutionException expected) {
                    // flush reports the failures once
                }
                // the cluster recovers; later pushes succeed
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                int after = 0;
                while (after < 20 && System.nanoTime() - deadline < 0) {
                    try {
                        producer.push(Metadata.of("{\"i\":" + n + "}"), DataView.of(new byte[] {3}), n % PARTITIONS)
                                .get(30, TimeUnit.SECONDS);
                        after++;
                    } catch (ExecutionException retry) {
                        Thread.sleep(200);
                    }
                    n++;
                }
                assertEquals(20, after, "pushes did not succeed again after the brokers came back");
                Map<String, Integer> stored = readAll(topic, 40);
                assertStoredOnceInOrder(stored);
                Set<Integer> storedFailed = new TreeSet<>(stored.values());
                storedFailed.retainAll(failed);
                System.out.println("KafkaLeaderLossTest: " + failed.size() + " pushes failed, of which stored once: "
                        + storedFailed + "; first error: " + first);
            }
        }
    }
}
