package dev.diaspora.stream.netty;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A {@link ServerMain} in a child JVM (the test class path, a small heap): started on a root and port, killed with
 * SIGKILL, restarted on the same root and port. Its stderr goes to a file next to the root, for failure messages.
 */
final class ServerProcess implements AutoCloseable {
    private final Process process;
    private final Path log;
    private final int port;

    private ServerProcess(Process process, Path log, int port) {
        this.process = process;
        this.log = log;
        this.port = port;
    }

    /** Starts a server on {@code root} and {@code port} (0: any) and waits for its READY line (at most 60 s). */
    static ServerProcess start(Path root, int port) throws IOException, InterruptedException {
        Path log = root.resolveSibling(root.getFileName() + ".stderr");
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx128m",
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-Ddiaspora.jmx=false",
                "-cp", System.getProperty("java.class.path"), ServerMain.class.getName(), root.toString(),
                Integer.toString(port));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        CompletableFuture<String> ready = CompletableFuture.supplyAsync(() -> firstLine(p));
        String line;
        try {
            line = ready.get(60, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            line = null;
        }
        if (line == null || !line.startsWith("READY ")) {
            p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            throw new IllegalStateException("the server child did not start on port " + port + " (" + line + "): "
                    + java.nio.file.Files.readString(log));
        }
        return new ServerProcess(p, log, Integer.parseInt(line.substring(6).trim()));
    }

    private static String firstLine(Process p) {
        try {
            return new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine();
        } catch (IOException e) {
            return null;
        }
    }

    int port() {
        return port;
    }

    String address() {
        return "127.0.0.1:" + port;
    }

    /** Kills the server at once (SIGKILL, no shutdown hook runs) and waits until it is gone. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the server child on port " + port + " survived SIGKILL for 30 s");
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }

    @Override
    public String toString() {
        return "server child " + address() + " (stderr " + log + ")";
    }
}
