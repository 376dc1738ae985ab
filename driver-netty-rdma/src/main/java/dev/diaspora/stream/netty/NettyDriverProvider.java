package dev.diaspora.stream.netty;

import dev.diaspora.stream.InvalidOptionException;
import dev.diaspora.stream.netty.protocol.Protocol;
import dev.diaspora.stream.spi.AbstractDriverProvider;
import dev.diaspora.stream.spi.Backend;
import dev.diaspora.stream.spi.Capabilities;
import dev.diaspora.stream.spi.OptionSchema;
import dev.diaspora.stream.spi.OptionSpec;
import dev.diaspora.stream.spi.Options;
import dev.diaspora.stream.spi.Retention;
import java.util.List;

/**
 * The {@code netty} driver: topics whose partitions live on one or more {@link PartitionServer}s, reached over TCP
 * (optionally TLS, with a token). Metadata travels in batched frames; event data goes from the producer's buffers to
 * the socket without a copy, and comes back as exactly the selected byte ranges.
 *
 * <pre>{@code
 * try (Driver driver = Driver.open("netty", Metadata.of("{\"servers\":[\"node1:7400\",\"node2:7400\"]}"))) {
 *     driver.createTopic("collisions", Metadata.of("{\"num_partitions\":8}"));
 *     ...
 * }
 * }</pre>
 *
 * <p>Options and guarantees are in the module's README; the wire protocol in its PROTOCOL.md.
 *
 * <p>Thread safety: thread-safe.
 */
public final class NettyDriverProvider extends AbstractDriverProvider {
    /** Driver option: the partition servers, as {@code "host:port"} strings. */
    public static final String SERVERS = "servers";
    /** Driver option: the token the servers expect. */
    public static final String TOKEN = "token";
    /** Driver option: connect with TLS. */
    public static final String TLS = "tls";
    /** Driver option: PEM file of the certificates to trust for TLS (the JDK's trust store if absent). */
    public static final String TLS_TRUST = "tls_trust";
    /** Driver option: connect timeout in milliseconds. */
    public static final String CONNECT_TIMEOUT_MS = "connect_timeout_ms";
    /** Driver option: how long a request may wait for its answer, in milliseconds. */
    public static final String REQUEST_TIMEOUT_MS = "request_timeout_ms";
    /** Driver option: event-loop threads of the client. */
    public static final String IO_THREADS = "io_threads";
    /**
     * Driver option: how long a producer's batch may take to be stored, retries after lost connections included, in
     * milliseconds; 0 never retries.
     */
    public static final String DELIVERY_TIMEOUT_MS = "delivery_timeout_ms";

    private static final OptionSchema OPTIONS = OptionSchema.of(
            OptionSpec.array(SERVERS).required().doc("The partition servers, as [\"host:port\", ...]. Topics created"
                    + " through this driver spread their partitions over all of them; a topic records which server"
                    + " holds which partition, so the order of this list does not matter afterwards."),
            OptionSpec.string(TOKEN).doc("The secret token the servers were started with (--token-file)."),
            OptionSpec.bool(TLS).defaultValue(false).doc("Connect with TLS (the servers must be started with"
                    + " --tls-cert and --tls-key)."),
            OptionSpec.string(TLS_TRUST).doc("PEM file of the CA or server certificates to trust; the JDK's default"
                    + " trust store if absent."),
            OptionSpec.integer(CONNECT_TIMEOUT_MS).defaultValue(10_000).min(1).max(600_000)
                    .doc("How long connecting to a server may take."),
            OptionSpec.integer(REQUEST_TIMEOUT_MS).defaultValue(30_000).min(1).max(3_600_000)
                    .doc("How long a request may wait for the server's answer before failing (retriable)."),
            OptionSpec.integer(DELIVERY_TIMEOUT_MS).defaultValue(120_000).min(0).max(3_600_000)
                    .doc("How long a producer's batch may take to be stored: a push whose connection to its server is"
                            + " lost is sent again (and stored once: the server deduplicates it) until it is stored or"
                            + " this time has passed since the push was batched; only then does its future fail. 0:"
                            + " never send again (a failed push may or may not be stored)."),
            OptionSpec.integer(IO_THREADS).defaultValue(1).min(1).max(64)
                    .doc("Client event-loop threads shared by the connections of this driver."));
    private static final OptionSchema TOPIC_OPTIONS = OptionSchema.topicOptions(
            OptionSpec.integer("segment_size").min(64 << 10).max(1L << 40)
                    .doc("Size in bytes at which a partition's segments roll on its server (files engine)."),
            OptionSpec.string("durability").defaultValue("os").oneOf("os", "fsync")
                    .doc("\"os\": an append completes once the server's OS has the bytes; \"fsync\": once they are"
                            + " on the server's device."),
            Retention.specs(true)[0], Retention.specs(true)[1], Retention.specs(true)[2]);
    /**
     * Retention: enforced by each server on its partitions. Groups: yes; a stalled member (its connection alive) keeps
     * its leases until it gives them up (README). Topic changes: partitions are added on the topic's servers by the
     * placement's ring rule, and the retention options change on every server of the topic (README, "Topic changes").
     */
    private static final Capabilities CAPABILITIES = new Capabilities(true, true, true, true, true,
            Protocol.MAX_EVENT_SIZE).withGroups(true, false).withRetention(true)
            .withTopicChanges(true, Retention.RETENTION_MS, Retention.RETENTION_BYTES);

    /** Creates the provider; {@code ServiceLoader} calls this. */
    public NettyDriverProvider() {
        super("netty", "Topics on partition servers over TCP: batched metadata frames, zero-copy data.",
                OPTIONS, TOPIC_OPTIONS, CAPABILITIES);
    }

    @Override
    public Backend open(Options options) {
        List<String> servers = options.strings(SERVERS);
        if (servers.isEmpty()) {
            throw new InvalidOptionException("Option 'servers' of driver 'netty' is empty: give at least one"
                    + " \"host:port\" of a partition server");
        }
        for (String s : servers) {
            int colon = s.lastIndexOf(':');
            boolean ok = colon > 0 && colon < s.length() - 1;
            if (ok) {
                try {
                    int port = Integer.parseInt(s.substring(colon + 1));
                    ok = port > 0 && port < 65_536;
                } catch (NumberFormatException e) {
                    ok = false;
                }
            }
            if (!ok) {
                throw new InvalidOptionException("Invalid server \"" + s + "\" in option 'servers' of driver 'netty':"
                        + " give \"host:port\" with a port in 1..65535");
            }
        }
        if (servers.stream().distinct().count() != servers.size()) {
            throw new InvalidOptionException("Option 'servers' of driver 'netty' lists a server twice: " + servers);
        }
        return new NettyBackend(servers, options);
    }
}
