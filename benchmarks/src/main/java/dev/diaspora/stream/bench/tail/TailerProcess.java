package dev.diaspora.stream.bench.tail;

import dev.diaspora.stream.bench.jmh.BenchFlags;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A {@link TailerMain} child JVM, with its output lines. Both kinds of tailer get the same JVM flags (Chronicle's
 * included), so that neither JVM differs but for what it tails; {@code -Ddiaspora.files.inotify=false} given to the
 * parent is passed on (the files tailer then polls).
 *
 * <p>Thread safety: one owner thread; the output is read by a daemon thread into a queue.
 */
final class TailerProcess implements AutoCloseable {
    /** The files driver's switch for file change events, passed on to the tailer when set here. */
    static final String FILE_EVENTS = "diaspora.files.inotify";
    private final String system;
    private final Process process;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final StringBuilder seen = new StringBuilder(); // owner thread: what was taken, for error messages

    private TailerProcess(String system, Process process) {
        this.system = system;
        this.process = process;
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    lines.add(line);
                }
            } catch (IOException e) {
                // the child ended
            }
        }, "tailer-output");
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts a tailer of {@code system} on {@code dir} in a child JVM running {@code main}'s class. */
    static TailerProcess start(String system, Path dir, int warmup, String pauser, Class<?> main) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-Ddiaspora.jmx=false"));
        String events = System.getProperty(FILE_EVENTS);
        if (events != null) { // to compare the files driver's polling with its file change events
            cmd.add("-D" + FILE_EVENTS + "=" + events);
        }
        cmd.addAll(List.of(BenchFlags.CHRONICLE));
        if (Runtime.version().feature() >= 24) {
            cmd.addAll(List.of(BenchFlags.JDK24_PLUS));
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName(), TailerMain.FLAG, system,
                dir.toString(), Integer.toString(warmup), pauser));
        return new TailerProcess(system, new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT)
                .start());
    }

    /** Waits for a line starting with {@code prefix}; returns it. */
    String awaitLine(String prefix, long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (true) {
            String line = lines.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (line == null) {
                throw new IllegalStateException("the " + system + " tailer did not print " + prefix + " within "
                        + timeoutMillis + " ms (alive: " + process.isAlive() + "; printed: " + seen + ")");
            }
            seen.append(line).append('\n');
            if (line.startsWith(prefix)) {
                return line;
            }
        }
    }

    /** @return {n, p50, p99, p99.9, max} (microseconds) from the tailer's {@code RESULT} line */
    double[] result(long timeoutMillis) throws InterruptedException {
        String[] f = awaitLine("RESULT ", timeoutMillis).split(" ");
        double[] r = new double[5];
        for (int i = 0; i < r.length; i++) {
            r[i] = Double.parseDouble(f[i + 1]);
        }
        return r;
    }

    /** @return the CPU time the child has used so far (the operating system's count) */
    long cpuNanos() {
        return process.info().totalCpuDuration().orElseThrow(() -> new IllegalStateException("this platform does"
                + " not report the CPU time of a process")).toNanos();
    }

    @Override
    public void close() {
        try {
            process.getOutputStream().close(); // the child halts when its standard input closes
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (IOException | InterruptedException e) {
            process.destroyForcibly();
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
