package dev.diaspora.stream.ctl;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.PartitionBounds;
import dev.diaspora.stream.TopicHandle;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Runs the shaded jar as a child process against the files driver in a temporary directory, and reads topics back
 * through the public API in the test JVM (the files driver is multi-process).
 */
final class ChildCtl {
    static final Path JAR = Path.of(System.getProperty("ctl.jar", "target/diaspora-ctl.jar")).toAbsolutePath();
    private static final List<String> JVM_ARGS = Arrays.stream(System.getProperty("ctl.jvm.args", "").trim()
            .split("\\s+")).filter(s -> !s.isEmpty()).toList();
    static final Duration TIMEOUT = Duration.ofSeconds(60);
    /** JVM options that use a class-data-sharing archive of the jar's classes (made once per test JVM), or none. */
    private static final List<String> CDS = classDataSharing();

    /** The outcome of one run. */
    record Result(int code, String out, String err) {
        List<String> lines() {
            return out.isEmpty() ? List.of() : Arrays.asList(out.split("\n"));
        }

        List<String> errLines() {
            return err.isEmpty() ? List.of() : Arrays.asList(err.split("\n"));
        }

        Result ok() {
            assertTrue(code == 0, () -> "exit " + code + ", stderr: " + err);
            return this;
        }
    }

    final Path dir;
    final Path root;

    ChildCtl(Path dir) {
        this.dir = dir;
        this.root = dir.resolve("root");
        assertTrue(Files.isRegularFile(JAR), "run 'mvn package' first: " + JAR + " is missing");
    }

    /** @return {@code --driver files --driver.root_path ROOT} */
    List<String> driver() {
        return List.of("--driver", "files", "--driver.root_path", root.toString());
    }

    /**
     * Child JVMs start faster (a third less CPU here) with an AppCDS archive of the tool's classes. It is made by one
     * run with {@code -XX:ArchiveClassesAtExit} after the jar exists, so it always matches the jar; JVM logging is
     * off so that a CDS warning can never add a line to a child's stderr.
     */
    private static List<String> classDataSharing() {
        try {
            Path jsa = JAR.resolveSibling("ctl-it-" + ProcessHandle.current().pid() + ".jsa");
            Path scratch = Files.createTempDirectory("ctl-cds");
            List<String> cmd = new ArrayList<>();
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.addAll(JVM_ARGS);
            cmd.addAll(List.of("-XX:ArchiveClassesAtExit=" + jsa, "-Xlog:disable", "-jar", JAR.toString(), "topic",
                    "list", "--driver", "files", "--driver.root_path", scratch.toString()));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0 && Files.size(jsa) > 0) {
                jsa.toFile().deleteOnExit();
                return List.of("-XX:SharedArchiveFile=" + jsa, "-Xlog:disable");
            }
            p.destroyForcibly();
        } catch (IOException | RuntimeException e) {
            // no archive: slower, same results
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return List.of();
    }

    static List<String> command(List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(JVM_ARGS);
        cmd.addAll(CDS);
        cmd.add("-jar");
        cmd.add(JAR.toString());
        cmd.addAll(args);
        return cmd;
    }

    /** Expands "@D" into the driver options. */
    List<String> expand(String... args) {
        List<String> out = new ArrayList<>();
        for (String a : args) {
            if (a.equals("@D")) {
                out.addAll(driver());
            } else {
                out.add(a);
            }
        }
        return out;
    }

    Result run(String... args) throws IOException, InterruptedException {
        return run(new byte[0], args);
    }

    Result runIn(String stdin, String... args) throws IOException, InterruptedException {
        return run(stdin.getBytes(StandardCharsets.UTF_8), args);
    }

    Result run(byte[] stdin, String... args) throws IOException, InterruptedException {
        return run(java.util.Map.of(), stdin, args);
    }

    /** Runs with {@code env} added to this process's environment. */
    Result run(java.util.Map<String, String> env, byte[] stdin, String... args)
            throws IOException, InterruptedException {
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        Path in = Files.createTempFile(dir, "in", ".txt");
        Files.write(in, stdin);
        ProcessBuilder pb = new ProcessBuilder(command(expand(args))).directory(dir.toFile()).redirectInput(in.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        if (!p.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            fail("diaspora-ctl " + String.join(" ", args) + " did not finish within " + TIMEOUT);
        }
        return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    /** A long-running child; its stdout and stderr go to files. */
    final class Daemon implements AutoCloseable {
        final Process process;
        final Path out;
        final Path err;

        Daemon(String... args) throws IOException {
            String id = UUID.randomUUID().toString().substring(0, 8);
            out = dir.resolve("daemon-" + id + ".out");
            err = dir.resolve("daemon-" + id + ".err");
            process = new ProcessBuilder(command(expand(args))).directory(dir.toFile())
                    .redirectInput(ProcessBuilder.Redirect.PIPE).redirectOutput(out.toFile())
                    .redirectError(err.toFile()).start();
        }

        String err() throws IOException {
            return Files.readString(err);
        }

        String out() throws IOException {
            return Files.readString(out);
        }

        /** Sends SIGTERM and returns the exit status, failing if it takes longer than {@code within}. */
        int terminate(Duration within) throws InterruptedException, IOException {
            process.destroy();
            if (!process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                fail("did not exit within " + within + " of SIGTERM; stderr: " + err());
            }
            return process.exitValue();
        }

        @Override
        public void close() {
            if (process.isAlive()) {
                process.destroyForcibly();
            }
        }
    }

    Daemon start(String... args) throws IOException {
        return new Daemon(args);
    }

    /** Waits until {@code condition} holds, failing after {@code timeout}. */
    static void await(Duration timeout, String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out after " + timeout + " waiting for " + what);
            }
            Thread.sleep(50);
        }
    }

    /** Opens the files driver on this fixture's root in the test JVM. */
    Driver openDriver() {
        return openDriver("files");
    }

    /** Opens driver {@code type} ({@code files}, {@code files-v0}) on this fixture's root in the test JVM. */
    Driver openDriver(String type) {
        return Driver.open(type, Metadata.of("{\"root_path\":" + EventJson.quote(root.toString()) + "}"));
    }

    /** @return the number of events stored in {@code topic} */
    long count(String topic) {
        return count("files", topic);
    }

    /** @return the number of events stored in {@code topic} of driver {@code type} on this fixture's root */
    long count(String type, String topic) {
        try (Driver d = openDriver(type); TopicHandle t = d.openTopic(topic)) {
            long n = 0;
            for (int p = 0; p < t.partitions().size(); p++) {
                n += t.bounds(p).count();
            }
            return n;
        }
    }

    /** One stored event, as read back. */
    record Stored(int partition, long id, String metadata, byte[] data, java.time.Instant timestamp) {
        String key() {
            return partition + ":" + id + ":" + metadata + ":" + Arrays.hashCode(data) + ":" + data.length;
        }
    }

    /** Reads every event of {@code topic} with a throwaway consumer name (acknowledging nothing). */
    List<Stored> readAll(String topic) {
        return readAll("files", topic);
    }

    /** Reads every event of {@code topic} of driver {@code type} on this fixture's root; see {@link #readAll}. */
    List<Stored> readAll(String type, String topic) {
        List<Stored> out = new ArrayList<>();
        try (Driver d = openDriver(type); TopicHandle t = d.openTopic(topic)) {
            int n = t.partitions().size();
            long total = 0;
            for (int p = 0; p < n; p++) {
                PartitionBounds b = t.bounds(p);
                total += b.count();
            }
            try (Consumer c = t.consumer(ConsumerOptions.named("it-read-" + UUID.randomUUID()))) {
                long deadline = System.nanoTime() + TIMEOUT.toNanos();
                while (out.size() < total && System.nanoTime() < deadline) {
                    Optional<Event> e = c.poll(Duration.ofMillis(200));
                    e.ifPresent(ev -> out.add(new Stored(ev.partition(), ev.id(), ev.metadata().toString(),
                            ev.data().toByteArray(), ev.timestamp())));
                }
            }
        }
        out.sort((a, b) -> a.partition != b.partition ? Integer.compare(a.partition, b.partition)
                : Long.compare(a.id, b.id));
        return out;
    }
}
