package dev.diaspora.stream.redis;

import dev.diaspora.stream.tck.ExternalServers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A private Redis Cluster for a test: {@code masters} {@code redis-server} processes in cluster mode (each with
 * {@code replicasPerMaster} replicas) on free loopback ports, in a directory of the test, made a cluster with
 * {@code redis-cli --cluster create}. Nothing is persisted ({@code --save "" --appendonly no}); a replica has what its
 * master replicated to it. Every process is killed by {@link #close()}, also when starting fails half-way, and by a
 * shutdown hook if the JVM ends first.
 *
 * <p>Ownership: the test closes it. Thread safety: not thread-safe.
 */
final class RedisClusterProcess implements AutoCloseable {
    /** How long a master may be unreachable before its replica takes over (Redis' cluster-node-timeout). */
    static final int NODE_TIMEOUT_MS = 2000;

    private final Path dir;
    private final List<Integer> ports = new ArrayList<>();
    private final List<Process> processes = new ArrayList<>();
    private final Thread hook = new Thread(this::killAll, "redis-cluster-cleanup");

    private RedisClusterProcess(Path dir) {
        this.dir = dir;
    }

    /**
     * Starts the cluster and waits until every node reports {@code cluster_state:ok} (skips, or fails with
     * -Ddiaspora.requireServers=true, when redis-server or redis-cli is not installed).
     */
    static RedisClusterProcess start(Path dir, int masters, int replicasPerMaster) throws Exception {
        ExternalServers.assumeAvailable("redis-server and redis-cli", binary("redis-server") != null
                && binary("redis-cli") != null, "install Redis (e.g. apt-get install redis-server)");
        RedisClusterProcess c = new RedisClusterProcess(dir);
        Runtime.getRuntime().addShutdownHook(c.hook);
        try {
            int n = masters * (1 + replicasPerMaster);
            for (int i = 0; i < n; i++) {
                c.startNode();
            }
            List<String> cmd = new ArrayList<>(List.of(binary("redis-cli"), "--cluster", "create"));
            for (int port : c.ports) {
                cmd.add("127.0.0.1:" + port);
            }
            cmd.addAll(List.of("--cluster-replicas", Integer.toString(replicasPerMaster), "--cluster-yes"));
            Process create = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("create.out").toFile()).start();
            if (!create.waitFor(60, TimeUnit.SECONDS) || create.exitValue() != 0) {
                create.destroyForcibly();
                throw new IllegalStateException("redis-cli --cluster create failed: "
                        + Files.readString(dir.resolve("create.out")));
            }
            c.awaitState(60);
            return c;
        } catch (Exception | Error e) {
            c.close();
            throw e;
        }
    }

    private static String binary(String name) {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            if (Files.isExecutable(Path.of(d, name))) {
                return Path.of(d, name).toString();
            }
        }
        return null;
    }

    private void startNode() throws Exception {
        int port = RedisServerProcess.freePort();
        int bus = RedisServerProcess.freePort();
        Path d = Files.createDirectories(dir.resolve("node-" + port));
        List<String> cmd = List.of(binary("redis-server"), "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--cluster-enabled", "yes", "--cluster-port", Integer.toString(bus), "--cluster-config-file",
                d.resolve("nodes.conf").toString(), "--cluster-node-timeout", Integer.toString(NODE_TIMEOUT_MS),
                "--dir", d.toString(), "--save", "", "--appendonly", "no", "--daemonize", "no",
                "--logfile", d.resolve("redis.log").toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(d.resolve("redis.out").toFile())
                .start();
        processes.add(p);
        ports.add(port);
        RedisServerProcess.awaitListening(p, port, d.resolve("redis.out"));
    }

    /** Waits until every live node says {@code cluster_state:ok} and agrees on who serves the slots. */
    void awaitState(int seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        String last = "";
        while (System.nanoTime() - deadline < 0) {
            boolean ok = true;
            for (int i = 0; i < ports.size() && ok; i++) {
                if (!processes.get(i).isAlive()) {
                    continue;
                }
                last = cli(ports.get(i), "cluster", "info");
                ok = last.contains("cluster_state:ok");
            }
            if (ok) {
                return;
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("the private Redis Cluster in " + dir + " did not reach cluster_state:ok"
                + " within " + seconds + " s: " + last);
    }

    /** @return what {@code redis-cli -p port args...} prints */
    String cli(int port, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(binary("redis-cli"), "-h", "127.0.0.1", "-p",
                Integer.toString(port)));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        p.waitFor(10, TimeUnit.SECONDS);
        return new String(out, StandardCharsets.UTF_8);
    }

    /** @return the driver's {@code uri} option for this cluster: every node, comma-separated */
    String uri() {
        StringBuilder s = new StringBuilder("redis://");
        for (int i = 0; i < ports.size(); i++) {
            s.append(i == 0 ? "" : ",").append("127.0.0.1:").append(ports.get(i));
        }
        return s.toString();
    }

    /** @return the ports of every node, in start order */
    List<Integer> ports() {
        return List.copyOf(ports);
    }

    /** @return whether the node on {@code port} is a master now (asks it) */
    boolean isMaster(int port) throws Exception {
        return cli(port, "role").startsWith("master");
    }

    /** Kills the node on {@code port} with SIGKILL and waits for it to end. */
    void kill(int port) throws InterruptedException {
        Process p = processes.get(ports.indexOf(port));
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
    }

    private void killAll() {
        for (Process p : processes) {
            p.destroyForcibly();
        }
        for (Process p : processes) {
            try {
                p.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    @Override
    public void close() {
        killAll();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: the hook runs anyway
        }
    }
}
