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
 * Bad arguments through the jar: exit status 2 (usage) or 1 (failure) and exactly one line on stderr, no stack trace. (BadArgumentsTest
 * covers every kind in-process; this checks the real process's status and streams for one of each family.)
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ErrorsIT {
    @TempDir
    Path tmp;

    @Test
    void shouldExitWithTwoOrOneAndPrintOneLine() throws Exception {
        ChildCtl ctl = new ChildCtl(tmp);
        ctl.run("topic", "create", "@D", "--name", "t").ok();
        Files.writeString(tmp.resolve("bad.yaml"), "drivers: [");
        // status, then the arguments: 2 for a command line the tool rejects, 1 for a failure while running
        List<String[]> cases = List.of(
                new String[] {"2"},
                new String[] {"2", "frobnicate"},
                new String[] {"2", "topic", "create", "@D"},
                new String[] {"1", "topic", "create", "@D", "--name", "t"},
                new String[] {"1", "topic", "create", "@D", "--name", "x", "--topic.colour", "red"},
                new String[] {"1", "topic", "create", "--driver", "nosuch", "--name", "x"},
                new String[] {"2", "consume", "@D", "-t", "t", "-n", "c", "--from", "tomorrow"},
                new String[] {"1", "consume", "@D", "-t", "missing", "-n", "c"},
                new String[] {"1", "forward", "--config", tmp.resolve("bad.yaml").toString()},
                new String[] {"1", "import", "@D", "--file", tmp.resolve("bad.yaml").toString()});
        for (String[] c : cases) {
            String[] args = java.util.Arrays.copyOfRange(c, 1, c.length);
            ChildCtl.Result r = ctl.run(args);
            String what = String.join(" ", args) + " -> " + r.err();
            assertEquals(Integer.parseInt(c[0]), r.code(), what);
            assertEquals(1, r.errLines().size(), what);
            assertTrue(r.err().startsWith("diaspora-ctl: "), what);
            assertFalse(r.err().contains("Exception"), what);
            assertEquals("", r.out(), what);
        }
        ChildCtl.Result missing = ctl.run("topic", "list", "--driver", "nosuch");
        assertTrue(missing.err().contains("No driver named 'nosuch'") && missing.err().contains("Available drivers:")
                && missing.err().contains("files") && missing.err().contains("memory"), missing.err());
        assertTrue(missing.err().contains("java -cp diaspora-ctl.jar:"), "shell advice: " + missing.err());
        assertFalse(missing.err().contains("Add the artifact"), "no Maven advice in a shell: " + missing.err());
    }

    @Test
    void shouldTakeTheDriverFromTheEnvironmentAndGenerateCompletion() throws Exception {
        ChildCtl ctl = new ChildCtl(tmp);
        Path config = tmp.resolve("driver.json");
        Files.writeString(config, "{\"root_path\": \"" + tmp.resolve("env-root").toString().replace("\\", "/") + "\"}");
        java.util.Map<String, String> env = java.util.Map.of("DIASPORA_DRIVER", "files",
                "DIASPORA_DRIVER_CONFIG", config.toString());
        assertEquals(0, ctl.run(env, new byte[0], "topic", "create", "--name", "from-env").code());
        assertTrue(Files.isDirectory(tmp.resolve("env-root").resolve("from-env")), "the file's root_path was used");
        ChildCtl.Result list = ctl.run(env, new byte[0], "topic", "list");
        assertEquals(List.of("from-env"), list.lines());
        ChildCtl.Result none = ctl.run("topic", "list");
        assertEquals(2, none.code(), none.err());
        assertTrue(none.err().contains("DIASPORA_DRIVER"), none.err());

        ChildCtl.Result script = ctl.run("generate-completion");
        assertEquals(0, script.code(), script.err());
        assertTrue(script.out().contains("complete -F") && script.out().contains("ZSH_VERSION"), script.out());
        for (String sub : List.of("topic", "produce", "consume", "export", "bench")) {
            assertTrue(script.out().contains(sub), sub);
        }
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
