package dev.diaspora.stream.ctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.TopicHandle;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code consumer list} and {@code consumer describe} on a live group of the files driver (issue 12): one member is
 * a consumer polled by a thread of this JVM, the other a {@code diaspora-ctl consume --follow} in a child JVM. The
 * tool lists both, the partitions each holds (the in-JVM member's are its {@code assignment()}) and their lag; after
 * the child is killed (SIGKILL) it lists one member holding every partition; after the last one closes, none.
 */
class ConsumerGroupDescribeTest {
    private static final int PARTITIONS = 4;

    @TempDir
    Path root;

    private InProcess.Result ctl(String... args) {
        return InProcess.files(root, args);
    }

    private JsonNode describe() throws Exception {
        return JsonConfig.MAPPER.readTree(ctl("consumer", "describe", "-t", "g", "-n", "grp", "--json").out());
    }

    /** Describes until {@code done} holds (30 s at most); returns the last document. */
    private JsonNode awaitDescribe(Predicate<JsonNode> done, String what) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        JsonNode doc = describe();
        while (!done.test(doc)) {
            if (System.nanoTime() - deadline > 0) {
                fail("not within 30 s: " + what + "; last: " + doc);
            }
            Thread.sleep(50);
            doc = describe();
        }
        return doc;
    }

    private static Set<Integer> partitions(JsonNode member) {
        Set<Integer> out = new TreeSet<>();
        member.get("partitions").forEach(p -> out.add(p.asInt()));
        return out;
    }

    /** Every member's partitions known, disjoint, covering all partitions, each of size {@code share}. */
    private static boolean settled(JsonNode doc, int members, int share) {
        JsonNode ms = doc.get("members");
        if (ms == null || !ms.isArray() || ms.size() != members) {
            return false;
        }
        Set<Integer> all = new TreeSet<>();
        for (JsonNode m : ms) {
            if (m.get("partitions").isNull() || m.get("partitions").size() != share) {
                return false;
            }
            all.addAll(partitions(m));
        }
        return all.size() == PARTITIONS;
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void listAndDescribeShowLiveMembersTheirPartitionsAndLag() throws Exception {
        try (Driver d = Driver.open("files", Metadata.of("{\"root_path\":\"" + root + "\"}"))) {
            d.createTopic("g", Metadata.of("{\"num_partitions\":" + PARTITIONS + "}"));
            TopicHandle t = d.openTopic("g");
            try (Producer p = t.producer()) {
                for (int i = 0; i < 50 * PARTITIONS; i++) {
                    p.push(Metadata.of("{\"i\":" + i + "}"), DataView.EMPTY, i % PARTITIONS);
                }
                p.flush().join();
            }
            AtomicBoolean stop = new AtomicBoolean();
            Consumer local = t.consumer(ConsumerOptions.named("grp").sessionTimeout(Duration.ofSeconds(2))
                    .ackInterval(Duration.ofMillis(50)));
            Thread poller = new Thread(() -> {
                while (!stop.get()) {
                    local.poll(Duration.ofMillis(50)).ifPresent(e -> {
                        e.acknowledge();
                        try {
                            Thread.sleep(5); // slow: the local share keeps a lag for a while
                        } catch (InterruptedException x) {
                            Thread.currentThread().interrupt();
                        }
                    });
                }
            }, "local-member");
            poller.start();
            Process child = null;
            try {
                JsonNode one = awaitDescribe(doc -> settled(doc, 1, PARTITIONS), "the local member alone");
                assertEquals(local.assignment(), partitions(one.get("members").get(0)));

                child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-Xmx128m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                        DiasporaCtl.class.getName(), "consume", "-t", "g", "-n", "grp", "--follow", "--driver",
                        "files", "--driver.root_path", root.toString())
                        .redirectOutput(root.resolve("child.out").toFile())
                        .redirectError(root.resolve("child.err").toFile()).start();
                JsonNode two = awaitDescribe(doc -> settled(doc, 2, PARTITIONS / 2)
                        && local.assignment().size() == PARTITIONS / 2, "two members, two partitions each");
                Map<String, Set<Integer>> byMember = new HashMap<>();
                for (JsonNode m : two.get("members")) {
                    byMember.put(m.get("id").asText(), partitions(m));
                    long lag = 0;
                    for (int p : partitions(m)) {
                        JsonNode part = two.get("partitions").get(p);
                        assertEquals(m.get("id").asText(), part.get("member").asText(), "holder of " + p);
                        lag += part.get("lag").isNull() ? 0 : part.get("lag").asLong();
                    }
                    assertEquals(lag, m.get("lag").isNull() ? 0 : m.get("lag").asLong(), "member lag: " + two);
                }
                assertTrue(byMember.containsValue(new TreeSet<>(local.assignment())), "the local member's "
                        + local.assignment() + " is one of " + byMember);

                List<String> list = ctl("consumer", "list", "-t", "g").lines();
                assertTrue(list.contains(String.format("%-30s %7s", "grp", "2")), "list: " + list);
                List<String> table = ctl("consumer", "describe", "-t", "g", "-n", "grp").lines();
                List<String> memberRows = new ArrayList<>();
                for (String l : table) {
                    String[] f = l.trim().split("\\s+");
                    if (f.length == 4 && f[0].equals("grp") && byMember.containsKey(f[1])) {
                        memberRows.add(f[1] + " " + f[3]);
                    }
                }
                assertEquals(2, memberRows.size(), "the member table: " + String.join("\n", table));
                for (String r : memberRows) {
                    String[] f = r.split(" ");
                    Set<Integer> shown = new TreeSet<>();
                    for (String p : f[1].split(",")) {
                        shown.add(Integer.parseInt(p));
                    }
                    assertEquals(byMember.get(f[0]), shown, r);
                }
                for (int p = 0; p < PARTITIONS; p++) {
                    String row = table.get(1 + p);
                    String holder = two.get("partitions").get(p).get("member").asText();
                    assertTrue(row.contains(" " + holder + " "), "partition " + p + " shows its holder: " + row);
                }

                child.destroyForcibly(); // SIGKILL: no leave, no last commit
                assertTrue(child.waitFor(10, TimeUnit.SECONDS));
                JsonNode after = awaitDescribe(doc -> settled(doc, 1, PARTITIONS), "the killed member is gone");
                assertTrue(byMember.containsKey(after.get("members").get(0).get("id").asText()),
                        "the survivor is one of the two: " + after);
            } finally {
                if (child != null) {
                    child.destroyForcibly();
                }
                stop.set(true);
                poller.join(10_000);
                local.close();
            }
            JsonNode none = describe();
            assertEquals(0, none.get("members").size(), none.toString());
            for (JsonNode part : none.get("partitions")) {
                assertTrue(part.get("member").isNull(), none.toString());
            }
            List<String> list = ctl("consumer", "list", "-t", "g").lines();
            assertTrue(list.contains(String.format("%-30s %7s", "grp", "0")), "list: " + list);
            assertNotNull(t.describeGroup("grp").orElseThrow());
        }
    }

    /**
     * A driver that does not report group membership (netty today: a partition server on loopback in this JVM): the
     * tool shows '?' for members and holders, null in JSON, and logs that the driver does not report it.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aDriverWithoutMembershipIsShownAsUnknown() throws Exception {
        try (dev.diaspora.stream.netty.PartitionServer server = dev.diaspora.stream.netty.PartitionServer.builder()
                .host("127.0.0.1").port(0).rootPath(root.resolve("server")).start()) {
            String[] netty = {"--driver", "netty", "--driver.servers", "[\"127.0.0.1:" + server.port() + "\"]"};
            InProcess.Result created = InProcess.raw(new byte[0], concat(new String[] {"topic", "create", "--name",
                "n", "--topic.num_partitions", "2"}, netty));
            assertEquals(0, created.code(), created.err());
            InProcess.Result produced = InProcess.raw("a\nb\n".getBytes(java.nio.charset.StandardCharsets.UTF_8),
                    concat(new String[] {"produce", "-t", "n"}, netty));
            assertEquals(0, produced.code(), produced.err());
            InProcess.Result consumed = InProcess.raw(new byte[0], concat(new String[] {"consume", "-t", "n", "-n",
                "app"}, netty));
            assertEquals(0, consumed.code(), consumed.err());
            InProcess.Result list = InProcess.raw(new byte[0], concat(new String[] {"consumer", "list", "-t", "n"},
                    netty));
            assertEquals(0, list.code(), list.err());
            assertEquals(List.of("NAME MEMBERS", "app ?"), list.lines().stream()
                    .map(l -> l.trim().replaceAll("\\s+", " ")).toList());
            InProcess.Result table = InProcess.raw(new byte[0], concat(new String[] {"consumer", "describe", "-t",
                "n"}, netty));
            assertEquals(0, table.code(), table.err());
            assertEquals(3, table.lines().size(), table.out());
            for (String row : table.lines().subList(1, 3)) {
                assertEquals("?", row.trim().split("\\s+")[5], "MEMBER column: " + row);
            }
            InProcess.Result json = InProcess.raw(new byte[0], concat(new String[] {"consumer", "describe", "-t",
                "n", "-n", "app", "--json"}, netty));
            JsonNode doc = JsonConfig.MAPPER.readTree(json.out());
            assertTrue(doc.get("members").isNull(), doc.toString());
            assertTrue(doc.get("partitions").get(0).get("member").isNull(), doc.toString());
        }
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
