package dev.diaspora.stream.bench.groups;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The group-failover program with one round of each measure (a real child JVM killed once per driver: files, netty
 * with its partition server, kafka with its broker), so that it never rots.
 */
class GroupFailoverSmokeTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(180)
    void measuresOneRoundOfEach() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int rc = GroupFailoverBenchmark.run(new String[] {"--drivers", "files,netty,kafka", "--kills", "1", "--joins", "1", "--stalls", "1",
            "--partitions", "2", "--session-timeout-ms", "500", "--idle-seconds", "1", "--idle-reps", "1", "--dir",
            dir.toString()},
                new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(0, rc, text);
        for (String measure : new String[] {"files SIGKILL -> first event at the successor",
            "netty SIGKILL -> first event at the successor", "kafka SIGKILL -> first event at the successor",
            "files clean close -> first event at the successor", "files join -> both members balanced",
            "memory stalled member -> first event at the successor"}) {
            assertTrue(text.contains(measure), measure + " missing: " + text);
        }
        assertEquals(6, text.split("n=1 ", -1).length - 1, "one sample per measure: " + text);
        assertTrue(text.contains("ratio files SIGKILL / clean close"), text);
        assertTrue(text.matches("(?s).*ratio netty/files SIGKILL: p50 [0-9.]+.*"), text);
        assertTrue(text.matches("(?s).*ratio kafka/files SIGKILL: p50 [0-9.]+.*"), text);
        assertTrue(text.contains("idle member process CPU, ms per s: group ["), text);
        ByteArrayOutputStream usage = new ByteArrayOutputStream();
        assertEquals(2, GroupFailoverBenchmark.run(new String[] {"--partitions", "3"},
                new PrintStream(usage, true, StandardCharsets.UTF_8)));
        assertTrue(usage.toString(StandardCharsets.UTF_8).contains("must be even"), usage.toString());
        ByteArrayOutputStream unknown = new ByteArrayOutputStream();
        assertEquals(2, GroupFailoverBenchmark.run(new String[] {"--drivers", "files,rdma"},
                new PrintStream(unknown, true, StandardCharsets.UTF_8)));
        assertTrue(unknown.toString(StandardCharsets.UTF_8).contains("--drivers takes"), unknown.toString());
    }
}
