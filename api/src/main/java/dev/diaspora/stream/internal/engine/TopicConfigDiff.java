package dev.diaspora.stream.internal.engine;

import com.fasterxml.jackson.databind.JsonNode;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.spi.OptionSchema;
import dev.diaspora.stream.spi.OptionSpec;
import dev.diaspora.stream.spi.Options;
import dev.diaspora.stream.spi.Retention;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Compares a topic's stored description (options and components, as {@code Backend.describeTopic} gives it) with a
 * requested configuration, for {@code Driver.createTopicIfAbsent}. Only the options the driver declares and the three
 * components are compared (a driver's description may carry more); an option a topic does not store (written before
 * the option existed) counts as its default. An option neither given nor defaulted is the driver's choice and is not
 * compared (the netty driver's servers fill in {@code segment_size}), except the retention options, whose absence
 * means "no limit" (or the storage system's default, on kafka: {@link Retention}). Numbers compare by value
 * ({@code 4} equals {@code 4.0}).
 *
 * <p>Thread safety: stateless. Not API.
 */
final class TopicConfigDiff {
    static final List<String> COMPONENTS = List.of("validator", "partition_selector", "serializer");
    private static final Set<String> RETENTION = Set.of(Retention.RETENTION_MS, Retention.RETENTION_BYTES,
            Retention.SEGMENT_MS);
    private static final Comparator<JsonNode> BY_VALUE = (a, b) -> a.equals(b)
            || a.isNumber() && b.isNumber() && a.decimalValue().compareTo(b.decimalValue()) == 0 ? 0 : 1;

    private TopicConfigDiff() {
    }

    /**
     * @return each differing key with "stored X, requested Y", in schema order then component order; empty if none
     */
    static Map<String, String> differences(Metadata stored, OptionSchema schema, Options requested,
            Metadata components) {
        JsonNode s = stored.json();
        JsonNode r = requested.toMetadata().json();
        JsonNode c = components.json();
        Map<String, String> out = new LinkedHashMap<>();
        for (OptionSpec spec : schema.specs()) {
            JsonNode have = s.get(spec.name());
            if (have == null || have.isNull()) {
                have = spec.defaultNode();
            }
            JsonNode want = r.get(spec.name());
            if ((want == null || want.isNull()) && !RETENTION.contains(spec.name())) {
                continue; // not given, no default: whatever the driver chose
            }
            compare(spec.name(), have, want, out);
        }
        for (String k : COMPONENTS) {
            compare(k, s.get(k), c.get(k), out);
        }
        return out;
    }

    private static void compare(String key, JsonNode stored, JsonNode requested, Map<String, String> out) {
        boolean storedAbsent = stored == null || stored.isNull();
        boolean requestedAbsent = requested == null || requested.isNull();
        if (storedAbsent && requestedAbsent) {
            return;
        }
        if (storedAbsent || requestedAbsent || !stored.equals(BY_VALUE, requested)) {
            out.put(key, "stored " + (storedAbsent ? "none" : stored.toString()) + ", requested "
                    + (requestedAbsent ? "none" : requested.toString()));
        }
    }

    /** @return the message of a mismatch: every difference, and what to do */
    static String message(String topic, Map<String, String> diffs) {
        List<String> parts = new ArrayList<>();
        diffs.forEach((k, v) -> parts.add(k + " (" + v + ")"));
        return "Topic '" + topic + "' already exists with another configuration: " + String.join("; ", parts)
                + ". Nothing was changed. Open it as it is with openTopic(\"" + topic + "\"), request its stored"
                + " configuration, or delete it and create it again";
    }
}
