package dev.diaspora.stream.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import dev.diaspora.stream.InvalidOptionException;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.spi.Options;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Function;

/**
 * The validated driver options turned into Kafka client configurations.
 *
 * <p>Thread safety: immutable.
 */
final class KafkaConfig {
    /** Default for request.timeout.ms, default.api.timeout.ms and max.block.ms: bounded, so nothing hangs. */
    static final long DEFAULT_TIMEOUT_MS = 10_000L;

    final String bootstrap;
    /** The replication factor given as an option, or 0: the cluster's size up to 3 ({@link #replicationFactor}). */
    private final short replicationOption;
    /** {@code min.insync.replicas} given as an option, or 0: 2 when the replication factor is at least 3. */
    private final int minInsyncOption;
    /** The largest event (metadata plus data) the driver stores: option {@code max_event_size}. */
    final long maxEventSize;
    /** The framing of topics this driver creates without a {@code framing} topic option. */
    final RecordFraming framing;
    /** The option {@code sasl}, or null. */
    final KafkaSasl sasl;
    private final Properties common;

    private KafkaConfig(String bootstrap, short replicationOption, int minInsyncOption, long maxEventSize,
            RecordFraming framing, KafkaSasl sasl, Properties common) {
        this.bootstrap = bootstrap;
        this.replicationOption = replicationOption;
        this.minInsyncOption = minInsyncOption;
        this.maxEventSize = maxEventSize;
        this.framing = framing;
        this.sasl = sasl;
        this.common = common;
    }

    static KafkaConfig from(Options options) {
        return from(options, System::getenv);
    }

    /** @param env the environment, for the option {@code sasl}'s {@code password_env} */
    static KafkaConfig from(Options options, Function<String, String> env) {
        String bootstrap = options.string(KafkaDriverProvider.BOOTSTRAP_SERVERS);
        if (bootstrap == null || bootstrap.isBlank()) {
            throw new InvalidOptionException("Option 'bootstrap.servers' of driver 'kafka' must not be empty");
        }
        Properties p = new Properties();
        p.put("request.timeout.ms", String.valueOf(DEFAULT_TIMEOUT_MS));
        p.put("default.api.timeout.ms", String.valueOf(DEFAULT_TIMEOUT_MS));
        Metadata kafka = options.json(KafkaDriverProvider.KAFKA);
        if (kafka != null) {
            for (Map.Entry<String, JsonNode> e : kafka.json().properties()) {
                JsonNode v = e.getValue();
                String value;
                if (v.isTextual()) {
                    value = v.textValue();
                } else if (v.isNumber() || v.isBoolean()) {
                    value = v.asText();
                } else if (v.isArray()) {
                    List<String> parts = new ArrayList<>();
                    for (JsonNode x : v) {
                        parts.add(x.isTextual() ? x.textValue() : x.toString());
                    }
                    value = String.join(",", parts);
                } else {
                    throw new InvalidOptionException("Invalid value " + v + " for Kafka configuration '" + e.getKey()
                            + "' in option 'kafka' of driver 'kafka': expected a string, number, boolean or array");
                }
                p.put(e.getKey(), value);
            }
        }
        p.put("bootstrap.servers", bootstrap);
        short rf = (short) options.intValue(KafkaDriverProvider.REPLICATION_FACTOR, 0);
        int minInsync = options.intValue(KafkaDriverProvider.MIN_INSYNC_REPLICAS, 0);
        if (rf > 0 && minInsync > rf) {
            throw new InvalidOptionException("Option 'min_insync_replicas' of driver 'kafka' is " + minInsync
                    + ", more than 'replication_factor' " + rf + ": no write could ever succeed; give at most " + rf);
        }
        long maxEventSize = options.integer(KafkaDriverProvider.MAX_EVENT_SIZE,
                KafkaDriverProvider.DEFAULT_MAX_EVENT_SIZE);
        RecordFraming framing = RecordFraming.of(options.string(KafkaDriverProvider.FRAMING), "of driver 'kafka'");
        KafkaSasl sasl = null;
        Metadata saslOption = options.json(KafkaDriverProvider.SASL);
        if (saslOption != null) {
            sasl = KafkaSasl.from(saslOption, env);
            Object protocol = p.get("security.protocol");
            if (protocol == null) {
                boolean tls = p.keySet().stream().anyMatch(k -> String.valueOf(k).startsWith("ssl."));
                p.put("security.protocol", tls ? "SASL_SSL" : "SASL_PLAINTEXT");
            } else if (!String.valueOf(protocol).startsWith("SASL_")) {
                throw new InvalidOptionException("Option 'sasl' of driver 'kafka' needs security.protocol SASL_SSL or"
                        + " SASL_PLAINTEXT, but the 'kafka' option sets it to '" + protocol + "'");
            }
            if (p.containsKey("sasl.jaas.config")) {
                throw new InvalidOptionException("Option 'sasl' of driver 'kafka' and 'kafka.sasl.jaas.config' both"
                        + " give credentials: keep one");
            }
            sasl.configure(p);
        }
        return new KafkaConfig(bootstrap, rf, minInsync, maxEventSize, framing, sasl, p);
    }

    /**
     * @param brokers the number of brokers in the cluster
     * @return the replication factor of the topics the driver creates: the option, else the cluster's size up to 3
     */
    short replicationFactor(int brokers) {
        return replicationOption > 0 ? replicationOption : defaultReplicationFactor(brokers);
    }

    /** @return the default replication factor on a cluster of {@code brokers}: its size, at most 3 */
    static short defaultReplicationFactor(int brokers) {
        return (short) Math.max(1, Math.min(3, brokers));
    }

    /**
     * @return the {@code min.insync.replicas} of the topics the driver creates: the option, else 2 when their
     *     replication factor is at least 3, else 0 (the broker's default)
     */
    int minInsyncReplicas(short replicationFactor) {
        if (minInsyncOption > 0) {
            return minInsyncOption;
        }
        return replicationFactor >= 3 ? 2 : 0;
    }

    /** @return the producer's {@code max.request.size} that lets the largest event through */
    long maxRequestSize() {
        return maxEventSize + KafkaDriverProvider.RECORD_OVERHEAD;
    }

    /** @return a client configuration: the common one plus {@code defaults} (overridden by the user's) */
    Properties client(Map<String, Object> defaults, Map<String, Object> forced) {
        Properties out = new Properties();
        out.putAll(defaults);
        out.putAll(common);
        out.putAll(forced);
        return out;
    }

    /** @return the effective default.api.timeout.ms */
    long apiTimeoutMs() {
        return longValue("default.api.timeout.ms");
    }

    private long longValue(String key) {
        Object v = common.get(key);
        try {
            return Long.parseLong(String.valueOf(v).trim());
        } catch (NumberFormatException e) {
            return DEFAULT_TIMEOUT_MS;
        }
    }
}
