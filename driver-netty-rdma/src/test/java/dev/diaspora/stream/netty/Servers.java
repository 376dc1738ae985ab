package dev.diaspora.stream.netty;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

/** Partition servers on loopback for tests, each with its own root under a base directory. */
final class Servers implements AutoCloseable {
    private final List<PartitionServer> list;

    private Servers(List<PartitionServer> list) {
        this.list = list;
    }

    static Servers start(Path base, int n) {
        return start(base, n, UnaryOperator.identity());
    }

    /** Starts {@code n} servers, each builder passed through {@code config} (token, TLS, limits) first. */
    static Servers start(Path base, int n, UnaryOperator<PartitionServer.Builder> config) {
        List<PartitionServer> l = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            l.add(config.apply(PartitionServer.builder().host("127.0.0.1").port(0)
                    .rootPath(base.resolve("server-" + i)).ioThreads(1).workerThreads(2)).start());
        }
        return new Servers(l);
    }

    List<PartitionServer> list() {
        return list;
    }

    String serversJson() {
        return list.stream().map(s -> "\"127.0.0.1:" + s.port() + "\"").collect(Collectors.joining(",", "[", "]"));
    }

    Metadata driverOptions() {
        return driverOptions("");
    }

    /** @param more further options as JSON members, e.g. {@code "\"token\":\"s3cret\""}, or "" */
    Metadata driverOptions(String more) {
        return Metadata.of("{\"servers\":" + serversJson() + (more.isEmpty() ? "" : "," + more) + "}");
    }

    /**
     * Opens a driver on these servers with {@code more} options (request timeout 20 s unless given) and expects it to
     * fail fast: within 10 s, with a {@link DiasporaException} that names the first server.
     */
    DiasporaException assertOpenFailsFast(String more) {
        String timeout = more.contains("request_timeout_ms") ? "" : "\"request_timeout_ms\":20000";
        Metadata options = driverOptions(more.isEmpty() || timeout.isEmpty() ? more + timeout : more + "," + timeout);
        long start = System.nanoTime();
        DiasporaException e = assertThrows(DiasporaException.class, () -> Driver.open("netty", options).close());
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertTrue(ms < 10_000, "failed after " + ms + " ms, well before the request timeout: " + e);
        assertTrue(e.getMessage().contains("127.0.0.1:" + first().port()), "names the server: " + e.getMessage());
        return e;
    }

    PartitionServer first() {
        return list.get(0);
    }

    @Override
    public void close() {
        for (PartitionServer s : list) {
            s.close();
        }
    }
}
