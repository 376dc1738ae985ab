package dev.diaspora.stream.files;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Small real file systems for tests: a tmpfs of a given size mounted on a test directory, optionally read-only.
 * Needs the right to mount (root with CAP_SYS_ADMIN, as in CI); without it the test is skipped with the reason.
 */
final class Tmpfs {
    private Tmpfs() {
    }

    /** Mounts a tmpfs of {@code size} (as mount(8) writes it: 2m) on {@code dir}, or skips the test. */
    static void assumeMounted(Path dir, String size) {
        mount(dir, "size=" + size);
    }

    /** Mounts a read-only tmpfs on {@code dir}, or skips the test. */
    static void assumeMountedReadOnly(Path dir) {
        mount(dir, "size=1m,ro");
    }

    private static void mount(Path dir, String options) {
        String out = run("mount", "-t", "tmpfs", "-o", options, "tmpfs", dir.toString());
        Assumptions.assumeTrue(out == null, () -> "skipped: cannot mount a tmpfs on " + dir + " (needs root with"
                + " CAP_SYS_ADMIN, as in CI): " + out);
    }

    /** Remounts the tmpfs on {@code dir} with {@code options} ("ro" or "rw"); fails the test if it cannot. */
    static void remount(Path dir, String options) {
        String out = run("mount", "-o", "remount," + options, dir.toString());
        if (out != null) {
            throw new AssertionError("cannot remount " + dir + " " + options + ": " + out);
        }
    }

    /** Unmounts {@code dir} (lazily, so that a file a failed test left open does not keep it). */
    static void unmount(Path dir) {
        String out = run("umount", "-l", dir.toString());
        if (out != null) {
            System.err.println("could not unmount " + dir + ": " + out);
        }
    }

    /** @return null if the command succeeded, else what it printed and its exit status */
    private static String run(String... command) {
        List<String> cmd = new ArrayList<>(List.of(command));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return String.join(" ", cmd) + " did not finish in 20 s";
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return p.exitValue() == 0 ? null : String.join(" ", cmd) + " exited with " + p.exitValue() + ": " + out;
        } catch (IOException e) {
            return String.join(" ", cmd) + ": " + e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }
}
