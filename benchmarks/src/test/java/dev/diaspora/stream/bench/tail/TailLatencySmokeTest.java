package dev.diaspora.stream.bench.tail;

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
 * The tail-latency program with a few events (two real child JVMs: a files consumer and a Chronicle tailer), so that
 * it never rots. Measures nothing.
 */
class TailLatencySmokeTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(180)
    void measuresBothTailersInOneRun() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int rc = TailLatencyBenchmark.run(new String[] {"--events", "20", "--warmup", "5", "--interval-ms", "2",
            "--idle-seconds", "1", "--seed", "16", "--dir", dir.toString()},
                new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(0, rc, text);
        assertTrue(text.contains("(seed 16)"), text);
        assertTrue(text.matches("(?s).*\\nfiles +n=20 p50 [0-9.]+ p99 [0-9.]+ p99\\.9 [0-9.]+ max [0-9.]+\\n.*"), text);
        assertTrue(text.matches("(?s).*\\nchronicle +n=20 p50 [0-9.]+ p99 .*"), text);
        assertTrue(text.matches("(?s).*ratio files/chronicle: p50 [0-9.]+ p99 [0-9.]+.*"), text);
        assertTrue(text.matches("(?s).*idle tailer process CPU over 1 s, % of a core: files [0-9.]+ chronicle [0-9.]+.*"),
                text);

        ByteArrayOutputStream usage = new ByteArrayOutputStream();
        assertEquals(2, TailLatencyBenchmark.run(new String[] {"--systems", "files,kafka"},
                new PrintStream(usage, true, StandardCharsets.UTF_8)));
        assertTrue(usage.toString(StandardCharsets.UTF_8).contains("--systems takes"), usage.toString());
        ByteArrayOutputStream pauser = new ByteArrayOutputStream();
        assertEquals(2, TailLatencyBenchmark.run(new String[] {"--chronicle-pauser", "spin"},
                new PrintStream(pauser, true, StandardCharsets.UTF_8)));
        assertTrue(pauser.toString(StandardCharsets.UTF_8).contains("--chronicle-pauser takes"), pauser.toString());
    }
}
