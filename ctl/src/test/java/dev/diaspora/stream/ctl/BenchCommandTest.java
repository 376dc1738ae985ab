package dev.diaspora.stream.ctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.bench.programs.ConsumerBenchmark;
import dev.diaspora.stream.bench.programs.ProducerBenchmark;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code bench producer|consumer} in-process on the memory driver: the same lines as the programs' own entry points. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BenchCommandTest {
    private static final String CONFIG = "{\"instance\":\"ctl-bench-test\"}";

    /** The report with every number replaced by N: the timings differ from run to run, the lines must not. */
    private static List<String> shape(String report) {
        return report.lines().map(l -> l.replaceAll("[0-9]+(\\.[0-9]+)?", "N")).toList();
    }

    private static String program(boolean producer, String... args) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            assertEquals(0, producer ? ProducerBenchmark.run(args, out) : ConsumerBenchmark.run(args, out));
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void shouldPrintWhatThePlainProgramsPrint() throws Exception {
        String[] produce = {"-d", "memory", "-c", CONFIG, "-t", "b", "-n", "200", "-m", "32", "-s", "64", "-b", "8"};
        InProcess.Result viaCtl = InProcess.raw(new byte[0], concat("bench", "producer", produce));
        assertEquals(0, viaCtl.code(), viaCtl::err);
        assertTrue(viaCtl.out().contains("Total events: 200"), viaCtl.out());
        assertEquals(shape(program(true, produce)), shape(viaCtl.out()));

        String[] consume = {"-d", "memory", "-c", CONFIG, "-t", "b", "-n", "400", "-s", "0.5", "--name", "c1"};
        InProcess.Result c = InProcess.raw(new byte[0], concat("bench", "consumer", consume));
        assertEquals(0, c.code(), c::err);
        assertTrue(c.out().contains("Total events: 400"), c.out());
        assertTrue(c.out().contains("Data bytes read: " + 400 * 32), c.out());
        consume[consume.length - 1] = "c2";
        assertEquals(shape(program(false, consume)), shape(c.out()));
    }

    @Test
    void shouldExitWithOneWhenFewerEventsArrive() {
        InProcess.Result r = InProcess.raw(new byte[0], "bench", "producer", "-d", "memory", "-c", CONFIG, "-t", "few",
                "-n", "5");
        assertEquals(0, r.code(), r::err);
        r = InProcess.raw(new byte[0], "bench", "consumer", "-d", "memory", "-c", CONFIG, "-t", "few", "-n", "6",
                "--idle-timeout", "0.2", "--json");
        assertEquals(1, r.code(), r::toString);
        assertTrue(r.out().contains("\"total_events\":5"), r.out());
    }

    private static String[] concat(String a, String b, String... rest) {
        String[] all = new String[rest.length + 2];
        all[0] = a;
        all[1] = b;
        System.arraycopy(rest, 0, all, 2, rest.length);
        return all;
    }
}
