package dev.diaspora.stream.ctl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Every command run in-process against the memory driver (one JVM-wide store per test). */
class CtlInProcessTest {
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
    void shouldCreateListDescribeAndDeleteTopics() throws Exception {
        ok(ctl.run("topic", "create", "--name", "b", "--topic.num_partitions", "3"));
        ok(ctl.run("topic", "create", "--name", "a"));
        assertEquals(List.of("a", "b"), ctl.run("topic", "list").lines());
        InProcess.Result verbose = ctl.run("topic", "list", "--verbose");
        assertEquals(2, verbose.lines().size());
        assertTrue(verbose.lines().get(1).startsWith("b {"), verbose.out());
        JsonNode b = json(verbose.lines().get(1).substring(2));
        assertEquals(3, b.get("num_partitions").asInt());
        assertEquals("default", b.get("validator").get("type").asText());
        JsonNode d = json(ctl.run("topic", "describe", "--name", "b").out());
        assertEquals("b", d.get("name").asText());
        assertEquals(3, d.get("partitions").size());
        ok(ctl.run("topic", "delete", "--name", "a"));
        assertEquals(List.of("b"), ctl.run("topic", "list").lines());
        InProcess.Result again = ctl.run("topic", "create", "--name", "b");
        assertEquals(1, again.code());
        assertEquals(1, again.errLines().size(), again.err());
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void shouldMergeConfigFilesWithDottedOptionsCommandLineWinning() throws Exception {
        Path topicCfg = tmp.resolve("topic.json");
        Files.writeString(topicCfg, "{\"num_partitions\": 2}");
        Path validator = tmp.resolve("validator.json");
        Files.writeString(validator, "{\"type\":\"schema\",\"schema\":{\"required\":[\"x\"]}}");
        ok(ctl.run("topic", "create", "--name", "t", "--topic-config", topicCfg.toString(), "--topic.num_partitions",
                "4", "--validator-config", validator.toString(), "--partition-selector", "hash",
                "--partition-selector.field", "run.id"));
        JsonNode t = json(ctl.run("topic", "list", "-v").lines().get(0).substring(2));
        assertEquals(4, t.get("num_partitions").asInt());
        assertEquals("schema", t.get("validator").get("type").asText());
        assertEquals("run.id", t.get("partition_selector").get("field").asText());
        InProcess.Result rejected = ctl.runIn("{\"y\":1}\n", "produce", "-t", "t", "--format", "json");
        assertEquals(1, rejected.code());
        assertTrue(rejected.err().contains("1 of 1 events failed"), rejected.err());
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void shouldRoundTripTextAndJsonAndResumeAfterAcknowledgedEvents() throws Exception {
        ok(ctl.run("topic", "create", "--name", "t", "--topic.num_partitions", "2"));
        InProcess.Result ids = ctl.runIn("hello\nsay \"hi\" \\ back\n\nlast\n", "produce", "-t", "t", "--print-ids");
        ok(ids);
        assertEquals(List.of("0 0", "1 0", "skipped: empty line", "0 1"), ids.lines());
        InProcess.Result raw = ctl.run("consume", "-t", "t", "-n", "r", "--format", "raw");
        ok(raw);
        assertEquals(3, raw.lines().size());
        assertEquals(java.util.Set.of("hello", "say \"hi\" \\ back", "last"), new java.util.HashSet<>(raw.lines()));
        assertEquals(List.of(), ctl.run("consume", "-t", "t", "-n", "r").lines(), "resumes after acknowledged");
        ok(ctl.runIn("{\"a\": [1, 2.5, {\"b\": null}]}\n", "produce", "-t", "t", "--format", "json"));
        InProcess.Result next = ctl.run("consume", "-t", "t", "-n", "r");
        assertEquals(1, next.lines().size());
        JsonNode e = json(next.lines().get(0));
        assertTrue(next.out().contains("\"metadata\":{\"a\": [1, 2.5, {\"b\": null}]}"), "verbatim: " + next.out());
        assertEquals(0, e.get("partition").asInt());
        assertEquals(2, e.get("id").asLong());
        assertTrue(e.has("timestamp"));
        ok(ctl.run("consume", "-t", "t", "-n", "r", "--reset", "--from", "id:1"));
        InProcess.Result count = ctl.run("consume", "-t", "t", "-n", "other", "--count", "2");
        assertEquals(2, count.lines().size());
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void shouldRoundTripBinaryDataAsBase64AndFiles() throws Exception {
        byte[] bytes = new byte[300_000];
        new Random(42).nextBytes(bytes);
        Path data = tmp.resolve("data.bin");
        Files.write(data, bytes);
        ok(ctl.run("topic", "create", "--name", "bin"));
        ok(ctl.runIn("{\"f\":\"data.bin\"}\n", "produce", "-t", "bin", "--format", "json", "--data-file",
                data.toString()));
        JsonNode e = json(ctl.run("consume", "-t", "bin", "-n", "b64", "--data", "base64").out());
        assertEquals(bytes.length, e.get("data_size").asLong());
        assertArrayEquals(bytes, Base64.getDecoder().decode(e.get("data").asText()));
        Path dir = tmp.resolve("out");
        JsonNode f = json(ctl.run("consume", "-t", "bin", "-n", "dir", "--data", "dir:" + dir).out());
        assertArrayEquals(bytes, Files.readAllBytes(Path.of(f.get("data_file").asText())));
        assertEquals(dir.resolve("0-0.bin").toString(), f.get("data_file").asText());
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void shouldPutTheKeyIntoTheHashSelectorsField() throws Exception {
        ok(ctl.run("topic", "create", "--name", "k", "--topic.num_partitions", "8", "--partition-selector", "hash",
                "--partition-selector.field", "src.host"));
        String in = "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n";
        List<String> a = ctl.runIn(in, "produce", "-t", "k", "--format", "json", "--key", "node-17", "--print-ids")
                .lines();
        assertEquals(3, a.size());
        String partition = a.get(0).split(" ")[0];
        for (String l : a) {
            assertEquals(partition, l.split(" ")[0], "same key, same partition: " + a);
        }
        JsonNode e = json(ctl.run("consume", "-t", "k", "-n", "c", "--count", "1").out());
        assertEquals("node-17", e.get("metadata").get("src").get("host").asText());
        InProcess.Result raw = ctl.runIn("x\n", "produce", "-t", "k", "--key", "a");
        assertEquals(2, raw.code(), "a usage error");
        assertTrue(raw.err().contains("--format json"), raw.err());
        ok(ctl.run("topic", "create", "--name", "rr"));
        InProcess.Result noField = ctl.runIn("{}\n", "produce", "-t", "rr", "--format", "json", "--key", "a");
        assertEquals(1, noField.code());
        assertTrue(noField.err().contains("--key-field"), noField.err());
        ok(ctl.runIn("{}\n", "produce", "-t", "rr", "--format", "json", "--key", "a", "--key-field", "k"));
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void shouldDescribeAndResetConsumerPositions() throws Exception {
        ok(ctl.run("topic", "create", "--name", "t", "--topic.num_partitions", "2"));
        ok(ctl.runIn("a\nb\nc\nd\n", "produce", "-t", "t"));
        ok(ctl.run("consume", "-t", "t", "-n", "app", "--count", "3"));
        assertEquals(List.of("NAME MEMBERS", "app 0"), ctl.run("consumer", "list", "-t", "t").lines().stream()
                .map(l -> l.trim().replaceAll("\\s+", " ")).toList(), "no live member once consume exited");
        List<String> table = ctl.run("consumer", "describe", "-t", "t").lines();
        assertEquals(3, table.size(), String.join("\n", table));
        long lag = 0;
        for (String l : table.subList(1, 3)) {
            lag += Long.parseLong(l.trim().split("\\s+")[4]);
        }
        assertEquals(1, lag);
        InProcess.Result json = ctl.run("consumer", "describe", "-t", "t", "-n", "app", "--json");
        JsonNode doc = json(json.out());
        assertEquals("app", doc.get("name").asText());
        assertEquals(2, doc.get("partitions").size());
        ok(ctl.run("consumer", "reset", "-t", "t", "-n", "app", "--to", "latest"));
        assertEquals(List.of(), ctl.run("consume", "-t", "t", "-n", "app").lines());
        ok(ctl.run("consumer", "reset", "-t", "t", "-n", "app", "--to", "earliest"));
        assertEquals(4, ctl.run("consume", "-t", "t", "-n", "app").lines().size());
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void shouldExportAndImportATopic() throws Exception {
        ok(ctl.run("topic", "create", "--name", "src", "--topic.num_partitions", "3"));
        Path data = tmp.resolve("d.bin");
        Files.write(data, new byte[] {1, 2, 3, 0, -1});
        ok(ctl.runIn("{\"i\":1}\n{\"i\":2}\n{\"i\":3}\n{\"i\":4}\n", "produce", "-t", "src", "--format", "json",
                "--data-file", data.toString()));
        Path archive = tmp.resolve("src.dxp");
        ok(ctl.run("export", "-t", "src", "--file", archive.toString()));
        assertEquals(1, ctl.run("export", "-t", "src", "--file", archive.toString()).code(), "no overwrite");
        ok(ctl.run("import", "--file", archive.toString(), "-t", "copy"));
        List<String> a = stripTimestamps(ctl.run("consume", "-t", "src", "-n", "x", "--data", "base64").lines());
        List<String> b = stripTimestamps(ctl.run("consume", "-t", "copy", "-n", "x", "--data", "base64").lines());
        assertEquals(a, b);
        assertEquals(4, a.size());
        assertEquals(json(ctl.run("topic", "list", "-v").lines().get(0).substring(5)).get("num_partitions"),
                json(ctl.run("topic", "list", "-v").lines().get(1).substring(4)).get("num_partitions"));
        InProcess.Result twice = ctl.run("import", "--file", archive.toString(), "-t", "copy");
        assertEquals(1, twice.code());
        assertTrue(twice.err().contains("--append"), twice.err());
        ok(ctl.run("import", "--file", archive.toString(), "-t", "copy", "--append"));
        assertEquals(8, ctl.run("consume", "-t", "copy", "-n", "y").lines().size());
    }

    static List<String> stripTimestamps(List<String> lines) {
        List<String> out = new ArrayList<>();
        for (String l : lines) {
            out.add(l.replaceAll("\"timestamp\":\"[^\"]*\",", ""));
        }
        out.sort(null);
        return out;
    }
}
