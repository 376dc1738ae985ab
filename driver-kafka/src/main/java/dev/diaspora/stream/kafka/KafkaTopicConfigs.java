package dev.diaspora.stream.kafka;

import dev.diaspora.stream.spi.Options;
import dev.diaspora.stream.spi.Retention;
import java.util.HashMap;
import java.util.Map;

/**
 * The Kafka topic configurations of a new topic: storage timestamps set by the broker, and the driver's retention
 * options mapped to Kafka's own of the same names ({@code retention.ms}, {@code retention.bytes} per partition,
 * {@code segment.ms}). Absent options leave the broker's defaults (which are not "keep forever": Kafka's default
 * {@code retention.ms} is 7 days unless the broker is configured otherwise).
 *
 * <p>Thread safety: stateless.
 */
final class KafkaTopicConfigs {
    private KafkaTopicConfigs() {
    }

    /** @return the configs to give {@code NewTopic.configs} for these validated topic options */
    static Map<String, String> of(Options topicOptions) {
        Map<String, String> configs = new HashMap<>();
        configs.put("message.timestamp.type", "LogAppendTime");
        for (String key : new String[] {Retention.RETENTION_MS, Retention.RETENTION_BYTES, Retention.SEGMENT_MS}) {
            if (topicOptions.has(key)) {
                configs.put(key, Long.toString(topicOptions.integer(key, -1)));
            }
        }
        return configs;
    }
}
