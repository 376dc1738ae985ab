package dev.diaspora.stream.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.bench.kafka.GroupFailoverBenchmark;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link GroupFailoverBenchmark} with one repetition per driver (a child member JVM killed on each), so that it never
 * rots: both drivers fail over and the summary has their ratio.
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class GroupFailoverSmokeTest {
    @Test
    void bothDriversFailOverAndTheSummaryHasTheRatio() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Map<String, List<Double>> r = GroupFailoverBenchmark.run(new String[] {"--reps", "1"},
                new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);
        for (String driver : List.of("files", "kafka")) {
            assertEquals(1, r.get(driver).size(), out);
            assertTrue(r.get(driver).get(0) > 0, out);
        }
        assertTrue(out.contains("# load before: ") && out.contains("# load after: "), out);
        assertTrue(out.matches("(?s).*kafka/files median ratio [0-9.]+.*"), out);
    }
}
