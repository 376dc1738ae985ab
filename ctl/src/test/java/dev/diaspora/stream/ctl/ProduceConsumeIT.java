package dev.diaspora.stream.ctl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.TopicHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** produce, consume and consumer list|describe|reset through the jar, against the files driver. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ProduceConsumeIT {
    @TempDir
    Path tmp;

    @Test
    void shouldRoundTripTextJsonAndBinaryData() throws Exception {
        ChildCtl ctl = new ChildCtl(tmp);
        ctl.run("topic", "create", "@D", "--name", "t").ok();
        String text = "plain line\nwith \"quotes\" and \\ backslash\nünïcödé ✓\n\n\ttabbed\n";
        List<String> ids = ctl.runIn(text, "produce", "@D", "-t", "t", "--print-ids").ok().lines();
        assertEquals(List.of("0 0", "0 1", "0 2", "skipped: empty line", "0 3"), ids);
        assertEquals(List.of("plain line", "with \"quotes\" and \\ backslash", "ünïcödé ✓", "\ttabbed"),
                ctl.run("consume", "@D", "-t", "t", "-n", "text", "--format", "raw").ok().lines());

        String json = "{\"a\": 1, \"b\": [true, null, 2.50]}\n[1,2]\n\"s\"\n";
        ctl.runIn(json, "produce", "@D", "-t", "t", "--format", "json").ok();
        List<String> events = ctl.run("consume", "@D", "-t", "t", "-n", "text").ok().lines();
        assertEquals(3, events.size(), "resumes after the acknowledged events");
        assertTrue(events.get(0).contains("\"metadata\":{\"a\": 1, \"b\": [true, null, 2.50]}"), events.get(0));
        assertEquals(4, JsonConfig.MAPPER.readTree(events.get(0)).get("id").asLong());

        byte[] bytes = new byte[1 << 20];
        new Random(7).nextBytes(bytes);
        Path data = tmp.resolve("blob.bin");
        Files.write(data, bytes);
        ctl.run("topic", "create", "@D", "--name", "bin").ok();
        ctl.runIn("{\"name\":\"blob\"}\n", "produce", "@D", "-t", "bin", "--format", "json", "--data-file",
                data.toString()).ok();
        JsonNode b64 = JsonConfig.MAPPER.readTree(ctl.run("consume", "@D", "-t", "bin", "-n", "b", "--data",
                "base64").ok().out());
        assertArrayEquals(bytes, Base64.getDecoder().decode(b64.get("data").asText()));
        Path outDir = tmp.resolve("data-out");
        JsonNode f = JsonConfig.MAPPER.readTree(ctl.run("consume", "@D", "-t", "bin", "-n", "d", "--data",
                "dir:" + outDir).ok().out());
        assertEquals(bytes.length, f.get("data_size").asLong());
        assertArrayEquals(bytes, Files.readAllBytes(Path.of(f.get("data_file").asText())));
    }

    @Test
    void shouldTrackResetAndDescribeConsumerPositions() throws Exception {
        ChildCtl ctl = new ChildCtl(tmp);
        ctl.run("topic", "create", "@D", "--name", "p", "--topic.num_partitions", "2").ok();
        ctl.runIn("1\n2\n3\n4\n5\n6\n", "produce", "@D", "-t", "p").ok();
        assertEquals(4, ctl.run("consume", "@D", "-t", "p", "-n", "app", "--count", "4").ok().lines().size());
        assertEquals(List.of(), ctl.run("consume", "@D", "-t", "p", "-n", "late", "--from", "latest").ok().lines());
        assertEquals(List.of("NAME MEMBERS", "app 0"), ctl.run("consumer", "list", "@D", "-t", "p").ok().lines()
                .stream().map(l -> l.trim().replaceAll("\\s+", " ")).toList());
        JsonNode app = JsonConfig.MAPPER.readTree(ctl.run("consumer", "describe", "@D", "-t", "p", "-n", "app",
                "--json").ok().out());
        long lag = 0;
        for (JsonNode part : app.get("partitions")) {
            lag += part.get("lag").asLong();
            assertEquals(2, part.get("last").asLong());
        }
        assertEquals(2, lag);
        List<String> table = ctl.run("consumer", "reset", "@D", "-t", "p", "-n", "app", "--to", "id:1").ok().lines();
        assertEquals(3, table.size(), String.join("\n", table));
        try (Driver d = ctl.openDriver(); TopicHandle t = d.openTopic("p")) {
            assertEquals(Map.of(0, 1L, 1, 1L), t.positions("app"));
        }
        assertEquals(4, ctl.run("consume", "@D", "-t", "p", "-n", "app").ok().lines().size());
        assertEquals(2, ctl.run("consume", "@D", "-t", "p", "-n", "app", "--reset", "--from", "id:2").ok().lines()
                .size());
    }

    @Test
    void shouldFollowNewEventsUntilSigtermAndCommit() throws Exception {
        ChildCtl ctl = new ChildCtl(tmp);
        ctl.run("topic", "create", "@D", "--name", "live").ok();
        try (ChildCtl.Daemon follow = ctl.start("consume", "@D", "-t", "live", "-n", "tail", "--follow",
                "--format", "raw")) {
            try (Driver d = ctl.openDriver(); TopicHandle t = d.openTopic("live");
                    var producer = t.producer()) {
                for (int i = 0; i < 5; i++) {
                    producer.push(dev.diaspora.stream.Metadata.of("\"event " + i + "\""),
                            dev.diaspora.stream.DataView.EMPTY).join();
                }
            }
            ChildCtl.await(Duration.ofSeconds(30), "5 followed events", () -> {
                try {
                    return follow.out().split("\n").length == 5;
                } catch (java.io.IOException e) {
                    return false;
                }
            });
            assertEquals(0, follow.terminate(Duration.ofSeconds(10)), "exit 0 after SIGTERM");
            assertEquals("event 0\nevent 1\nevent 2\nevent 3\nevent 4\n", follow.out());
        }
        try (Driver d = ctl.openDriver(); TopicHandle t = d.openTopic("live")) {
            assertEquals(Map.of(0, 5L), t.positions("tail"), "acknowledged and committed on exit");
        }
    }
}
