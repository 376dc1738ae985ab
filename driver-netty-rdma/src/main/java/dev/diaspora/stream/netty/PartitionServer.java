package dev.diaspora.stream.netty;

import dev.diaspora.stream.BackgroundErrorHandler;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.InvalidOptionException;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.files.FilesDriverProvider;
import dev.diaspora.stream.netty.protocol.Protocol;
import dev.diaspora.stream.spi.Backend;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A partition server of the {@code netty} driver: it stores the partitions it hosts with the files storage engine
 * under a root directory and serves them over the protocol of the module's PROTOCOL.md. Start one with
 * {@code diaspora-ctl server --port P --root-path DIR}, or embed it:
 *
 * <pre>{@code
 * try (PartitionServer server = PartitionServer.builder().rootPath(Path.of("/data/diaspora")).port(7400)
 *         .tokenFile(Path.of("/etc/diaspora/token")).start()) {
 *     server.awaitClose();
 * }
 * }</pre>
 *
 * <p>The server has a stable identity (a UUID stored in {@code root/server-id}): topics record which server holds
 * which partition by that identity, so clients may list servers in any order. Every frame is length-limited; a
 * frame that breaks the protocol closes that connection after an error frame, never the server.
 *
 * <p>Thread safety: thread-safe. {@link #close()} stops accepting, closes every connection and the storage.
 */
public final class PartitionServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PartitionServer.class);
    static final String ID_FILE = "server-id";
    static final String TOPICS_DIR = "topics";

    private final Path root;
    private final String serverId;
    private final byte[] token;
    private final int maxFrame;
    private final long maxPendingAppendBytes;
    private final long idleTimeoutMillis;
    private final ConnectionGuard.Admission admission;
    private final Refusals refusals = new Refusals();
    private final Backend storage;
    private final EventLoopGroup boss;
    private final EventLoopGroup io;
    private final ExecutorService workers;
    private final ServerGroups groups;
    private final AdminRequests admin = new AdminRequests(this);
    private final Channel listener;
    private final ServerTopics topics;
    private final Set<ServerConnection> connections = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;
    private final AtomicLong zeroCopyBytes = new AtomicLong();
    private final AtomicLong copiedBytes = new AtomicLong();
    private final BackgroundErrorHandler errors;

    private PartitionServer(Builder b) {
        this.root = b.rootPath.toAbsolutePath().normalize();
        this.errors = b.errors;
        this.token = b.token == null ? null : b.token.getBytes(StandardCharsets.UTF_8);
        this.maxFrame = b.maxFrameLength;
        this.maxPendingAppendBytes = b.maxPendingAppendBytes;
        this.idleTimeoutMillis = b.idleTimeout.toMillis();
        this.admission = new ConnectionGuard.Admission(b.maxConnections, b.maxConnectionsPerAddress);
        long handshakeMillis = b.handshakeTimeout.toMillis();
        String host = b.host != null ? b.host : token != null ? "0.0.0.0" : "127.0.0.1";
        try {
            Files.createDirectories(root);
            this.serverId = readOrCreateId(root.resolve(ID_FILE));
        } catch (IOException e) {
            throw new InvalidOptionException("Cannot use " + root + " as the server's root path: " + e
                    + ". Give a writable directory", e);
        }
        this.groups = new ServerGroups(serverId);
        FilesDriverProvider files = new FilesDriverProvider();
        this.storage = files.open(files.options().validate(
                Metadata.of("{\"root_path\":" + quote(root.resolve(TOPICS_DIR).toString()) + "}"), "server storage"));
        this.topics = new ServerTopics(storage, root, errors);
        Transport t = Transport.get();
        this.boss = t.group(1, "partition-server-accept");
        this.io = t.group(b.ioThreads, "partition-server-io");
        AtomicInteger n = new AtomicInteger();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(b.workerThreads, b.workerThreads, 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), r -> {
                    Thread th = new Thread(r, "partition-server-worker-" + n.incrementAndGet());
                    th.setDaemon(true);
                    return th;
                });
        pool.allowCoreThreadTimeOut(true);
        this.workers = pool;
        SslContext ssl = b.sslContext;
        try {
            ServerBootstrap sb = new ServerBootstrap().group(boss, io).channel(t.serverChannel())
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ServerInitializer(this, admission, handshakeMillis, ssl, connections));
            this.listener = sb.bind(new InetSocketAddress(host, b.port)).syncUninterruptibly().channel();
        } catch (RuntimeException e) {
            shutdownResources();
            throw new DiasporaException("Cannot listen on " + host + ":" + b.port + ": " + e
                    + ". Is the port in use? Give another port, or 0 for any free port", e);
        }
        LOG.info("partition server {} listening on {} ({}, root {}, tls {}, token {})", serverId, address(), t.name(),
                root, ssl != null, token != null);
    }

    private static String quote(String s) {
        return Protocol.jsonString(s);
    }

    private static String readOrCreateId(Path file) throws IOException {
        if (Files.exists(file)) {
            String id = Files.readString(file, StandardCharsets.UTF_8).trim();
            if (!id.matches("[0-9a-f-]{36}")) {
                throw new IOException(file + " does not hold a server id (a UUID): \"" + id + "\"");
            }
            return id;
        }
        String id = UUID.randomUUID().toString();
        Path tmp = file.resolveSibling(ID_FILE + ".tmp");
        Files.writeString(tmp, id + "\n", StandardCharsets.UTF_8);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        return id;
    }

    /** @return a builder; give at least {@link Builder#rootPath(Path)} */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the address the server listens on (with the actual port when 0 was asked) */
    public InetSocketAddress address() {
        return (InetSocketAddress) listener.localAddress();
    }

    /** @return the port the server listens on */
    public int port() {
        return address().getPort();
    }

    /** @return the server's stable identity, stored in its root directory */
    public String serverId() {
        return serverId;
    }

    /** @return the root directory */
    public Path rootPath() {
        return root;
    }

    /** Blocks until the server is closed (by {@link #close()} from another thread or a shutdown hook). */
    public void awaitClose() throws InterruptedException {
        listener.closeFuture().await();
        while (!closed) {
            Thread.sleep(10);
        }
    }

    // ------------------------------------------------------------------ for connections

    Backend storage() {
        return storage;
    }

    /** Closes every client connection, the server going on (for tests: a connection lost while both sides live). */
    void dropConnections() {
        for (ServerConnection c : connections) {
            c.channel().close();
        }
    }

    /** @return the connections open now (for tests) */
    int connectionCount() {
        return connections.size();
    }

    int maxFrame() {
        return maxFrame;
    }

    long maxPendingAppendBytes() {
        return maxPendingAppendBytes;
    }

    long idleTimeoutMillis() {
        return idleTimeoutMillis;
    }

    /** @return the rate-limited log of refused connections and handshakes */
    Refusals refusals() {
        return refusals;
    }

    ExecutorService workers() {
        return workers;
    }

    /** @return the consumer-group coordinator of the topics whose partition 0 this server holds */
    ServerGroups groups() {
        return groups;
    }

    /** @return the topic administration requests (create, list, delete, alter, add partitions) */
    AdminRequests admin() {
        return admin;
    }

    /** Counts data bytes sent by READ_DATA: zero-copy (whole blocks from the file) or read and copied. */
    void countData(long zeroCopy, long copied) {
        zeroCopyBytes.addAndGet(zeroCopy);
        copiedBytes.addAndGet(copied);
    }

    /** @return data bytes sent zero-copy so far (for tests and benchmarks) */
    long zeroCopyBytes() {
        return zeroCopyBytes.get();
    }

    /** @return data bytes sent from buffers (read, checked, then written) so far */
    long copiedBytes() {
        return copiedBytes.get();
    }

    /** @return true if {@code given} is the server's token (or the server needs none); constant time */
    boolean tokenMatches(byte[] given) {
        return token == null || java.security.MessageDigest.isEqual(token, given);
    }

    /** @return the open topics (shared by connections, reference-counted) and their producer state */
    ServerTopics topics() {
        return topics;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        listener.close().syncUninterruptibly();
        for (ServerConnection c : connections) {
            c.channel().close();
        }
        shutdownResources();
        closed = true;
        LOG.info("partition server {} closed", serverId);
    }

    private void shutdownResources() {
        Transport.shutdown(boss);
        Transport.shutdown(io);
        workers.shutdown();
        try {
            workers.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        topics.closeAll();
        storage.close();
    }

    /**
     * Options of a {@link PartitionServer}.
     *
     * <p>Thread safety: not thread-safe; build on one thread.
     */
    public static final class Builder {
        private Path rootPath;
        private String host; // null: loopback, or every interface when a token is set
        private int port = 7400;
        private String token;
        private SslContext sslContext;
        private int maxFrameLength = Protocol.DEFAULT_MAX_FRAME;
        private long maxPendingAppendBytes = 256L << 20;
        private int ioThreads = Math.max(1, Runtime.getRuntime().availableProcessors());
        private int workerThreads = Math.max(2, Runtime.getRuntime().availableProcessors());
        private Duration handshakeTimeout = Duration.ofSeconds(10);
        private Duration idleTimeout = Duration.ofMinutes(5);
        private int maxConnections = 4096;
        private int maxConnectionsPerAddress = 1024;
        private BackgroundErrorHandler errors = BackgroundErrorHandler.logging();

        private Builder() {
        }

        /**
         * The handler of failures on the server's own threads that no request carries (a topic's notifier thread, the
         * producer state of a deleted topic that cannot be removed); default {@link BackgroundErrorHandler#logging()}.
         * It must be thread-safe and must not block; an exception it throws is logged and ignored.
         */
        public Builder onBackgroundError(BackgroundErrorHandler handler) {
            this.errors = BackgroundErrorHandler.guarded(Objects.requireNonNull(handler, "handler"));
            return this;
        }

        /** The directory that holds the server's identity and its partitions (created if missing). Required. */
        public Builder rootPath(Path rootPath) {
            this.rootPath = Objects.requireNonNull(rootPath, "rootPath");
            return this;
        }

        /**
         * The address to listen on. By default the server listens on loopback only ({@code 127.0.0.1}) unless a
         * token is set, then on every interface ({@code 0.0.0.0}): a server without a token is not reachable from
         * other machines unless an address is given.
         */
        public Builder host(String host) {
            this.host = Objects.requireNonNull(host, "host");
            return this;
        }

        /** The port to listen on; default 7400, 0 for any free port (see {@link PartitionServer#port()}). */
        public Builder port(int port) {
            if (port < 0 || port > 65_535) {
                throw new InvalidOptionException("Invalid port " + port + ": give 0..65535");
            }
            this.port = port;
            return this;
        }

        /** The token clients must present (driver option {@code token}); none by default. */
        public Builder token(String token) {
            if (token != null && token.isEmpty()) {
                throw new InvalidOptionException("Invalid empty token: give a non-empty secret, or none");
            }
            if (token != null && token.getBytes(StandardCharsets.UTF_8).length > Protocol.MAX_TOKEN) {
                throw new InvalidOptionException("Invalid token of " + token.getBytes(StandardCharsets.UTF_8).length
                        + " bytes: give at most " + Protocol.MAX_TOKEN + " bytes (UTF-8)");
            }
            this.token = token;
            return this;
        }

        /** Reads the token from the first line of a file (keep it readable by the server's user only). */
        public Builder tokenFile(Path file) {
            try {
                String t = Files.readString(file, StandardCharsets.UTF_8).lines().findFirst().orElse("").trim();
                if (t.isEmpty()) {
                    throw new InvalidOptionException("The token file " + file + " is empty: write the token on its"
                            + " first line");
                }
                return token(t);
            } catch (IOException e) {
                throw new InvalidOptionException("Cannot read the token file " + file + ": " + e, e);
            }
        }

        /** Serves TLS with this certificate chain and private key (PEM files; the key in PKCS#8). */
        public Builder tls(Path certificateChain, Path privateKey) {
            try {
                this.sslContext = SslContextBuilder.forServer(certificateChain.toFile(), privateKey.toFile()).build();
            } catch (IOException | IllegalArgumentException e) {
                throw new InvalidOptionException("Cannot load the TLS certificate " + certificateChain + " and key "
                        + privateKey + ": " + e + ". Give PEM files, the key unencrypted PKCS#8", e);
            }
            return this;
        }

        /** Serves TLS with a ready context (for tests and embedding). */
        public Builder tls(SslContext context) {
            this.sslContext = context;
            return this;
        }

        /** The longest frame accepted, in bytes; default 256 MiB. Longer frames close the connection. */
        public Builder maxFrameLength(int bytes) {
            if (bytes < Protocol.MIN_MAX_FRAME) {
                throw new InvalidOptionException("Invalid max frame length " + bytes + ": give at least "
                        + Protocol.MIN_MAX_FRAME);
            }
            this.maxFrameLength = bytes;
            return this;
        }

        /**
         * Bytes of appends a connection may have waiting for storage before the server stops reading from it (the
         * TCP window then pushes back to the producer); default 256 MiB.
         */
        public Builder maxPendingAppendBytes(long bytes) {
            this.maxPendingAppendBytes = Math.max(1 << 20, bytes);
            return this;
        }

        /** Event-loop threads; default the number of cores. */
        public Builder ioThreads(int n) {
            this.ioThreads = Math.max(1, n);
            return this;
        }

        /** Threads for storage calls (reads, admin, positions); default max(2, cores). */
        public Builder workerThreads(int n) {
            this.workerThreads = Math.max(1, n);
            return this;
        }

        /**
         * How long a new connection has to complete its handshake (HELLO with the right token) before the server
         * closes it; default 10 s. At least 1 ms.
         */
        public Builder handshakeTimeout(Duration timeout) {
            this.handshakeTimeout = positive(timeout, "handshake timeout");
            return this;
        }

        /**
         * How long a connection that holds nothing (no open topic, lease, appender or group member) may stay silent
         * before the server closes it; default 5 minutes; {@link Duration#ZERO} never closes one. A connection that
         * holds something is never closed for silence: a consumer waiting at the end of a partition sends nothing.
         */
        public Builder idleTimeout(Duration timeout) {
            if (timeout.isNegative()) {
                throw new InvalidOptionException("Invalid idle timeout " + timeout + ": give zero (never) or more");
            }
            this.idleTimeout = timeout;
            return this;
        }

        /** The most connections served at once; default 4096. Further connections are refused with an error. */
        public Builder maxConnections(int n) {
            this.maxConnections = atLeastOne(n, "max connections");
            return this;
        }

        /**
         * The most connections served at once from one client address; default 1024. Further connections from that
         * address are refused with an error, those of other addresses go on.
         */
        public Builder maxConnectionsPerAddress(int n) {
            this.maxConnectionsPerAddress = atLeastOne(n, "max connections per address");
            return this;
        }

        private static Duration positive(Duration d, String what) {
            if (d.toMillis() < 1) {
                throw new InvalidOptionException("Invalid " + what + " " + d + ": give at least 1 ms");
            }
            return d;
        }

        private static int atLeastOne(int n, String what) {
            if (n < 1) {
                throw new InvalidOptionException("Invalid " + what + " " + n + ": give at least 1");
            }
            return n;
        }

        /** @return a started server */
        public PartitionServer start() {
            if (rootPath == null) {
                throw new InvalidOptionException("A partition server needs a root path: call rootPath(dir)");
            }
            return new PartitionServer(this);
        }
    }
}
