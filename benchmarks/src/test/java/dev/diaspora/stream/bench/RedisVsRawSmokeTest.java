package dev.diaspora.stream.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.bench.redis.RedisVsRawBenchmark;
import dev.diaspora.stream.tck.ExternalServers;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link RedisVsRawBenchmark} with one size, one repetition and a few dozen events, so that it never rots. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class RedisVsRawSmokeTest {
    @Test
    void bothModesProduceAndConsumeAndTheSummaryHasRatios() throws Exception {
        ExternalServers.assumeReachable("Redis", "127.0.0.1", 6379,
                "start one with: redis-server --port 6379 --save ''");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        List<String> summary = RedisVsRawBenchmark.run(new String[] {"--reps", "1", "--sizes", "1024", "--mb",
            "0.05"}, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(2, summary.size(), out); // events/s, then CPU per event of client and server
        assertTrue(summary.get(0).matches("size 1024 .*produce raw [0-9]+ driver [0-9]+ ev/s \\(driver/raw [0-9.]+\\);"
                + " consume raw [0-9]+ driver [0-9]+ ev/s \\(driver/raw [0-9.]+\\)"), out);
        assertTrue(summary.get(1).matches("size 1024 CPU us/event \\(medians\\) client\\+server: produce raw .*"
                + "\\(driver/raw [0-9.]+\\); consume raw .*\\(driver/raw [0-9.]+\\)"), out);
        assertTrue(out.contains("load before: ") && out.contains("# load after: "), out);
    }
}
