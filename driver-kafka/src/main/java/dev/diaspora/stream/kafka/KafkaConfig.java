package dev.diaspora.stream.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import dev.diaspora.stream.InvalidOptionException;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.spi.Options;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The validated driver options turned into Kafka client configurations.
 *
 * <p>Thread safety: immutable.
 */
final class KafkaConfig {
    /** Default for request.timeout.ms, default.api.timeout.ms and max.block.ms: bounded, so nothing hangs. */
    static final long DEFAULT_TIMEOUT_MS = 10_000L;

    final String bootstrap;
    final short replicationFactor;
    /** The framing of topics this driver creates without a {@code framing} topic option. */
    final RecordFraming framing;
    private final Properties common;

    private KafkaConfig(String bootstrap, short replicationFactor, RecordFraming framing, Properties common) {
        this.bootstrap = bootstrap;
        this.replicationFactor = replicationFactor;
        this.framing = framing;
        this.common = common;
    }

    static KafkaConfig from(Options options) {
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
        short rf = (short) options.intValue(KafkaDriverProvider.REPLICATION_FACTOR, 1);
        RecordFraming framing = RecordFraming.of(options.string(KafkaDriverProvider.FRAMING), "of driver 'kafka'");
        return new KafkaConfig(bootstrap, rf, framing, p);
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
