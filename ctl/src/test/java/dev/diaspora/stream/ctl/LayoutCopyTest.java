package dev.diaspora.stream.ctl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.StartAt;
import dev.diaspora.stream.TopicHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19, item 3: {@code topic list/describe} say which layout a topic of a root directory uses (the C++ layout
 * "v0", through the {@code files-v0} driver and through {@code files}), and export/import copy a topic from the C++
 * layout to the files layout and back, event for event.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LayoutCopyTest {
    @TempDir
    Path tmp;

    private static Driver open(String driver, Path root) {
        return Driver.open(driver, Metadata.of("{\"root_path\":\"" + root + "\"}"));
    }

    private static String[] with(String driver, Path root, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--driver", driver, "--driver.root_path", root.toString()));
        return all.toArray(new String[0]);
    }

    private static InProcess.Result ok(String driver, Path root, String... args) {
        InProcess.Result r = InProcess.raw(new byte[0], with(driver, root, args));
        assertEquals(0, r.code(), r.err());
        return r;
    }

    private record Stored(int partition, long id, String metadata, byte[] data) {
    }

    private static List<Stored> readAll(String driver, Path root, String topic, int count) {
        List<Stored> out = new ArrayList<>();
        try (Driver d = open(driver, root); TopicHandle t = d.openTopic(topic);
                Consumer c = t.consumer(ConsumerOptions.named("check").startAt(StartAt.EARLIEST))) {
            while (out.size() < count) {
                Optional<Event> e = c.poll(Duration.ofSeconds(10));
                assertTrue(e.isPresent(), "only " + out.size() + " of " + count + " events in " + topic);
                out.add(new Stored(e.get().partition(), e.get().id(), e.get().metadata().toString(),
                        e.get().data().toByteArray()));
            }
        }
        out.sort((a, b) -> a.partition != b.partition ? a.partition - b.partition : Long.compare(a.id, b.id));
        return out;
    }

    private static void assertSame(List<Stored> a, List<Stored> b) {
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            assertEquals(a.get(i).partition(), b.get(i).partition());
            assertEquals(a.get(i).id(), b.get(i).id());
            assertEquals(a.get(i).metadata(), b.get(i).metadata());
            assertArrayEquals(a.get(i).data(), b.get(i).data());
        }
    }

    @Test
    void listsLayoutsAndCopiesBetweenThem() throws Exception {
        Path root = tmp.resolve("shared");
        try (Driver d = open("files-v0", root)) {
            d.createTopic("cpp", Metadata.of("{\"num_partitions\":2}"));
            try (TopicHandle t = d.openTopic("cpp"); Producer p = t.producer()) {
                for (int k = 0; k < 50; k++) {
                    byte[] data = new byte[(k * 37) % 300];
                    java.util.Arrays.fill(data, (byte) k);
                    p.push(Metadata.of("{\"k\":" + k + ",\"a\":\"x\"}"), DataView.of(data));
                }
                p.flush().join();
            }
        }
        try (Driver d = open("files", root)) {
            d.createTopic("java", Metadata.of("{}"));
        }
        for (String driver : List.of("files", "files-v0")) {
            List<String> lines = ok(driver, root, "topic", "list", "-v").lines();
            String cpp = lines.stream().filter(l -> l.startsWith("cpp ")).findFirst().orElseThrow();
            JsonNode cfg = JsonConfig.MAPPER.readTree(cpp.substring(4));
            assertEquals("v0", cfg.get("layout").asText(), driver + ": " + cpp);
            assertEquals(2, cfg.get("num_partitions").asInt(), cpp);
        }
        String java = ok("files", root, "topic", "list", "-v").lines().stream().filter(l -> l.startsWith("java "))
                .findFirst().orElseThrow();
        assertEquals("files", JsonConfig.MAPPER.readTree(java.substring(5)).get("layout").asText(), java);
        JsonNode described = JsonConfig.MAPPER.readTree(ok("files-v0", root, "topic", "describe", "--topic", "cpp").out());
        assertEquals("v0", described.at("/config/layout").asText(), described.toString());
        assertEquals(50, described.at("/partitions/0/events").asInt() + described.at("/partitions/1/events").asInt());

        List<Stored> original = readAll("files-v0", root, "cpp", 50);
        Path archive = tmp.resolve("cpp.dxp");
        ok("files-v0", root, "export", "-t", "cpp", "--file", archive.toString());
        Path other = tmp.resolve("files-root");
        ok("files", other, "import", "--file", archive.toString(), "-t", "copied");
        assertSame(original, readAll("files", other, "copied", 50));

        Path back = tmp.resolve("back.dxp");
        ok("files", other, "export", "-t", "copied", "--file", back.toString());
        ok("files-v0", root, "import", "--file", back.toString(), "-t", "again");
        assertSame(original, readAll("files-v0", root, "again", 50));
        for (String f : List.of("index", "metadata", "data")) {
            assertArrayEquals(Files.readAllBytes(root.resolve("cpp/partitions/00000001/" + f)),
                    Files.readAllBytes(root.resolve("again/partitions/00000001/" + f)),
                    "the round trip writes the same C++ files: " + f);
        }
    }
}
