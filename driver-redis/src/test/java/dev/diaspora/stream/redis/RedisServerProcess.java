package dev.diaspora.stream.redis;

import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.tck.ExternalServers;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A private {@code redis-server} on a free loopback port, for tests that kill and restart the server or need a
 * server configured in a way the shared one must not be (a password). Persistence: AOF with fsync on every write, in
 * the test's directory, so that what the server acknowledged survives a SIGKILL.
 *
 * <p>Ownership: the test closes it (killing the server). Thread safety: not thread-safe.
 */
final class RedisServerProcess implements AutoCloseable {
    private final Path dir;
    private final int port;
    private final List<String> extra;
    private Process process;
    private RedisClient inspectorClient;
    private StatefulRedisConnection<String, String> inspector;

    private RedisServerProcess(Path dir, int port, List<String> extra) {
        this.dir = dir;
        this.port = port;
        this.extra = extra;
    }

    /**
     * Starts a server (skips, or fails with -Ddiaspora.requireServers=true, if redis-server is not installed).
     *
     * @param extraArgs more server arguments; {@code {port}} in them is replaced by the server's port
     */
    static RedisServerProcess start(Path dir, String... extraArgs) throws Exception {
        ExternalServers.assumeAvailable("redis-server", binary() != null,
                "no redis-server binary on the PATH; install Redis (e.g. apt-get install redis-server)");
        RedisServerProcess s = new RedisServerProcess(dir, freePort(), List.of(extraArgs));
        s.startProcess();
        return s;
    }

    private static String binary() {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            if (Files.isExecutable(Path.of(d, "redis-server"))) {
                return Path.of(d, "redis-server").toString();
            }
        }
        return null;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    int port() {
        return port;
    }

    String uri() {
        return "redis://127.0.0.1:" + port;
    }

    /**
     * Opens a redis driver on this server.
     *
     * @param options more driver options, as JSON members without braces ({@code "command_timeout_ms":1000}), or ""
     */
    Driver openDriver(String options) {
        return Driver.open("redis", Metadata.of("{\"uri\":\"" + uri() + "\"" + (options.isEmpty() ? "" : "," + options)
                + "}"));
    }

    /**
     * Reads a number of the server's {@code INFO stats} (e.g. {@code total_connections_received}) on a connection of
     * the test's own, opened at the first call and kept until {@link #close}, so that calls open no connection.
     */
    long stat(String field) {
        if (inspector == null) {
            inspectorClient = RedisClient.create(uri());
            inspector = inspectorClient.connect();
        }
        String stats = inspector.sync().info("stats");
        for (String line : stats.split("\r?\n")) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
            }
        }
        throw new IllegalStateException("no " + field + " in INFO stats: " + stats);
    }

    private void startProcess() throws Exception {
        List<String> cmd = new ArrayList<>(List.of(binary(), "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--dir", dir.toString(), "--appendonly", "yes", "--appendfsync", "always", "--save", "",
                "--daemonize", "no", "--logfile", dir.resolve("redis.log").toString()));
        for (String a : extra) {
            cmd.add(a.replace("{port}", Integer.toString(port))); // e.g. "--port 0 --tls-port {port}" for TLS only
        }
        process = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(dir.resolve("redis.out").toFile()).start();
        awaitListening(process, port, dir.resolve("redis.out"));
    }

    /**
     * Waits up to ten seconds until a just started {@code redis-server} accepts connections on {@code port}.
     *
     * @param out where the server's output goes, quoted when it does not start
     */
    static void awaitListening(Process process, int port, Path out) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException e) {
                if (!process.isAlive() || System.nanoTime() - deadline > 0) {
                    throw new IllegalStateException("redis-server did not start on port " + port + ": "
                            + Files.readString(out), e);
                }
                Thread.sleep(50);
            }
        }
    }

    /** Kills the server with SIGKILL (no shutdown save) and waits for it to end. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** Starts the server again on the same port and directory (it reloads its append-only file). */
    void restart() throws Exception {
        startProcess();
    }

    @Override
    public void close() throws InterruptedException {
        if (inspectorClient != null) {
            inspectorClient.shutdown();
            inspectorClient = null;
            inspector = null;
        }
        if (process != null && process.isAlive()) {
            kill();
        }
    }
}
