package dev.diaspora.stream.ctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code topic alter} and {@code topic add-partitions} (issue 13), and what {@code topic describe} shows of them. */
class TopicChangeCommandsTest {
    private final InProcess ctl = new InProcess();

    @TempDir
    Path tmp;

    private static JsonNode json(String s) throws Exception {
        return JsonConfig.MAPPER.readTree(s);
    }

    private void ok(InProcess.Result r) {
        assertEquals(0, r.code(), () -> "exit code; stderr: " + r.err());
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void alterChangesRetentionAndRefusesFixedOptionsNamingThem() throws Exception {
        ok(ctl.run("topic", "create", "--name", "t", "--topic.num_partitions", "2"));
        JsonNode before = json(ctl.run("topic", "describe", "--name", "t").out());
        assertEquals(0, before.get("retention").size(), "no retention by default: " + before);
        ok(ctl.run("topic", "alter", "--name", "t", "--topic.retention.ms", "86400000"));
        JsonNode after = json(ctl.run("topic", "describe", "--name", "t").out());
        assertEquals(86400000, after.get("retention").get("retention.ms").asLong(), after.toString());
        InProcess.Result fixed = ctl.run("topic", "alter", "--name", "t", "--topic.num_partitions", "5");
        assertEquals(1, fixed.code(), fixed.err());
        assertTrue(fixed.err().contains("num_partitions") && fixed.err().contains("retention.ms")
                && fixed.err().contains("addPartitions"), "names the fixed option, the changeable ones and the way"
                        + " to add partitions: " + fixed.err());
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void addPartitionsGrowsAndRefusesASmallerCount() throws Exception {
        ok(ctl.run("topic", "create", "--name", "g", "--topic.num_partitions", "2"));
        ok(ctl.run("topic", "add-partitions", "--name", "g", "--partitions", "4"));
        JsonNode d = json(ctl.run("topic", "describe", "--name", "g").out());
        assertEquals(4, d.get("partitions").size(), d.toString());
        assertEquals(4, d.get("config").get("num_partitions").asInt(), d.toString());
        InProcess.Result smaller = ctl.run("topic", "add-partitions", "--name", "g", "--partitions", "3");
        assertEquals(1, smaller.code(), smaller.err());
        assertTrue(smaller.err().contains("has 4 partitions") && smaller.err().contains("never removed"),
                smaller.err());
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void filesDriverKeepsTheChangesForTheNextProcess() throws Exception {
        InProcess.files(tmp, "topic", "create", "--name", "f");
        InProcess.files(tmp, "topic", "add-partitions", "--name", "f", "-p", "3");
        InProcess.files(tmp, "topic", "alter", "--name", "f", "--topic.retention.bytes", "1048576");
        InProcess.files(tmp, "topic", "describe", "--name", "f"); // before any event
        byte[] lines = "a\nb\nc\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        InProcess.Result produced = InProcess.raw(lines, "produce", "-t", "f", "--driver", "files",
                "--driver.root_path", tmp.toString());
        assertEquals(0, produced.code(), produced.err());
        JsonNode d = json(InProcess.files(tmp, "topic", "describe", "--name", "f").out());
        assertEquals(3, d.get("partitions").size(), d.toString());
        assertEquals(1048576, d.get("retention").get("retention.bytes").asLong(), d.toString());
        long events = 0;
        for (JsonNode p : d.get("partitions")) {
            events += p.get("events").asLong();
            assertTrue(p.get("bytes").asLong() > 0, "the files driver reports each partition's bytes: " + p);
        }
        assertEquals(3, events, "the three events, spread over the grown topic: " + d);
        assertTrue(d.get("partitions").get(2).get("events").asLong() > 0, "the new partition is used: " + d);
    }
}
