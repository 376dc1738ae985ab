package dev.diaspora.stream.bench.programs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The producer and consumer programs with a tiny {@code -n} on the files driver, text and JSON output. */
class ProgramsSmokeTest {
    @TempDir
    Path dir;

    private static String run(boolean producer, String... args) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        int rc = producer ? ProducerBenchmark.run(args, out) : ConsumerBenchmark.run(args, out);
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(0, rc, text);
        return text;
    }

    @Test
    void producerThenConsumerWithSelectivity() throws Exception {
        String config = "{\"root_path\":\"" + dir.toString().replace("\\", "\\\\") + "\"}";
        String p = run(true, "-d", "files", "-c", config, "-t", "smoke", "-n", "300", "-m", "16", "-s", "128",
                "-b", "8", "-f", "100", "-p", "1");
        assertTrue(p.contains("--- Benchmark Results ---"), p);
        assertTrue(p.contains("Total events: 300"), p);
        assertTrue(p.matches("(?s).*Throughput: [0-9.]+ events/s.*"), p);
        assertTrue(p.matches("(?s).*Bandwidth: [0-9.]+ MB/s.*"), p);
        assertTrue(p.contains("Latency (us): p50"), p);

        String c = run(false, "-d", "files", "-c", config, "-t", "smoke", "-n", "300", "-s", "0.25", "-i", "1",
                "--json", "--name", "c1");
        JsonNode r = new ObjectMapper().readTree(c).path("results");
        assertEquals(300, r.path("total_events").asLong(), c);
        assertEquals(300L * 128, r.path("Data bytes available").asLong(), c);
        assertEquals(300L * 32, r.path("Data bytes read").asLong(), c);

        String half = run(false, "-d", "files", "-c", config, "-t", "smoke", "-n", "300", "-s", "1", "-i", "0.5",
                "--name", "c2");
        assertTrue(half.contains("Data bytes read: " + (150L * 128)), half);
        assertTrue(half.contains("Total events: 300"), half);

        // the allocation-free batch poll: events recycled after each call, the same bytes counted
        String recycled = run(false, "-d", "files", "-c", config, "-t", "smoke", "-n", "300", "-s", "0.5",
                "--recycle", "--json", "--name", "c3");
        JsonNode rr = new ObjectMapper().readTree(recycled).path("results");
        assertEquals(300, rr.path("total_events").asLong(), recycled);
        assertEquals(300L * 64, rr.path("Data bytes read").asLong(), recycled);
        assertEquals(300L * 16, rr.path("Metadata bytes").asLong(), recycled);
    }

    @Test
    void twoProducerProcesses() throws Exception {
        String config = "{\"root_path\":\"" + dir.toString().replace("\\", "\\\\") + "\"}";
        String p = run(true, "-d", "files", "-c", config, "-t", "multi", "-n", "100", "-m", "16", "-s", "64",
                "--processes", "2", "--json", "--topic-config", "{\"num_partitions\":2}");
        JsonNode r = new ObjectMapper().readTree(p.lines().filter(l -> l.startsWith("{")).findFirst().orElseThrow())
                .path("results");
        assertEquals(200, r.path("total_events").asLong(), p);
        String c = run(false, "-d", "files", "-c", config, "-t", "multi", "-n", "200", "--name", "all");
        assertTrue(c.contains("Total events: 200"), c);
    }

    /** Child producer JVMs get the parent's heap and -XX options, not its agents, debugger or properties. */
    @Test
    void childJvmsGetTheHeapAndXxOptionsOnly() {
        assertEquals(java.util.List.of("-Xmx4g", "-XX:+AlwaysPreTouch", "-Xms512m", "-XX:-UseCompressedOops"),
                ProducerBenchmark.heapOptions(java.util.List.of("-Xmx4g", "-XX:+AlwaysPreTouch",
                        "-agentpath:/x/lib.so=start", "-Dfoo=bar", "-Xms512m",
                        "-agentlib:jdwp=transport=dt_socket,address=5005", "-XX:-UseCompressedOops", "-ea")));
    }
}
