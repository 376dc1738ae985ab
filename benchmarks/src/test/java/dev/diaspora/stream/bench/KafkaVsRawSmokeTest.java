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

/** {@link KafkaVsRawBenchmark} with one size, one repetition and about fifty events, so that it never rots. */
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
}
