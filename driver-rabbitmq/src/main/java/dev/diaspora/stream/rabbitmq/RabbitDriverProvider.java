package dev.diaspora.stream.rabbitmq;

import dev.diaspora.stream.BackgroundErrorHandler;
import dev.diaspora.stream.spi.AbstractDriverProvider;
import dev.diaspora.stream.spi.Backend;
import dev.diaspora.stream.spi.Capabilities;
import dev.diaspora.stream.spi.OptionSchema;
import dev.diaspora.stream.spi.OptionSpec;
import dev.diaspora.stream.spi.Options;

/**
 * The {@code rabbitmq} driver: each partition of a topic is a RabbitMQ stream, an event is one stream message, and an
 * EventID is the message's stream offset minus one (offset 0 holds the partition's header record). Consumer positions
 * use the server's offset tracking. See this module's README for the mapping, the options and the limits.
 *
 * <p>Thread safety: thread-safe.
 */
public final class RabbitDriverProvider extends AbstractDriverProvider {
    /** Driver option: the server's host name or address. */
    public static final String HOST = "host";
    /** Driver option: the port of the stream protocol (the plugin's default is 5552, 5551 with TLS). */
    public static final String PORT = "port";
    /** Driver option: the user name. */
    public static final String USERNAME = "username";
    /** Driver option: the password or token, given inline (prefer {@link #PASSWORD_FILE} or {@link #PASSWORD_ENV}). */
    public static final String PASSWORD = "password";
    /** Driver option: a file whose content (trimmed) is the password or token. */
    public static final String PASSWORD_FILE = "password_file";
    /** Driver option: an environment variable whose value is the password or token. */
    public static final String PASSWORD_ENV = "password_env";
    /** Driver option: the virtual host. */
    public static final String VIRTUAL_HOST = "virtual_host";
    /** Driver option: connect with TLS, trusting the JDK's default trust store unless {@link #TLS_TRUST} is given. */
    public static final String TLS = "tls";
    /** Driver option: a PEM file of the CA or server certificates to trust (with {@link #TLS}). */
    public static final String TLS_TRUST = "tls_trust";
    /** Driver option: the bound, in milliseconds, of connecting and of every request to the server. */
    public static final String TIMEOUT_MS = "timeout_ms";
    /**
     * Driver option: every connection goes to {@link #HOST}:{@link #PORT} (a load balancer or proxy in front of the
     * nodes) rather than to the address each node advertises.
     */
    public static final String LOAD_BALANCER = "load_balancer";
    /**
     * Driver option: the bound, in milliseconds, of a push's wait for the server to confirm its event and for the
     * driver to see it stored; a push not seen within it fails with a retriable error.
     */
    public static final String PUSH_TIMEOUT_MS = "push_timeout_ms";
    /** Topic option: RabbitMQ's {@code x-max-age} of the topic's streams, e.g. {@code "7D"}, {@code "12h"}. */
    public static final String MAX_AGE = "max_age";
    /** Topic option: RabbitMQ's {@code x-max-length-bytes} of each of the topic's streams. */
    public static final String MAX_LENGTH_BYTES = "max_length_bytes";
    /** Topic option: RabbitMQ's {@code x-stream-max-segment-size-bytes} of each of the topic's streams. */
    public static final String MAX_SEGMENT_SIZE_BYTES = "max_segment_size_bytes";

    /**
     * The largest event: the server's default frame limit (1 MiB) less the publish frame's own fields, the AMQP 1.0
     * envelope of the message and this driver's event header.
     */
    static final long MAX_EVENT_SIZE = 1_048_576L - 1_024L;

    private static final OptionSchema OPTIONS = OptionSchema.of(
            OptionSpec.string(HOST).defaultValue("127.0.0.1").doc("RabbitMQ host (stream protocol)."),
            OptionSpec.integer(PORT).defaultValue(5552).min(1).max(65535)
                    .doc("Port of RabbitMQ's stream plugin (rabbitmq-plugins enable rabbitmq_stream): 5552,"
                            + " 5551 with TLS."),
            OptionSpec.string(USERNAME).defaultValue("guest").doc("User name."),
            OptionSpec.string(PASSWORD).doc("Password or token, inline; prefer password_file or password_env."
                    + " Never logged. Default: 'guest' when none of password, password_file, password_env is given."),
            OptionSpec.string(PASSWORD_FILE).doc("File whose content (surrounding white space removed) is the"
                    + " password or token (an OAuth 2 access token for a server with the OAuth 2 backend)."),
            OptionSpec.string(PASSWORD_ENV).doc("Environment variable holding the password or token."),
            OptionSpec.string(VIRTUAL_HOST).defaultValue("/").doc("Virtual host."),
            OptionSpec.bool(TLS).defaultValue(false).doc("Connect with TLS (server certificate checked against the"
                    + " JDK's default trust store, or tls_trust)."),
            OptionSpec.string(TLS_TRUST).doc("PEM file of the CA or server certificates to trust instead of the"
                    + " JDK's default trust store (a site's private CA); needs tls: true."),
            OptionSpec.integer(TIMEOUT_MS).defaultValue(10_000).min(100).max(600_000)
                    .doc("Bound of connecting and of every request to the server, in milliseconds."),
            OptionSpec.bool(LOAD_BALANCER).defaultValue(false).doc("Connect every producer and consumer to host:port"
                    + " (a load balancer or proxy in front of the nodes) instead of the address the node hosting a"
                    + " stream advertises."),
            OptionSpec.integer(PUSH_TIMEOUT_MS).defaultValue(30_000).min(1_000).max(3_600_000)
                    .doc("Bound of a push, in milliseconds: a push whose event the driver has not seen stored within"
                            + " it (server unreachable, lost subscription) fails with a retriable error naming the"
                            + " stream; its event may still be stored."));
    private static final OptionSchema TOPIC_OPTIONS = OptionSchema.topicOptions(
            OptionSpec.string(MAX_AGE).doc("Server-side retention by age of each partition stream (x-max-age),"
                    + " e.g. '7D', '12h', '30m': RabbitMQ removes whole segments older than this."),
            OptionSpec.integer(MAX_LENGTH_BYTES).min(1).doc("Server-side retention by size of each partition"
                    + " stream (x-max-length-bytes): RabbitMQ removes whole old segments above it."),
            OptionSpec.integer(MAX_SEGMENT_SIZE_BYTES).min(1).doc("Segment size of each partition stream"
                    + " (x-stream-max-segment-size-bytes): the unit in which retention removes events."));
    /**
     * Cross-process and persistent (the server keeps topics and positions); no partial reads (a message arrives
     * whole); time lookup through timestamp offsets; deletion. No consumer groups (single active consumer needs
     * RabbitMQ 3.11; see the README) and no StorageClock retention (retention is the server's, by segment).
     */
    private static final Capabilities CAPABILITIES = new Capabilities(true, true, false, true, true, MAX_EVENT_SIZE);

    /** Creates the provider; {@code ServiceLoader} calls this. */
    public RabbitDriverProvider() {
        super("rabbitmq", "Topics in RabbitMQ streams: one stream per partition, one message per event,"
                + " EventID = stream offset - 1, positions in the server's offset tracking.",
                OPTIONS, TOPIC_OPTIONS, CAPABILITIES);
    }

    @Override
    public Backend open(Options options) {
        return open(options, BackgroundErrorHandler.logging());
    }

    @Override
    public Backend open(Options options, BackgroundErrorHandler onBackgroundError) {
        return new RabbitBackend(RabbitConfig.from(options), onBackgroundError);
    }
}
