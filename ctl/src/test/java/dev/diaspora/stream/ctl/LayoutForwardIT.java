package dev.diaspora.stream.ctl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.TopicHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19, item 3: {@code forward} through the jar copies topics between layouts in one shared root: a topic in the
 * C++ layout ({@code files-v0}) into the {@code files} layout, and that copy back into the C++ layout, in one run;
 * metadata text and data bytes come out as they went in. Metadata forwarded into the C++ layout is stored as the C++
 * library stores it (keys sorted, compact), so a {@code files} topic's metadata written otherwise arrives rewritten.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class LayoutForwardIT {
    private static final int EVENTS = 60;

    @TempDir
    Path tmp;

    private static void push(Driver d, String topic, List<String> metadata) {
        try (TopicHandle t = d.openTopic(topic); Producer p = t.producer()) {
            for (int k = 0; k < metadata.size(); k++) {
                byte[] data = new byte[(k * 53) % 700]; // some events have no data
                for (int i = 0; i < data.length; i++) {
                    data[i] = (byte) (k * 31 + i);
                }
                p.push(Metadata.of(metadata.get(k)), DataView.of(data));
            }
            p.flush().join();
        }
    }

    /** @return the events' metadata and data in a stable order, without partitions and ids (forward picks those) */
    private static List<ChildCtl.Stored> contents(List<ChildCtl.Stored> events) {
        return events.stream().sorted(Comparator.comparing(ChildCtl.Stored::metadata)).toList();
    }

    private static void assertSameEvents(List<ChildCtl.Stored> expected, List<ChildCtl.Stored> actual, String what) {
        assertEquals(expected.size(), actual.size(), what);
        List<ChildCtl.Stored> e = contents(expected);
        List<ChildCtl.Stored> a = contents(actual);
        for (int i = 0; i < e.size(); i++) {
            assertEquals(e.get(i).metadata(), a.get(i).metadata(), what);
            assertArrayEquals(e.get(i).data(), a.get(i).data(), what + ": data of " + e.get(i).metadata());
        }
    }

    @Test
    void shouldForwardFromTheCppLayoutToTheFilesLayoutAndBack() throws Exception {
        ChildCtl ctl = new ChildCtl(tmp);
        List<String> v0 = List.of("--driver", "files-v0", "--driver.root_path", ctl.root.toString());
        ctl.run(concat(v0, "topic", "create", "--name", "cpp", "--topic.num_partitions", "2")).ok();
        ctl.run(concat(v0, "topic", "create", "--name", "back", "--topic.num_partitions", "3")).ok();
        ctl.run(concat(v0, "topic", "create", "--name", "sorted")).ok();
        for (String[] t : new String[][] {{"java", "2"}, {"unsorted", "1"}}) {
            ctl.run("topic", "create", "@D", "--name", t[0], "--topic.num_partitions", t[1]).ok();
        }
        List<String> metadata = new java.util.ArrayList<>();
        for (int k = 0; k < EVENTS; k++) {
            metadata.add("{\"k\":" + k + ",\"name\":\"ev\\u00e9nement " + k + "\",\"e\":" + (k * 0.25) + "}");
        }
        try (Driver d = ctl.openDriver("files-v0")) {
            push(d, "cpp", metadata);
        }
        try (Driver d = ctl.openDriver()) {
            push(d, "unsorted", List.of("{\"z\":1,\"a\":{\"y\":true,\"b\":null}}", "{\"m\":[3,1],\"c\":\"x\"}"));
        }
        Path cfg = tmp.resolve("forward.yaml");
        Files.writeString(cfg, "drivers:\n"
                + "  cpp:\n    type: files-v0\n    options: {root_path: " + EventJson.quote(ctl.root.toString()) + "}\n"
                + "  java:\n    type: files\n    options: {root_path: " + EventJson.quote(ctl.root.toString()) + "}\n"
                + "forward:\n"
                + "  - from: cpp/cpp\n    to: java/java\n"
                + "  - from: java/java\n    to: cpp/back\n"
                + "  - from: java/unsorted\n    to: cpp/sorted\n");
        try (ChildCtl.Daemon fw = ctl.start("forward", "--config", cfg.toString())) {
            ChildCtl.await(Duration.ofSeconds(60), "events forwarded across layouts",
                    () -> ctl.count("java") == EVENTS && ctl.count("files-v0", "back") == EVENTS
                            && ctl.count("files-v0", "sorted") == 2);
            int status = fw.terminate(Duration.ofSeconds(20));
            assertEquals(0, status, "stderr: " + fw.err());
        }
        List<ChildCtl.Stored> original = ctl.readAll("files-v0", "cpp");
        assertSameEvents(original, ctl.readAll("java"), "files-v0 -> files");
        assertSameEvents(original, ctl.readAll("files-v0", "back"), "files-v0 -> files -> files-v0");
        List<String> sorted = ctl.readAll("files-v0", "sorted").stream().map(ChildCtl.Stored::metadata).toList();
        assertEquals(List.of("{\"a\":{\"b\":null,\"y\":true},\"z\":1}", "{\"c\":\"x\",\"m\":[3,1]}"),
                sorted.stream().sorted().toList(), "stored as the C++ library stores metadata");
        assertEquals(EVENTS, ctl.count("java"), "nothing forwarded twice");
        assertEquals(EVENTS, ctl.count("files-v0", "back"), "nothing forwarded twice");
    }

    private static String[] concat(List<String> driver, String... args) {
        List<String> all = new java.util.ArrayList<>(List.of(args));
        all.addAll(driver);
        return all.toArray(new String[0]);
    }
}
