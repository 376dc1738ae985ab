package dev.diaspora.stream.ctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** topic create|list|describe|delete and driver list through the jar, against the files driver. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TopicsIT {
    @TempDir
    Path tmp;

    @Test
    void shouldCreateListDescribeAndDeleteTopics() throws Exception {
        ChildCtl ctl = new ChildCtl(tmp);
        assertEquals(0, ctl.run("--help").code());
        assertEquals(List.of(), ctl.run("topic", "list", "@D").ok().lines(), "empty root: nothing");
        ctl.run("topic", "create", "@D", "--name", "test-topic-1").ok();
        assertTrue(Files.isDirectory(ctl.root.resolve("test-topic-1")));
        ctl.run("topic", "create", "@D", "--name", "four", "--topic.num_partitions", "4").ok();
        Path driverCfg = tmp.resolve("driver.json");
        Files.writeString(driverCfg, "{\"root_path\": " + EventJson.quote(ctl.root.toString()) + "}");
        Path topicCfg = tmp.resolve("topic.json");
        Files.writeString(topicCfg, "{\"num_partitions\": 2, \"durability\": \"fsync\"}");
        ctl.run("topic", "create", "--driver", "files", "--driver-config", driverCfg.toString(), "--name", "two",
                "--topic-config", topicCfg.toString(), "--topic.durability", "os", "--validator", "schema",
                "--validator.schema.required", "[\"run\"]", "--validator.schema.properties.run.type", "integer")
                .ok();

        assertEquals(List.of("four", "test-topic-1", "two"), ctl.run("topic", "list", "@D").ok().lines());
        List<String> verbose = ctl.run("topic", "list", "@D", "--verbose").ok().lines();
        assertEquals(3, verbose.size());
        String two = verbose.get(2);
        assertTrue(two.startsWith("two {") && two.contains("num_partitions") && two.contains("validator"), two);
        JsonNode cfg = JsonConfig.MAPPER.readTree(two.substring(4));
        assertEquals(2, cfg.get("num_partitions").asInt());
        assertEquals("os", cfg.get("durability").asText(), "the command line wins over the file");
        assertEquals("integer", cfg.at("/validator/schema/properties/run/type").asText());

        JsonNode four = JsonConfig.MAPPER.readTree(ctl.run("topic", "describe", "@D", "--name", "four").ok().out());
        assertEquals(4, four.get("partitions").size());
        assertEquals(0, four.at("/partitions/3/next").asLong());

        ChildCtl.Result dup = ctl.run("topic", "create", "@D", "--name", "four");
        assertEquals(1, dup.code());
        assertEquals(1, dup.errLines().size(), dup.err());
        ctl.run("topic", "create", "@D", "--name", "four", "--topic.num_partitions", "4", "--if-absent").ok();
        ChildCtl.Result other = ctl.run("topic", "create", "@D", "--name", "four", "--if-absent");
        assertEquals(1, other.code(), "--if-absent with another configuration fails");
        assertTrue(other.err().contains("num_partitions"), "the error names the differing key: " + other.err());
        ctl.run("topic", "create", "@D", "--name", "fresh", "--if-absent").ok();
        assertTrue(Files.isDirectory(ctl.root.resolve("fresh")), "--if-absent creates a missing topic");
        ctl.run("topic", "delete", "@D", "--name", "fresh").ok();
        assertNotEquals(0, ctl.run("topic", "create", "--name", "x").code(), "missing --driver");
        assertNotEquals(0, ctl.run("topic", "create", "@D").code(), "missing --name");

        ctl.run("topic", "delete", "@D", "--name", "four").ok();
        assertFalse(Files.exists(ctl.root.resolve("four")));
        assertEquals(List.of("test-topic-1", "two"), ctl.run("topic", "list", "@D").ok().lines());
    }

    @Test
    void shouldListDriversWithTheirOptions() throws Exception {
        ChildCtl ctl = new ChildCtl(tmp);
        String text = ctl.run("driver", "list").ok().out();
        assertTrue(text.contains("files: ") && text.contains("root_path (string, required)"), text);
        assertTrue(text.contains("memory: ") && text.contains("num_partitions (integer, default 1)"), text);
        assertTrue(text.contains("redis: ") && text.contains("key_prefix (string, default "), text);
        JsonNode json = JsonConfig.MAPPER.readTree(ctl.run("driver", "list", "--json").ok().out());
        assertTrue(json.size() >= 2);
        assertEquals("files", json.get(0).get("name").asText());
    }
}
