package dev.diaspora.stream.rabbitmq;

import dev.diaspora.stream.tck.ExternalServers;
import dev.diaspora.stream.tck.TestCertificate;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A RabbitMQ node of the test's own, started with the machine's {@code rabbitmq-server} next to the shared one: its
 * stream plugin listens with TLS (a fresh self-signed certificate for 127.0.0.1) and without, both on loopback only,
 * on free ports; its state lives in a temporary directory deleted at {@link #close()}. The shared server is never
 * reconfigured. Starting takes 10-60 s.
 *
 * <p>Thread safety: not thread-safe; one per test class.
 */
final class PrivateTlsNode implements AutoCloseable {
    private static final long START_SECONDS = 120;

    final Path dir;
    final TestCertificate certificate;
    final int tlsPort;
    final int plainPort;
    private final String node;

    private PrivateTlsNode(Path dir, TestCertificate certificate, int tlsPort, int plainPort, String node) {
        this.dir = dir;
        this.certificate = certificate;
        this.tlsPort = tlsPort;
        this.plainPort = plainPort;
        this.node = node;
    }

    /**
     * Starts the node, or skips the test (fails under {@code -Ddiaspora.requireServers=true}) when this machine has no
     * {@code rabbitmq-server}.
     */
    static PrivateTlsNode start() throws Exception {
        ExternalServers.assumeAvailable("rabbitmq-server", onPath("rabbitmq-server") && onPath("rabbitmqctl"),
                "the rabbitmq-server and rabbitmqctl programs are not on the PATH (install RabbitMQ)");
        // the node runs as the rabbitmq user: its directory and the certificate must be readable by it
        Path dir = Files.createTempDirectory("diaspora-rabbit-tls-");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        TestCertificate cert = TestCertificate.generate(dir.resolve("cert"));
        for (Path p : List.of(dir.resolve("cert"), cert.certificate(), cert.privateKey())) {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwxr-xr-x"
                    : "rw-r--r--"));
        }
        int tls = freePort();
        int plain = freePort();
        int dist = freePort();
        Files.writeString(dir.resolve("rabbitmq.conf"), String.join("\n",
                "listeners.tcp = none",
                "stream.listeners.tcp.1 = 127.0.0.1:" + plain,
                "stream.listeners.ssl.1 = 127.0.0.1:" + tls,
                "stream.advertised_host = 127.0.0.1",
                "ssl_options.certfile = " + cert.certificate(),
                "ssl_options.keyfile = " + cert.privateKey(),
                "ssl_options.verify = verify_none",
                "ssl_options.fail_if_no_peer_cert = false", ""));
        Files.writeString(dir.resolve("enabled_plugins"), "[rabbitmq_stream].\n");
        String node = "diaspora-tls-" + ProcessHandle.current().pid() + "@localhost";
        PrivateTlsNode n = new PrivateTlsNode(dir, cert, tls, plain, node);
        ProcessBuilder pb = new ProcessBuilder("rabbitmq-server", "-detached").redirectErrorStream(true)
                .redirectOutput(dir.resolve("start.log").toFile());
        Map<String, String> env = pb.environment();
        env.put("RABBITMQ_NODENAME", node);
        env.put("RABBITMQ_DIST_PORT", Integer.toString(dist));
        env.put("RABBITMQ_CONFIG_FILE", dir.resolve("rabbitmq.conf").toString());
        env.put("RABBITMQ_MNESIA_BASE", dir.resolve("mnesia").toString());
        env.put("RABBITMQ_LOG_BASE", dir.resolve("log").toString());
        env.put("RABBITMQ_ENABLED_PLUGINS_FILE", dir.resolve("enabled_plugins").toString());
        env.put("RABBITMQ_PID_FILE", dir.resolve("node.pid").toString());
        try {
            Process p = pb.start();
            if (!p.waitFor(START_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(START_SECONDS);
            while (!(listening(tls) && listening(plain))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the private RabbitMQ node " + node + " did not open its stream"
                            + " ports " + tls + " (TLS) and " + plain + " within " + START_SECONDS + " s; its logs: "
                            + dir.resolve("log") + ", " + dir.resolve("start.log") + ": " + log(n));
                }
                Thread.sleep(250);
            }
            return n;
        } catch (Exception | Error e) {
            n.close();
            throw e;
        }
    }

    private static String log(PrivateTlsNode n) {
        try (Stream<Path> files = Files.walk(n.dir.resolve("log"))) {
            StringBuilder b = new StringBuilder();
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                String s = Files.readString(f, StandardCharsets.UTF_8);
                b.append(s, Math.max(0, s.length() - 2_000), s.length());
            }
            return b.toString();
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    private static boolean onPath(String program) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(d, program))) {
                return true;
            }
        }
        return false;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Driver options for this node's TLS port, trusting its certificate. */
    String tlsOptions() {
        return "{\"host\":\"127.0.0.1\",\"port\":" + tlsPort + ",\"tls\":true,\"tls_trust\":\""
                + certificate.certificate() + "\",\"timeout_ms\":5000}";
    }

    /** Stops the node (rabbitmqctl stop, then its process killed if it is still there) and deletes its directory. */
    @Override
    public void close() {
        try {
            Process stop = new ProcessBuilder("rabbitmqctl", "-n", node, "stop").redirectErrorStream(true)
                    .redirectOutput(dir.resolve("stop.log").toFile()).start();
            boolean stopped = stop.waitFor(60, TimeUnit.SECONDS) && stop.exitValue() == 0;
            if (!stopped) {
                stop.destroyForcibly();
            }
            Path pid = dir.resolve("node.pid");
            if (!stopped && Files.exists(pid)) {
                ProcessHandle.of(Long.parseLong(Files.readString(pid).strip())).ifPresent(ProcessHandle::destroyForcibly);
            }
        } catch (IOException | NumberFormatException e) {
            // the directory goes anyway; a left node dies with the machine's next restart
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete the private RabbitMQ node's directory " + dir, e);
        }
    }
}
