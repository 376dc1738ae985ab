package dev.diaspora.stream.ctl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.TopicHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** forward through the jar, files to files: plain, multi-policy, transforms, SIGTERM mid-stream. */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class ForwardIT {
    @TempDir
    Path tmp;

    private static void produce(ChildCtl ctl, String topic, int n, String tag) {
        try (Driver d = ctl.openDriver(); TopicHandle t = d.openTopic(topic); Producer p = t.producer()) {
            for (int i = 0; i < n; i++) {
                p.push(Metadata.of("{\"tag\":\"" + tag + "\",\"seq\":" + i + "}"),
                        DataView.of(("payload " + tag + " " + i).getBytes()));
            }
            p.flush().join();
        }
    }

    private Path config(ChildCtl ctl, String policies) throws Exception {
        Path f = Files.createTempFile(tmp, "forward", ".yaml");
        Files.writeString(f, "drivers:\n  local:\n    type: files\n    options: {root_path: "
                + EventJson.quote(ctl.root.toString()) + "}\nforward:\n" + policies);
        return f;
    }

    @Test
    void shouldForwardMetadataAndDataForEveryPolicyAndStopCleanly() throws Exception {
        ChildCtl ctl = new ChildCtl(tmp);
        for (String t : List.of("src-a", "src-b", "dst-a", "dst-b", "empty", "dst-empty")) {
            ctl.run("topic", "create", "@D", "--name", t, "--topic.num_partitions", t.startsWith("src") ? "2" : "1")
                    .ok();
        }
        produce(ctl, "src-a", 3, "a");
        produce(ctl, "src-b", 1, "b");
        Path cfg = config(ctl, """
                  - from: local/src-a
                    to: local/dst-a
                  - from: local/src-b
                    to: local/dst-b
                  - from: local/empty
                    to: local/dst-empty
                """);
        try (ChildCtl.Daemon fw = ctl.start("forward", "--config", cfg.toString())) {
            ChildCtl.await(Duration.ofSeconds(30), "forwarded events",
                    () -> ctl.count("dst-a") == 3 && ctl.count("dst-b") == 1);
            long t0 = System.nanoTime();
            assertEquals(0, fw.terminate(Duration.ofSeconds(5)), () -> "stderr: " + fw.toString());
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5));
        }
        Set<String> got = new HashSet<>();
        for (ChildCtl.Stored s : ctl.readAll("dst-a")) {
            int seq = JsonConfig.MAPPER.readTree(s.metadata()).get("seq").asInt();
            assertArrayEquals(("payload a " + seq).getBytes(), s.data(), "data forwarded too");
            got.add(s.metadata());
        }
        assertEquals(3, got.size());
        assertEquals("{\"tag\":\"b\",\"seq\":0}", ctl.readAll("dst-b").get(0).metadata());
        assertEquals(0, ctl.count("dst-empty"));
    }

    @Test
    void shouldRunTransformsPerEventAndAsAServiceWithStderrInTheLog() throws Exception {
        ChildCtl ctl = new ChildCtl(tmp);
        for (String t : List.of("src", "per-event", "service")) {
            ctl.run("topic", "create", "@D", "--name", t).ok();
        }
        produce(ctl, "src", 4, "x");
        Path cfg = config(ctl, """
                  - from: local/src
                    to: local/per-event
                    transform:
                      command: "echo diagnostic-from-transform >&2; sed 's/\\"metadata\\":{/\\"metadata\\":{\\"seen\\":\\"event\\",/'"
                  - from: local/src
                    to: local/service
                    transform:
                      command: [sed, -u, 's/.*"seq":1}.*/null/; s/"metadata":{/"metadata":{"seen":"service",/']
                      mode: service
                      data: false
                """);
        try (ChildCtl.Daemon fw = ctl.start("forward", "--config", cfg.toString())) {
            ChildCtl.await(Duration.ofSeconds(60), "transformed events",
                    () -> ctl.count("per-event") == 4 && ctl.count("service") >= 3);
            assertEquals(0, fw.terminate(Duration.ofSeconds(10)));
            assertTrue(fw.err().contains("diagnostic-from-transform"), fw.err());
            assertFalse(fw.out().contains("diagnostic"), "never on stdout");
        }
        for (ChildCtl.Stored s : ctl.readAll("per-event")) {
            assertTrue(s.metadata().startsWith("{\"seen\":\"event\",\"tag\":\"x\""), s.metadata());
            int seq = JsonConfig.MAPPER.readTree(s.metadata()).get("seq").asInt();
            assertArrayEquals(("payload x " + seq).getBytes(), s.data());
            assertFalse(s.metadata().contains("diagnostic"));
        }
        List<ChildCtl.Stored> service = ctl.readAll("service");
        assertEquals(3, service.size(), "the event the service answered null for is dropped");
        for (ChildCtl.Stored s : service) {
            assertTrue(s.metadata().startsWith("{\"seen\":\"service\""), s.metadata());
            int seq = JsonConfig.MAPPER.readTree(s.metadata()).get("seq").asInt();
            assertArrayEquals(("payload x " + seq).getBytes(), s.data(), "data kept when the output has none");
        }
    }

    @Test
    void shouldLoseNothingWhenStoppedBySigtermMidStream() throws Exception {
        ChildCtl ctl = new ChildCtl(tmp);
        ctl.run("topic", "create", "@D", "--name", "in", "--topic.num_partitions", "4").ok();
        ctl.run("topic", "create", "@D", "--name", "out", "--topic.num_partitions", "2").ok();
        int n = 300;
        produce(ctl, "in", n, "m");
        Path slow = config(ctl, """
                  - from: local/in
                    to: local/out
                    name: mover
                    transform:
                      command: "while IFS= read -r l; do sleep 0.01; printf '%s\\\\n' \\"$l\\"; done"
                      mode: service
                """);
        try (ChildCtl.Daemon fw = ctl.start("forward", "--config", slow.toString())) {
            ChildCtl.await(Duration.ofSeconds(60), "the forward to be mid-stream", () -> ctl.count("out") >= 30);
            assertEquals(0, fw.terminate(Duration.ofSeconds(20)), fw.err());
        }
        long first = ctl.count("out");
        assertTrue(first < n, "stopped mid-stream, after " + first + " events");
        Path fast = config(ctl, """
                  - from: local/in
                    to: local/out
                    name: mover
                """);
        try (ChildCtl.Daemon fw = ctl.start("forward", "--config", fast.toString())) {
            ChildCtl.await(Duration.ofSeconds(60), "the rest", () -> ctl.count("out") >= n);
            assertEquals(0, fw.terminate(Duration.ofSeconds(10)));
        }
        List<ChildCtl.Stored> out = ctl.readAll("out");
        Set<Integer> seqs = new HashSet<>();
        for (ChildCtl.Stored s : out) {
            int seq = JsonConfig.MAPPER.readTree(s.metadata()).get("seq").asInt();
            assertArrayEquals(("payload m " + seq).getBytes(), s.data());
            seqs.add(seq);
        }
        assertEquals(n, seqs.size(), "nothing lost");
        assertEquals(n, out.size(), "nothing forwarded twice after a clean stop");
    }
}
