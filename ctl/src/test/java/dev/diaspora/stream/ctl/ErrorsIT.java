package dev.diaspora.stream.ctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad arguments through the jar: exit status 1 and exactly one line on stderr, no stack trace. (BadArgumentsTest
 * covers every kind in-process; this checks the real process's status and streams for one of each family.)
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ErrorsIT {
    @TempDir
    Path tmp;

    @Test
    void shouldExitWithOneAndPrintOneLine() throws Exception {
        ChildCtl ctl = new ChildCtl(tmp);
        ctl.run("topic", "create", "@D", "--name", "t").ok();
        Files.writeString(tmp.resolve("bad.yaml"), "drivers: [");
        List<String[]> cases = List.of(
                new String[] {},
                new String[] {"frobnicate"},
                new String[] {"topic", "create", "@D"},
                new String[] {"topic", "create", "@D", "--name", "t"},
                new String[] {"topic", "create", "@D", "--name", "x", "--topic.colour", "red"},
                new String[] {"topic", "create", "--driver", "nosuch", "--name", "x"},
                new String[] {"consume", "@D", "-t", "t", "-n", "c", "--from", "tomorrow"},
                new String[] {"consume", "@D", "-t", "missing", "-n", "c"},
                new String[] {"forward", "--config", tmp.resolve("bad.yaml").toString()},
                new String[] {"import", "@D", "--file", tmp.resolve("bad.yaml").toString()});
        for (String[] args : cases) {
            ChildCtl.Result r = ctl.run(args);
            String what = String.join(" ", args) + " -> " + r.err();
            assertEquals(1, r.code(), what);
            assertEquals(1, r.errLines().size(), what);
            assertTrue(r.err().startsWith("diaspora-ctl: "), what);
            assertFalse(r.err().contains("Exception"), what);
            assertEquals("", r.out(), what);
        }
        ChildCtl.Result missing = ctl.run("topic", "list", "--driver", "nosuch");
        assertTrue(missing.err().contains("No driver named 'nosuch'") && missing.err().contains("Available drivers:")
                && missing.err().contains("files") && missing.err().contains("memory"), missing.err());
    }

    @Test
    void shouldRunThroughTheLauncherScript() throws Exception {
        Path launcher = Path.of(System.getProperty("ctl.launcher", "../bin/diaspora-ctl")).toAbsolutePath();
        // DIASPORA_CTL_SKIP_BUILD: sources edited while 'verify' runs must not start a nested Maven build here;
        // the build path of the launcher is exercised by running it from a fresh clone (see ctl/README.md)
        ProcessBuilder pb = new ProcessBuilder(launcher.toString(), "--version").redirectErrorStream(true);
        pb.environment().put("DIASPORA_CTL_SKIP_BUILD", "1");
        Process p = pb.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("diaspora-ctl "), out);
    }
}
