package dev.diaspora.stream.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.TopicHandle;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three consumer processes of one name (issue 12), one killed with SIGKILL mid-stream while a producer in this JVM
 * keeps appending. Checked from the members' own reports ({@link GroupWorkerMain}) and the stored positions:
 *
 * <ul>
 *   <li>every produced event is acknowledged by some member, and by one only (no {@code ACKED} twice); an event the
 *       killed member got and had not reported stored is covered by the name's final stored positions;</li>
 *   <li>an event delivered more than once was delivered but not acknowledged: to the killed member without a stored
 *       acknowledgement before the kill, or to a member whose acknowledgement failed because a rebalance moved the
 *       partition ({@code CONFLICT}); the duplicates are counted and printed;</li>
 *   <li>the survivors take the killed member's partitions and drain the topic within the test's bound.</li>
 * </ul>
 */
class FilesGroupKillTest {
    private static final int PARTITIONS = 6;
    private static final int MEMBERS = 3;

    @TempDir
    Path root;

    /** @return "p id" keys of the lines of {@code child} starting with {@code prefix} + " " */
    private static List<String> keys(ChildProcess child, String prefix) {
        List<String> out = new ArrayList<>();
        for (String l : child.lines()) {
            if (l.startsWith(prefix + " ")) {
                out.add(l.substring(prefix.length() + 1));
            }
        }
        return out;
    }

    private static String lastAssignment(ChildProcess child) {
        String a = null;
        for (String l : child.lines()) {
            if (l.startsWith("ASSIGNMENT ")) {
                a = l;
            }
        }
        return a;
    }

    private static String describe(List<ChildProcess> members) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < members.size(); i++) {
            ChildProcess c = members.get(i);
            b.append("\n member ").append(i).append(": ").append(lastAssignment(c)).append(", ")
                    .append(keys(c, "GOT").size()).append(" got, ").append(keys(c, "ACKED").size()).append(" acked")
                    .append(c.lines().stream().filter(l -> l.startsWith("ERROR")).toList()).append(' ')
                    .append(c.errors().isEmpty() ? "" : c.errors().substring(0, Math.min(2000, c.errors().length())));
        }
        return b.toString();
    }

    @Test
    @Timeout(90)
    void aMemberKilledMidStreamLosesNothingAndOnlyItsUnacknowledgedEventsComeAgain() throws Exception {
        try (Driver d = Driver.open("files", Metadata.of("{\"root_path\":\"" + root + "\"}"))) {
            d.createTopic("kill", Metadata.of("{\"num_partitions\":" + PARTITIONS + "}"));
            TopicHandle t = d.openTopic("kill");
            List<ChildProcess> members = new ArrayList<>();
            Set<String> produced = ConcurrentHashMap.newKeySet();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<Throwable> producerError = new AtomicReference<>();
            Thread producerThread = null;
            try {
                for (int i = 0; i < MEMBERS; i++) {
                    members.add(ChildProcess.start(GroupWorkerMain.class, root.toString(), "kill", "g"));
                }
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
                while (!members.stream().allMatch(c -> {
                    String a = lastAssignment(c);
                    return a != null && a.split(",").length == PARTITIONS / MEMBERS;
                })) {
                    if (System.nanoTime() - deadline > 0) {
                        fail("the three members did not settle on two partitions each:" + describe(members));
                    }
                    Thread.sleep(20);
                }
                producerThread = new Thread(() -> {
                    try (Producer p = t.producer()) {
                        for (long i = 0; !stop.get(); i++) {
                            int part = (int) (i % PARTITIONS);
                            p.push(Metadata.of("{\"i\":" + i + "}"), DataView.EMPTY, part)
                                    .thenAccept(id -> produced.add(part + " " + id));
                            if (i % 10 == 9) {
                                p.flush().join();
                                Thread.sleep(10); // at most 1,000 events a second: the members keep up
                            }
                        }
                        p.flush().join();
                    } catch (Throwable e) {
                        producerError.set(e);
                    }
                }, "producer");
                producerThread.start();
                ChildProcess victim = members.get(0);
                // mid-stream: after 100 stored acknowledgements, at a moment it has events not yet stored
                while (keys(victim, "ACKED").size() < 100
                        || keys(victim, "GOT").size() == keys(victim, "ACKED").size()) {
                    if (System.nanoTime() - deadline > 0) {
                        fail("the victim did not acknowledge 100 events:" + describe(members));
                    }
                    Thread.sleep(2);
                }
                victim.kill(); // SIGKILL, mid-stream
                Set<String> victimGot = new HashSet<>(keys(victim, "GOT"));
                Set<String> victimPending = new HashSet<>(victimGot);
                victimPending.removeAll(keys(victim, "ACKED"));
                Thread.sleep(1000); // the producer goes on while the survivors take over
                stop.set(true);
                producerThread.join(30_000);
                assertTrue(producerError.get() == null, () -> "producer: " + producerError.get());
                int total = produced.size();

                // wait until every produced event is acknowledged, or stored by the victim before it died
                deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
                Set<String> missing;
                while (true) {
                    Set<String> acked = new HashSet<>();
                    members.forEach(c -> acked.addAll(keys(c, "ACKED")));
                    missing = new HashSet<>(produced);
                    missing.removeAll(acked);
                    Map<Integer, Long> stored = t.positions("g");
                    missing.removeIf(k -> victimPending.contains(k) && stored.getOrDefault(
                            Integer.parseInt(k.split(" ")[0]), 0L) > Long.parseLong(k.split(" ")[1]));
                    if (missing.isEmpty()) {
                        break;
                    }
                    if (System.nanoTime() - deadline > 0) {
                        fail(missing.size() + " of " + total + " produced events were never acknowledged, e.g. "
                                + missing.stream().limit(10).toList() + describe(members));
                    }
                    Thread.sleep(50);
                }
                Map<Integer, Long> stored = t.positions("g");
                for (int p = 0; p < PARTITIONS; p++) {
                    assertEquals(t.bounds(p).next(), stored.get(p), "stored position of partition " + p);
                }

                Map<String, Integer> deliveries = new HashMap<>();
                Map<String, Integer> acks = new HashMap<>();
                Set<String> conflicts = new HashSet<>();
                for (ChildProcess c : members) {
                    keys(c, "GOT").forEach(k -> deliveries.merge(k, 1, Integer::sum));
                    keys(c, "ACKED").forEach(k -> acks.merge(k, 1, Integer::sum));
                    conflicts.addAll(keys(c, "CONFLICT"));
                }
                List<String> twiceAcked = acks.entrySet().stream().filter(e -> e.getValue() > 1)
                        .map(Map.Entry::getKey).toList();
                assertTrue(twiceAcked.isEmpty(), "events acknowledged twice: " + twiceAcked);
                int duplicates = 0;
                int fromKill = 0;
                for (Map.Entry<String, Integer> e : deliveries.entrySet()) {
                    if (e.getValue() < 2) {
                        continue;
                    }
                    duplicates += e.getValue() - 1;
                    boolean pending = victimPending.contains(e.getKey());
                    fromKill += pending ? e.getValue() - 1 : 0;
                    assertTrue(pending || conflicts.contains(e.getKey()), "event " + e.getKey() + " was delivered "
                            + e.getValue() + " times, but was neither pending in the killed member nor refused by a"
                            + " rebalance");
                }
                assertTrue(deliveries.keySet().containsAll(produced), "every produced event was delivered");
                System.out.printf("FilesGroupKillTest: %d events produced, %d delivered to the killed member (%d of "
                        + "them not acknowledged before the kill), %d duplicate deliveries (%d from the kill, %d "
                        + "after an acknowledgement refused by a rebalance)%n", total, victimGot.size(),
                        victimPending.size(), duplicates, fromKill, duplicates - fromKill);
            } finally {
                stop.set(true);
                if (producerThread != null) {
                    producerThread.join(30_000);
                }
                for (ChildProcess c : members) {
                    c.close();
                }
            }
        }
    }
}
