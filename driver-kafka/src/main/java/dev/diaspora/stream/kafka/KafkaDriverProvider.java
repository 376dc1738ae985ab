package dev.diaspora.stream.kafka;

import dev.diaspora.stream.BackgroundErrorHandler;
import dev.diaspora.stream.spi.AbstractDriverProvider;
import dev.diaspora.stream.spi.Backend;
import dev.diaspora.stream.spi.Capabilities;
import dev.diaspora.stream.spi.OptionSchema;
import dev.diaspora.stream.spi.OptionSpec;
import dev.diaspora.stream.spi.Options;
import dev.diaspora.stream.spi.Retention;

/**
 * The {@code kafka} driver: topics are Kafka topics, an event is one Kafka record, an EventID is the record's offset,
 * a consumer name is a consumer group. See this module's README for the options, the record framing and the limits.
 *
 * <p>Thread safety: thread-safe.
 */
public final class KafkaDriverProvider extends AbstractDriverProvider {
    /** Driver option: the Kafka bootstrap servers, {@code host:port[,host:port...]} (required). */
    public static final String BOOTSTRAP_SERVERS = "bootstrap.servers";
    /** Driver option: a JSON object of Kafka client configurations passed to every client (security, SASL, ...). */
    public static final String KAFKA = "kafka";
    /**
     * Driver option: the replication factor of the Kafka topics the driver creates; by default the number of brokers,
     * at most 3.
     */
    public static final String REPLICATION_FACTOR = "replication_factor";
    /**
     * Driver option: {@code min.insync.replicas} of the Kafka topics the driver creates; by default 2 when their
     * replication factor is at least 3, else the broker's default.
     */
    public static final String MIN_INSYNC_REPLICAS = "min_insync_replicas";
    /**
     * Driver option: the largest event (metadata plus data, in bytes) the driver sends; sets the producer's
     * {@code max.request.size}, the {@code max.message.bytes} of the topics the driver creates and the engine's limit.
     */
    public static final String MAX_EVENT_SIZE = "max_event_size";
    /**
     * Driver option: SASL credentials, {@code {"mechanism":"PLAIN"|"SCRAM-SHA-256"|"SCRAM-SHA-512","username":...,
     * "password_file"|"password_env"|"password":...}}.
     */
    public static final String SASL = "sasl";

    /**
     * Driver option (the default for the topics it creates) and topic option: the record framing, {@code inline}
     * (metadata and data in the record value, after the incarnation mark; the default) or {@code header} (data =
     * value, metadata in header {@code md}). Stored with the topic: readers always decode a topic in the framing it
     * was created with.
     */
    public static final String FRAMING = "framing";
    private static final String FRAMING_DOC = "Record framing: 'inline' = value [0xD1][8-byte incarnation mark]"
            + "[u32 metadata length][metadata][data], no header; 'header' = value [data], metadata in record header"
            + " 'md', mark in header 'di'. Stored with the topic; readers follow the topic, not their own options.";

    /** kafka-clients' default {@code max.request.size}; the default event limit keeps requests within it. */
    static final long MAX_REQUEST_SIZE = 1_048_576L;
    /**
     * Bytes of a Kafka request that are not the event: record batch header (61), record overhead (at most 21), our
     * framing (13: the incarnation mark's 9 and the metadata length's 4), rounded up with a margin.
     */
    static final long RECORD_OVERHEAD = 128L;
    /** The default of {@link #MAX_EVENT_SIZE}: requests stay within kafka-clients' and brokers' default limits. */
    static final long DEFAULT_MAX_EVENT_SIZE = MAX_REQUEST_SIZE - RECORD_OVERHEAD;
    /**
     * The largest {@link #MAX_EVENT_SIZE}: a broker refuses requests above {@code socket.request.max.bytes}, 100 MiB by
     * default.
     */
    static final long MAX_MAX_EVENT_SIZE = 104_857_600L - 2 * RECORD_OVERHEAD;

    private static final OptionSchema OPTIONS = OptionSchema.of(
            OptionSpec.string(BOOTSTRAP_SERVERS).required()
                    .doc("Kafka bootstrap servers, host:port[,host:port...]."),
            OptionSpec.object(KAFKA).doc("Kafka client configurations given to every producer, consumer and admin"
                    + " client of the driver, e.g. {\"security.protocol\":\"SASL_SSL\",\"request.timeout.ms\":30000}."
                    + " Values may be strings, numbers or booleans; arrays are joined with commas. The driver sets"
                    + " request.timeout.ms, default.api.timeout.ms and max.block.ms to 10000 unless given here."),
            OptionSpec.integer(REPLICATION_FACTOR).min(1).max(Short.MAX_VALUE)
                    .doc("Replication factor of the Kafka topics this driver creates (and of __diaspora_topics)."
                            + " Default: the number of brokers, at most 3."),
            OptionSpec.integer(MIN_INSYNC_REPLICAS).min(1).max(Short.MAX_VALUE)
                    .doc("min.insync.replicas of the Kafka topics this driver creates: with acks=all, a write"
                            + " succeeds once this many replicas have it. Default: 2 when the replication factor is"
                            + " at least 3, else the broker's default."),
            OptionSpec.integer(MAX_EVENT_SIZE).defaultValue(DEFAULT_MAX_EVENT_SIZE).min(1).max(MAX_MAX_EVENT_SIZE)
                    .doc("Largest event (metadata plus data, bytes). Sets the producer's max.request.size and"
                            + " buffer.memory and the max.message.bytes of topics this driver creates; topics made"
                            + " otherwise keep their own max.message.bytes."),
            OptionSpec.object(SASL).doc("SASL credentials: {\"mechanism\":\"PLAIN\"|\"SCRAM-SHA-256\"|"
                    + "\"SCRAM-SHA-512\",\"username\":...,\"password_file\"|\"password_env\"|\"password\":...}."
                    + " Sets security.protocol to SASL_PLAINTEXT (SASL_SSL when the 'kafka' option has ssl.*"
                    + " settings) unless 'kafka' sets it. The password is never logged."),
            OptionSpec.string(FRAMING).defaultValue("inline").oneOf("inline", "header")
                    .doc(FRAMING_DOC + " Default for the topics this driver creates."));
    private static final OptionSchema TOPIC_OPTIONS = OptionSchema.topicOptions(OptionSpec.string(FRAMING)
            .oneOf("inline", "header").doc(FRAMING_DOC + " Default: the driver's 'framing' option."),
            Retention.specs(true)[0], Retention.specs(true)[1], Retention.specs(true)[2]);
    /**
     * Consumer groups are Kafka's; a stalled fetch thread leaves the group after {@code max.poll.interval.ms}, which the
     * driver sets to {@code ConsumerOptions.sessionTimeout} (Kafka's heartbeat thread beats on otherwise), so a stale
     * member's partitions are taken over while its process lives.
     */
    private static final Capabilities CAPABILITIES = new Capabilities(true, true, false, true, true,
            DEFAULT_MAX_EVENT_SIZE).withGroups(true, true)
            .withTopicChanges(true, Retention.RETENTION_MS, Retention.RETENTION_BYTES, Retention.SEGMENT_MS);

    /** Creates the provider; {@code ServiceLoader} calls this. */
    public KafkaDriverProvider() {
        super("kafka", "Topics in an Apache Kafka cluster: one record per event, EventID = offset, consumer name = "
                + "group.",
                OPTIONS, TOPIC_OPTIONS, CAPABILITIES);
    }

    @Override
    public Backend open(Options options) {
        return open(options, BackgroundErrorHandler.logging());
    }

    @Override
    public Backend open(Options options, BackgroundErrorHandler onBackgroundError) {
        return new KafkaBackend(KafkaConfig.from(options), onBackgroundError);
    }
}
