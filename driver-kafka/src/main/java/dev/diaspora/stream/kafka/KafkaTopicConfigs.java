package dev.diaspora.stream.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diaspora.stream.TopicNotFoundException;
import dev.diaspora.stream.spi.Options;
import dev.diaspora.stream.spi.Retention;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;

/**
 * The Kafka topic configurations of a new topic: storage timestamps set by the broker, and the driver's retention
 * options mapped to Kafka's own of the same names ({@code retention.ms}, {@code retention.bytes} per partition,
 * {@code segment.ms}). Absent options leave the broker's defaults (which are not "keep forever": Kafka's default
 * {@code retention.ms} is 7 days unless the broker is configured otherwise). {@code Driver.alterTopic} changes them
 * later on the broker ({@code incrementalAlterConfigs}) and in the driver's registry entry of the topic.
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

    /** Grows a topic with Kafka's {@code createPartitions}; open handles see the count within about a second. */
    static void addPartitions(KafkaBackend backend, String name, int newCount) {
        org.apache.kafka.clients.admin.TopicDescription d = backend.describe(name);
        if (d == null) {
            throw new TopicNotFoundException("Topic '" + name + "' does not exist in Kafka; create it first with"
                    + " createTopic(\"" + name + "\")");
        }
        dev.diaspora.stream.spi.Partitions.checkGrowth(name, d.partitions().size(), newCount);
        backend.call(backend.admin.createPartitions(Map.of(name,
                org.apache.kafka.clients.admin.NewPartitions.increaseTo(newCount))).all(), "adding partitions to topic '"
                + name + "'");
    }

    /**
     * Sets the changed retention options on the broker's topic, then in the registry entry (what {@code listTopics}
     * reports). The broker applies them at once, to every producer and consumer.
     */
    static void alter(KafkaBackend backend, String name, Options changes) {
        if (backend.describe(name) == null) {
            throw new TopicNotFoundException("Topic '" + name + "' does not exist in Kafka; create it first with"
                    + " createTopic(\"" + name + "\")");
        }
        ObjectNode changed = (ObjectNode) changes.toMetadata().json();
        List<AlterConfigOp> ops = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = changed.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            ops.add(new AlterConfigOp(new ConfigEntry(e.getKey(), e.getValue().asText()), AlterConfigOp.OpType.SET));
        }
        ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, name);
        backend.call(backend.admin.incrementalAlterConfigs(Map.of(topic, ops)).all(), "changing the configs "
                + changed + " of topic '" + name + "'");
        JsonNode old = backend.registry.entry(name);
        ObjectNode entry = old instanceof ObjectNode ? ((ObjectNode) old).deepCopy()
                : JsonNodeFactory.instance.objectNode();
        ObjectNode options = entry.get("options") instanceof ObjectNode ? (ObjectNode) entry.get("options")
                : entry.putObject("options");
        options.setAll(changed);
        backend.registry.write(name, entry.toString().getBytes(StandardCharsets.UTF_8));
    }
}
