package dev.diaspora.stream.spi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diaspora.stream.Metadata;
import java.util.ArrayList;
import java.util.List;

/**
 * Options validated by an {@link OptionSchema}, with defaults filled in. Getters for declared options only.
 *
 * <p>Thread safety: immutable.
 */
public final class Options {
    private final ObjectNode values;

    Options(ObjectNode values) {
        this.values = values;
    }

    /** @return true if the option was given or has a default */
    public boolean has(String name) {
        return values.has(name) && !values.get(name).isNull();
    }

    /** @return a string option, or null if absent */
    public String string(String name) {
        JsonNode n = values.get(name);
        return n == null ? null : n.textValue();
    }

    /** @return an integer option, or {@code fallback} if absent */
    public long integer(String name, long fallback) {
        JsonNode n = values.get(name);
        return n == null ? fallback : n.longValue();
    }

    /** @return an integer option that fits an int (declare its max), or {@code fallback} if absent */
    public int intValue(String name, int fallback) {
        return Math.toIntExact(integer(name, fallback));
    }

    /** @return a number option, or {@code fallback} if absent */
    public double number(String name, double fallback) {
        JsonNode n = values.get(name);
        return n == null ? fallback : n.doubleValue();
    }

    /** @return a boolean option, or {@code fallback} if absent */
    public boolean bool(String name, boolean fallback) {
        JsonNode n = values.get(name);
        return n == null ? fallback : n.booleanValue();
    }

    /** @return an object or array option as metadata, or null if absent */
    public Metadata json(String name) {
        JsonNode n = values.get(name);
        return n == null ? null : Metadata.of(n);
    }

    /** @return a string-array option's elements (non-strings as JSON text), empty if absent */
    public List<String> strings(String name) {
        List<String> out = new ArrayList<>();
        JsonNode n = values.get(name);
        if (n != null && n.isArray()) {
            for (JsonNode e : n) {
                out.add(e.isTextual() ? e.textValue() : e.toString());
            }
        }
        return out;
    }

    /** @return all values as one JSON object */
    public Metadata toMetadata() {
        return Metadata.of(values);
    }

    /**
     * The options as JSON text for messages and logs, with the value of every option whose name says it holds a
     * secret ({@code password}, {@code token}, {@code secret}, {@code jaas}, {@code credential}, at any depth)
     * replaced by {@code "***"}. Use {@link #toMetadata()} for the real values.
     */
    @Override
    public String toString() {
        return redact(values).toString();
    }

    /** Whether an option of this name holds a secret that must never reach a message or a log line. */
    public static boolean isSecret(String name) {
        String n = name.toLowerCase(java.util.Locale.ROOT);
        return n.contains("password") || n.contains("token") || n.contains("secret") || n.contains("jaas")
                || n.contains("credential");
    }

    private static JsonNode redact(JsonNode node) {
        if (node.isObject()) {
            ObjectNode copy = ((ObjectNode) node).objectNode();
            node.fields().forEachRemaining(e -> copy.set(e.getKey(),
                    isSecret(e.getKey()) && !e.getValue().isNull() ? copy.textNode("***") : redact(e.getValue())));
            return copy;
        }
        if (node.isArray()) {
            com.fasterxml.jackson.databind.node.ArrayNode copy = com.fasterxml.jackson.databind.node.JsonNodeFactory
                    .instance.arrayNode();
            node.forEach(e -> copy.add(redact(e)));
            return copy;
        }
        return node;
    }
}
