package dev.diaspora.stream.redis;

import dev.diaspora.stream.InvalidOptionException;
import dev.diaspora.stream.spi.OptionSchema;
import dev.diaspora.stream.spi.OptionSpec;
import dev.diaspora.stream.spi.Options;
import io.lettuce.core.RedisURI;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The driver options of the {@code redis} driver, validated, and the Lettuce {@link RedisURI} they make. The password
 * or token (from the URI, {@code password_file} or {@code password_env}) lives only in the {@link RedisURI}; nothing
 * here prints it: {@link #address()} is what messages name.
 *
 * <p>Thread safety: immutable.
 */
final class RedisConfig {
    static final String URI = "uri";
    static final String USERNAME = "username";
    static final String PASSWORD_FILE = "password_file";
    static final String PASSWORD_ENV = "password_env";
    static final String KEY_PREFIX = "key_prefix";
    static final String CONNECT_TIMEOUT_MS = "connect_timeout_ms";
    static final String COMMAND_TIMEOUT_MS = "command_timeout_ms";
    static final String CHUNK_SIZE = "chunk_size";
    static final String LEASE_MS = "lease_ms";
    static final String TLS_VERIFY = "tls_verify";
    static final String TLS_CA_FILE = "tls_ca_file";
    static final String CLUSTER = "cluster";
    static final String SLOTS = "slots";
    /** {@link #SLOTS}: every key of a topic in one slot (its name as the hash tag) */
    static final String SLOTS_TOPIC = "topic";
    /** {@link #SLOTS}: each partition's stream, data and state in a slot of its own */
    static final String SLOTS_PARTITION = "partition";

    /** The largest event (metadata plus data), also the driver's declared {@code maxEventSize}. */
    static final long MAX_EVENT_SIZE = 64L << 20;

    static final OptionSchema SCHEMA = OptionSchema.of(
            OptionSpec.string(URI).defaultValue("redis://127.0.0.1:6379").doc("The server: redis://[user[:password]@]"
                    + "host[:port][/database], rediss://... for TLS, redis-sentinel://host:port[,host:port]/"
                    + "database#master for Sentinel; with cluster true, one or more nodes of the cluster separated"
                    + " by commas (redis://host:port,host:port)."),
            OptionSpec.bool(CLUSTER).defaultValue(false).doc("The uri names nodes of a Redis Cluster: the driver"
                    + " learns the cluster's topology from them, follows MOVED and ASK redirections and refreshes"
                    + " the topology when it changes (a failover)."),
            OptionSpec.string(SLOTS).defaultValue(SLOTS_TOPIC).oneOf(SLOTS_TOPIC, SLOTS_PARTITION).doc("Where the"
                    + " keys of the topics this driver creates live on a cluster: 'topic' puts all of a topic's"
                    + " keys in one slot (one node serves the topic), 'partition' gives each partition's keys a"
                    + " slot of their own, so that a topic's partitions spread over the cluster's nodes. Stored"
                    + " with each topic: every process uses the layout the topic was created with."),
            OptionSpec.string(USERNAME).doc("ACL user name (with password_file or password_env; or put it in the"
                    + " URI)."),
            OptionSpec.string(PASSWORD_FILE).doc("A file whose content (trailing newline removed) is the password or"
                    + " token. Never logged."),
            OptionSpec.string(PASSWORD_ENV).doc("An environment variable holding the password or token. Never"
                    + " logged."),
            OptionSpec.string(KEY_PREFIX).defaultValue("diaspora").doc("Prefix of every key the driver uses: drivers"
                    + " with the same prefix on one server share topics."),
            OptionSpec.integer(CONNECT_TIMEOUT_MS).defaultValue(5000).min(1).max(600_000).doc("How long to wait for"
                    + " a connection to the server, in milliseconds."),
            OptionSpec.integer(COMMAND_TIMEOUT_MS).defaultValue(10_000).min(1).max(600_000).doc("How long a command"
                    + " (an append, a read) may take before it fails, in milliseconds, including the time the"
                    + " client waits to reconnect."),
            OptionSpec.integer(CHUNK_SIZE).defaultValue(1 << 20).min(4096).max(MAX_EVENT_SIZE).doc("Event data"
                    + " larger than this is split into chunks of this size (a power of two), each its own hash"
                    + " field, so that no single Redis value is large and a selection fetches only the chunks it"
                    + " touches."),
            OptionSpec.integer(LEASE_MS).defaultValue(10_000).min(300).max(600_000).doc("How long a consumer's"
                    + " hold on a partition outlives its process: leases are refreshed every third of it and expire"
                    + " after it when their holder dies."),
            OptionSpec.bool(TLS_VERIFY).defaultValue(true).doc("With rediss://: verify the server's certificate"
                    + " and host name (turn off only for self-signed test servers)."),
            OptionSpec.string(TLS_CA_FILE).doc("With rediss://: a PEM file of the certificates to trust (the"
                    + " site's CA, or a self-signed server's certificate) instead of the JDK's default trust"
                    + " store."));

    /** the server, or the first seed node of a cluster */
    final RedisURI uri;
    /** the seed nodes of a cluster (empty unless {@link #cluster}) */
    final List<RedisURI> seeds;
    final boolean cluster;
    /** whether topics this driver creates give each partition a slot of its own */
    final boolean slotPerPartition;
    final String prefix;
    final Duration connectTimeout;
    final Duration commandTimeout;
    final int chunkSize;
    final int chunkShift;
    final long leaseMs;
    /** the PEM trust file for TLS, or null for the JDK's trust store */
    final Path tlsCaFile;

    RedisConfig(Options o) {
        this.cluster = o.bool(CLUSTER, false);
        this.slotPerPartition = SLOTS_PARTITION.equals(o.string(SLOTS));
        this.connectTimeout = Duration.ofMillis(o.integer(CONNECT_TIMEOUT_MS, 5000));
        this.commandTimeout = Duration.ofMillis(o.integer(COMMAND_TIMEOUT_MS, 10_000));
        String text = o.string(URI);
        List<String> texts = cluster ? seedTexts(text) : List.of(text);
        String user = o.string(USERNAME);
        char[] secret = secret(o);
        if (secret == null && user != null) {
            throw new InvalidOptionException("Driver option 'username' of the redis driver needs a password: give"
                    + " 'password_file' or 'password_env', or put user:password in the uri");
        }
        List<RedisURI> uris = new ArrayList<>();
        for (String t : texts) {
            uris.add(build(o, t, user, secret, commandTimeout.compareTo(connectTimeout) >= 0 ? commandTimeout
                    : connectTimeout));
        }
        this.uri = uris.get(0);
        this.seeds = cluster ? List.copyOf(uris) : List.of();
        if (cluster && uri.getSentinels() != null && !uri.getSentinels().isEmpty()) {
            throw new InvalidOptionException("Driver option 'cluster' of the redis driver is true but the uri names"
                    + " Sentinels: give the cluster's nodes as redis://host:port,host:port, or drop 'cluster'");
        }
        this.prefix = o.string(KEY_PREFIX);
        if (prefix.isEmpty() || prefix.contains("{") || prefix.contains("}")) {
            throw new InvalidOptionException("Driver option 'key_prefix' of the redis driver is '" + prefix
                    + "': use a non-empty prefix without '{' or '}' (the driver adds the hash tags)");
        }
        long chunk = o.integer(CHUNK_SIZE, 1 << 20);
        if (Long.bitCount(chunk) != 1) {
            throw new InvalidOptionException("Driver option 'chunk_size' of the redis driver is " + chunk
                    + ": use a power of two between 4096 and " + MAX_EVENT_SIZE + " (e.g. 1048576)");
        }
        this.chunkSize = (int) chunk;
        this.chunkShift = Long.numberOfTrailingZeros(chunk);
        this.leaseMs = o.integer(LEASE_MS, 10_000);
        String ca = o.string(TLS_CA_FILE);
        if (ca != null && !Files.isReadable(Path.of(ca))) {
            throw new InvalidOptionException("Driver option 'tls_ca_file' of the redis driver names '" + ca
                    + "', which is not a readable file; give a PEM file of the certificates to trust");
        }
        if (ca != null && !uri.isSsl()) {
            throw new InvalidOptionException("Driver option 'tls_ca_file' of the redis driver has no effect with"
                    + " the uri " + address(uri) + ": use a rediss:// uri for TLS, or drop tls_ca_file");
        }
        this.tlsCaFile = ca == null ? null : Path.of(ca);
    }

    /**
     * @return one server's URI with the credentials and TLS verification of the options
     * @param handshake the URI's timeout, which Lettuce applies to a new connection's handshake (HELLO, AUTH) and
     *     nothing else here (commands have their own, {@link RedisClients}): the larger of the connect and command
     *     timeouts, so that a small {@code command_timeout_ms} does not fail the first connection of a cold JVM
     */
    private static RedisURI build(Options o, String text, String user, char[] secret, Duration handshake) {
        RedisURI parsed;
        try {
            parsed = RedisURI.create(text);
        } catch (RuntimeException e) {
            throw new InvalidOptionException("Driver option 'uri' of the redis driver is not a Redis URI ("
                    + e.getMessage() + "); use redis://host:port, rediss://host:port,"
                    + " redis-sentinel://host:port/0#master or, with cluster true, redis://host:port,host:port");
        }
        // set on the parsed URI itself: RedisURI.builder(uri) drops a Sentinel URI's sentinels
        if (secret != null) {
            String u = user != null ? user : uriUser(text);
            if (u != null) {
                parsed.setAuthentication(u, secret);
            } else {
                parsed.setAuthentication(secret); // the server's default user (requirepass)
            }
        }
        if (parsed.isSsl() && !o.bool(TLS_VERIFY, true)) {
            parsed.setVerifyPeer(false);
        }
        parsed.setTimeout(handshake);
        return parsed;
    }

    /**
     * @return the node URIs of a cluster's {@code uri} option: comma-separated, a node without a scheme taking the
     *     first one's ({@code redis://a:7000,b:7001})
     */
    private static List<String> seedTexts(String text) {
        List<String> out = new ArrayList<>();
        String scheme = null;
        for (String part : text.split(",")) {
            String t = part.strip();
            if (t.isEmpty()) {
                continue;
            }
            int sep = t.indexOf("://");
            if (sep > 0) {
                scheme = scheme == null ? t.substring(0, sep + 3) : scheme;
            } else {
                t = (scheme == null ? "redis://" : scheme) + t;
            }
            out.add(t);
        }
        if (out.isEmpty()) {
            throw new InvalidOptionException("Driver option 'uri' of the redis driver names no cluster node: give"
                    + " one or more as redis://host:port,host:port");
        }
        return out;
    }

    /** @return the user named in a URI's user info ({@code redis://user@host}), or null */
    private static String uriUser(String text) {
        try {
            String info = java.net.URI.create(text).getUserInfo();
            if (info == null || info.isEmpty()) {
                return null;
            }
            int colon = info.indexOf(':');
            String user = colon < 0 ? info : info.substring(0, colon);
            return user.isEmpty() ? null : user;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static char[] secret(Options o) {
        String file = o.string(PASSWORD_FILE);
        String env = o.string(PASSWORD_ENV);
        if (file != null && env != null) {
            throw new InvalidOptionException("Driver options 'password_file' and 'password_env' of the redis driver"
                    + " are both given: give one");
        }
        if (file != null) {
            try {
                String s = Files.readString(Path.of(file), StandardCharsets.UTF_8);
                return s.strip().toCharArray();
            } catch (IOException e) {
                throw new InvalidOptionException("Driver option 'password_file' of the redis driver: cannot read '"
                        + file + "' (" + e.getClass().getSimpleName() + "); give a readable file holding the"
                        + " password or token");
            }
        }
        if (env != null) {
            String v = System.getenv(env);
            if (v == null || v.isEmpty()) {
                throw new InvalidOptionException("Driver option 'password_env' of the redis driver names the"
                        + " environment variable '" + env + "', which is not set or empty; set it to the password"
                        + " or token");
            }
            return v.toCharArray();
        }
        return null;
    }

    /** @return where the server is, for messages: host:port (or the Sentinel addresses), never the password */
    String address() {
        if (cluster) {
            StringBuilder s = new StringBuilder("cluster nodes ");
            for (int i = 0; i < seeds.size(); i++) {
                s.append(i == 0 ? "" : ",").append(address(seeds.get(i)));
            }
            return s.toString();
        }
        return address(uri);
    }

    private static String address(RedisURI uri) {
        if (uri.getSentinels() != null && !uri.getSentinels().isEmpty()) {
            StringBuilder s = new StringBuilder("sentinels ");
            for (RedisURI r : uri.getSentinels()) {
                s.append(r.getHost()).append(':').append(r.getPort()).append(' ');
            }
            return s.append("master '").append(uri.getSentinelMasterId()).append('\'').toString();
        }
        return (uri.isSsl() ? "rediss://" : "redis://") + uri.getHost() + ":" + uri.getPort();
    }
}
