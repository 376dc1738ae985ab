package dev.diaspora.stream.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.bench.kafka.KafkaVsRawBenchmark;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link KafkaVsRawBenchmark} with one size, one repetition and about fifty events, so that it never rots; and with two
 * 3 MiB events, so that its large-event path (limits raised on both sides) does not either.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class KafkaVsRawSmokeTest {
    @Test
    void everyModeProducesAndConsumesAndTheTableHasRatios() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Map<String, List<Double>> r = KafkaVsRawBenchmark.run(new String[] {"--reps", "1", "--sizes", "1024",
            "--mb", "0.05", "--warmup", "false"}, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);
        for (String mode : List.of("raw", "inline", "header")) {
            for (String side : List.of("produce", "consume")) {
                List<Double> v = r.get("1024/" + mode + "/" + side);
                assertEquals(1, v.size(), out);
                assertTrue(v.get(0) > 0, out);
            }
        }
        assertTrue(out.contains("# load before: ") && out.contains("# load after: "), out);
        assertTrue(out.matches("(?s).*\\| 1024 B \\| consume \\| .* \\| header \\| .* \\| \\*\\*[0-9.]+\\*\\* .*"),
                out);
    }

    /** Events above the driver's default limit (1 MiB): both sides raise their limits alike and complete. */
    @Test
    void eventsAboveOneMebibyteRunOnBothSides() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int size = 3 << 20;
        Map<String, List<Double>> r = KafkaVsRawBenchmark.run(new String[] {"--reps", "1", "--sizes",
            String.valueOf(size), "--mb", "6", "--warmup", "false", "--modes", "raw,inline"},
                new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);
        for (String mode : List.of("raw", "inline")) {
            for (String side : List.of("produce", "consume")) {
                List<Double> v = r.get(size + "/" + mode + "/" + side);
                assertEquals(1, v.size(), out);
                assertTrue(v.get(0) > 0, out);
            }
        }
    }
}
