package dev.diaspora.stream.files;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A child JVM running a main class of the test class path, with its stdout lines collected. */
final class ChildProcess implements AutoCloseable {
    private final Process process;
    private final List<String> lines = new ArrayList<>(); // guarded by itself
    private final StringBuilder errors = new StringBuilder(); // guarded by itself
    private final Thread out;
    private final Thread err;

    private ChildProcess(Process process) {
        this.process = process;
        this.out = new Thread(() -> read(true), "child-stdout");
        this.err = new Thread(() -> read(false), "child-stderr");
        out.setDaemon(true);
        err.setDaemon(true);
        out.start();
        err.start();
    }

    /** Starts {@code main} with {@code args} in a new JVM. */
    static ChildProcess start(Class<?> main, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx256m");
        cmd.add("-XX:+UseSerialGC");
        cmd.add("-XX:TieredStopAtLevel=1");
        cmd.add("-Xshare:auto");
        cmd.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
        cmd.add("-Ddiaspora.jmx=false"); // no MBean server start-up in a child that only stores or reads
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(main.getName());
        cmd.addAll(List.of(args));
        return new ChildProcess(new ProcessBuilder(cmd).start());
    }

    private void read(boolean stdout) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(
                stdout ? process.getInputStream() : process.getErrorStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (stdout) {
                    synchronized (lines) {
                        lines.add(line);
                        lines.notifyAll();
                    }
                } else {
                    synchronized (errors) {
                        if (errors.length() < 20_000) {
                            errors.append(line).append('\n');
                        }
                    }
                }
            }
        } catch (IOException e) {
            // the child died: its pipes close
        }
    }

    /** Waits until a line equal to {@code wanted} appears; false on timeout or if the child ended without it. */
    boolean awaitLine(String wanted, long timeoutMillis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        synchronized (lines) {
            while (!lines.contains(wanted)) {
                long left = deadline - System.currentTimeMillis();
                if (left <= 0 || (!process.isAlive() && !out.isAlive())) {
                    return lines.contains(wanted);
                }
                lines.wait(Math.min(left, 50));
            }
            return true;
        }
    }

    /** Kills the child at once (SIGKILL) and waits for it and its output. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
        out.join(10_000);
        err.join(10_000);
    }

    /** Waits for a normal exit; returns the exit code, or -1 on timeout (the child is then killed). */
    int waitFor(long timeoutMillis) throws InterruptedException {
        if (!process.waitFor(timeoutMillis, TimeUnit.MILLISECONDS)) {
            kill();
            return -1;
        }
        out.join(10_000);
        err.join(10_000);
        return process.exitValue();
    }

    /** @return a copy of the stdout lines so far */
    List<String> lines() {
        synchronized (lines) {
            return new ArrayList<>(lines);
        }
    }

    /** @return what the child wrote to stderr (truncated) */
    String errors() {
        synchronized (errors) {
            return errors.toString();
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
