package dev.diaspora.stream.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerConflictException;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.tck.GroupContract;
import dev.diaspora.stream.tck.GroupMemberProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Consumer groups across processes (issue 12): a member in a child process takes its share of the partitions, and
 * when the process is killed (SIGKILL: no close, no last commit) its partitions move to the members in this JVM
 * within 2 x sessionTimeout; what the child acknowledged and committed is not delivered again, and every event is
 * delivered.
 */
class FilesGroupTest {
    private static final Duration SESSION_TIMEOUT = Duration.ofSeconds(1);

    @TempDir
    Path root;
    @TempDir
    Path logs;

    private static ConsumerOptions member() {
        return ConsumerOptions.named("g").sessionTimeout(SESSION_TIMEOUT).heartbeatInterval(Duration.ofMillis(250));
    }

    @SafeVarargs
    private static boolean balanced(Set<Integer>... shares) {
        return GroupContract.unbalancedShares(Arrays.asList(shares), 8) == null;
    }

    @Test
    @Timeout(120)
    void aKilledMemberProcessLosesItsPartitionsAndItsCommittedAcknowledgementsHold() throws Exception {
        int per = 40;
        try (Driver d = Driver.open("files", Metadata.of("{\"root_path\":\"" + root + "\"}"))) {
            d.createTopic("grp", Metadata.of("{\"num_partitions\":8}"));
            TopicHandle t = d.openTopic("grp");
            try (GroupMemberProcess child = GroupMemberProcess.start(logs, "files", Metadata.of("{\"root_path\":\""
                    + root + "\"}"), "grp", "g", SESSION_TIMEOUT);
                    Consumer a = t.consumer(member()); Consumer b = t.consumer(member())) {
                Set<String> delivered = new HashSet<>();
                Set<String> ackedHere = new HashSet<>();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (!balanced(a.assignment(), b.assignment(), child.lastAssignment())) {
                    if (System.nanoTime() - deadline > 0) {
                        fail("the group did not settle: " + a.assignment() + " " + b.assignment() + " child "
                                + child.lastAssignment() + ", " + child);
                    }
                    Thread.sleep(20);
                }
                try (Producer producer = t.producer()) {
                    for (int p = 0; p < 8; p++) {
                        for (int i = 0; i < per; i++) {
                            producer.push(Metadata.of("{\"p\":" + p + ",\"i\":" + i + "}"), DataView.EMPTY, p);
                        }
                    }
                    producer.flush().join();
                }
                // the child commits some events of its share (slowly: some are left to move)
                while (child.lines("ACKED ").size() < 5) {
                    if (System.nanoTime() - deadline > 0) {
                        fail("the group did not settle: " + a.assignment() + " " + b.assignment() + " child "
                                + child.lastAssignment() + ", " + child);
                    }
                    drainSome(a, delivered, ackedHere);
                    drainSome(b, delivered, ackedHere);
                }
                child.kill();
                long t0 = System.nanoTime();
                Set<String> childAcked = child.lines("ACKED ");
                while (!balanced(a.assignment(), b.assignment())) {
                    if (System.nanoTime() - t0 > SESSION_TIMEOUT.multipliedBy(2).toNanos()) {
                        fail("the killed member's partitions did not move within 2 x sessionTimeout: "
                                + a.assignment() + " " + b.assignment());
                    }
                    drainSome(a, delivered, ackedHere);
                    drainSome(b, delivered, ackedHere);
                }
                long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                System.out.println("FilesGroupTest: partitions of the killed member moved in " + tookMillis + " ms");
                deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                Set<String> all = new HashSet<>(delivered);
                all.addAll(child.lines("ACKING ")); // taken by the child (committed or not)
                while (true) {
                    all.addAll(delivered);
                    if (all.size() >= 8 * per) {
                        break;
                    }
                    if (System.nanoTime() - deadline > 0) {
                        fail(all.size() + " of " + 8 * per + " events delivered");
                    }
                    drainSome(a, delivered, ackedHere);
                    drainSome(b, delivered, ackedHere);
                }
                Set<String> again = new HashSet<>(childAcked);
                again.retainAll(delivered);
                assertTrue(again.isEmpty(), "events the killed member acknowledged and committed were delivered"
                        + " again: " + again);
                assertEquals(8 * per, all.size());
                assertFalse(childAcked.isEmpty());
            }
        }
    }

    private static void drainSome(Consumer c, Set<String> delivered, Set<String> ackedHere) {
        Optional<Event> o = c.poll(Duration.ofMillis(5));
        if (o.isEmpty()) {
            return;
        }
        Event e = o.get();
        String key = e.partition() + ":" + e.id();
        assertFalse(ackedHere.contains(key), "event " + key + " was acknowledged and is delivered again");
        delivered.add(key);
        try {
            e.acknowledge();
            ackedHere.add(key);
        } catch (ConsumerConflictException x) {
            // revoked meanwhile: the next reader gets it again, which is allowed
        }
    }
}
