package dev.diaspora.stream.ctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code bench producer} then {@code bench consumer} through the jar, on the files driver, with a tiny -n. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BenchIT {
    @TempDir
    Path tmp;

    @Test
    void shouldRunProducerThenConsumerOnTheFilesDriver() throws Exception {
        ChildCtl ctl = new ChildCtl(tmp);
        String config = "{\"root_path\":\"" + ctl.root.toString().replace("\\", "\\\\") + "\"}";
        ChildCtl.Result p = ctl.run("bench", "producer", "-d", "files", "-c", config, "-t", "bench", "-n", "500",
                "-m", "32", "-s", "100", "-b", "16", "-f", "100").ok();
        assertTrue(p.lines().contains("--- Benchmark Results ---"), p.out());
        assertTrue(p.lines().contains("Total events: 500"), p.out());
        assertTrue(p.lines().contains("Metadata size: 32"), p.out());

        ChildCtl.Result c = ctl.run("bench", "consumer", "-d", "files", "-c", config, "-t", "bench", "-n", "500",
                "-s", "0.25", "--name", "it").ok();
        List<String> lines = c.lines();
        assertTrue(lines.contains("Total events: 500"), c.out());
        assertTrue(lines.contains("Data bytes read: " + 500 * 25), c.out());
        assertEquals("", c.err(), "nothing on stderr for a short run");

        ChildCtl.Result help = ctl.run("bench", "consumer", "--help").ok();
        assertTrue(help.out().contains("--data-selectivity"), help.out());
        ChildCtl.Result bad = ctl.run("bench", "consumer", "-d", "files", "-c", config, "-t", "bench", "-x", "1");
        assertEquals(2, bad.code(), "a usage error");
        assertEquals(List.of("diaspora-ctl: unknown option: -x (see 'diaspora-ctl bench consumer --help')"),
                bad.errLines());
    }
}
