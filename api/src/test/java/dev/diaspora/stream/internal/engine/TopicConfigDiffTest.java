package dev.diaspora.stream.internal.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.spi.OptionSchema;
import dev.diaspora.stream.spi.OptionSpec;
import dev.diaspora.stream.spi.Options;
import dev.diaspora.stream.spi.Retention;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How createTopicIfAbsent compares a stored topic with a request (issue 13). */
class TopicConfigDiffTest {
    private static final OptionSchema SCHEMA = OptionSchema.topicOptions(
            OptionSpec.string("durability").defaultValue("os").oneOf("os", "fsync"),
            OptionSpec.integer("segment_size").min(1), Retention.specs(false)[0], Retention.specs(false)[1]);
    private static final String COMPONENTS = "\"validator\":{\"type\":\"default\"},\"partition_selector\":{\"type\":"
            + "\"default\"},\"serializer\":{\"type\":\"default\"}";

    private static Map<String, String> diff(String stored, String requested) {
        Options r = SCHEMA.validate(Metadata.of(requested), "topic 't'");
        return TopicConfigDiff.differences(Metadata.of("{" + stored + "," + COMPONENTS + "}"), SCHEMA, r,
                Metadata.of("{" + COMPONENTS + "}"));
    }

    @Test
    void sameConfigurationWhateverTheSpellingOfNumbersAndDefaults() {
        assertEquals(Map.of(), diff("\"num_partitions\":4,\"durability\":\"os\"", "{\"num_partitions\":4}"));
        assertEquals(Map.of(), diff("\"num_partitions\":4.0,\"durability\":\"os\"", "{\"num_partitions\":4}"));
        assertEquals(Map.of(), diff("\"num_partitions\":4", "{\"num_partitions\":4,\"durability\":\"os\"}"),
                "an option the stored topic lacks counts as its default");
    }

    @Test
    void eachDifferingKeyIsNamedWithBothValues() {
        Map<String, String> d = diff("\"num_partitions\":4,\"durability\":\"fsync\"", "{\"num_partitions\":2}");
        assertEquals(List.of("num_partitions", "durability"), List.copyOf(d.keySet()));
        assertEquals("stored 4, requested 2", d.get("num_partitions"));
        assertEquals("stored \"fsync\", requested \"os\"", d.get("durability"));
        String msg = TopicConfigDiff.message("t", d);
        assertTrue(msg.contains("num_partitions (stored 4, requested 2)") && msg.contains("openTopic(\"t\")"), msg);
    }

    @Test
    void optionsWithoutDefaultAreTheDriversChoiceButRetentionAbsentMeansNone() {
        assertEquals(Map.of(), diff("\"num_partitions\":1,\"segment_size\":65536", "{}"),
                "segment_size neither given nor defaulted: whatever the driver stored");
        assertEquals(List.of("segment_size"), List.copyOf(diff("\"num_partitions\":1,\"segment_size\":65536",
                "{\"segment_size\":1024}").keySet()));
        assertEquals("stored 1000, requested none", diff("\"num_partitions\":1,\"retention.ms\":1000", "{}")
                .get("retention.ms"));
        assertEquals("stored none, requested 5", diff("\"num_partitions\":1", "{\"retention.bytes\":5}")
                .get("retention.bytes"));
    }

    @Test
    void componentsAreCompared() {
        Options r = SCHEMA.validate(Metadata.of("{}"), "topic 't'");
        Map<String, String> d = TopicConfigDiff.differences(Metadata.of("{\"num_partitions\":1," + COMPONENTS + "}"),
                SCHEMA, r, Metadata.of("{" + COMPONENTS.replace("{\"type\":\"default\"},\"partition",
                        "{\"type\":\"schema\"},\"partition") + "}"));
        assertEquals(List.of("validator"), List.copyOf(d.keySet()));
    }
}
