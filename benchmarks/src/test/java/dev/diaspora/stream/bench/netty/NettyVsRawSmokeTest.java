package dev.diaspora.stream.bench.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The netty-vs-raw program with tiny counts, so that it never rots. */
class NettyVsRawSmokeTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(60)
    void runsBothSidesForTwoSizesAndLatency() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int rc = NettyVsRawBenchmark.run(new String[] {"--sizes", "300000,100", "--bytes", "700000", "--reps", "1",
            "--warmup-reps", "1", "--latency-events", "50", "--latency-warmup", "20", "--dir", dir.toString()}, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(0, rc, text);
        assertTrue(text.contains("(after 1 unrecorded repetitions per size)"), text);
        assertTrue(text.contains("300000 2 |"), text);
        assertTrue(text.contains("process CPU us per event, medians: raw P "), text);
        assertTrue(text.contains("100 6034 |"), text);
        assertTrue(text.contains("round trip of one 100 B event (push until stored), 50 events after 20 unrecorded"),
                text);
        assertTrue(text.contains("process CPU per round trip: raw "), text);
    }

    @Test
    @Timeout(60)
    void consumesThroughARecyclingConsumer() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int rc = NettyVsRawBenchmark.run(new String[] {"--sizes", "70000,100", "--bytes", "700000", "--reps", "1",
            "--latency-events", "0", "--recycle", "--dir", dir.toString()}, new PrintStream(bytes, true,
                StandardCharsets.UTF_8));
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(0, rc, text);
        assertTrue(text.contains("(netty consumer: recycleEvents, poll(EventProcessor))"), text);
        assertTrue(text.contains("70000 9 |"), text);
        assertTrue(text.contains("100 6034 |"), text);
    }
}
