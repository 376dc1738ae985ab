package dev.diaspora.stream.internal.components;

import com.fasterxml.jackson.databind.JsonNode;
import dev.diaspora.stream.InvalidMetadataException;
import dev.diaspora.stream.InvalidOptionException;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.internal.json.Json;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

/**
 * Reads the JSON configuration of one built-in component: checks that it is an object, rejects unknown keys (so that
 * typos fail at creation instead of being ignored) and reads typed values with messages that name the component, the
 * key and the bad value. Not API.
 *
 * <p>Thread safety: immutable.
 */
final class ComponentConfig {
    private static final int MAX_SHOWN_CHARS = 40;

    private final String component;
    private final JsonNode json;

    private ComponentConfig(String component, JsonNode json) {
        this.component = component;
        this.json = json;
    }

    /**
     * @param component what is being configured, for messages ("the hash partition selector")
     * @param config the configuration, {@code "type"} included
     * @param keys the accepted keys, {@code "type"} included
     * @throws InvalidOptionException if the configuration is not a JSON object or holds a key not in {@code keys}
     */
    static ComponentConfig of(String component, Metadata config, String... keys) {
        JsonNode json = jsonObject(config, "Cannot create " + component + " from configuration");
        List<String> accepted = Arrays.asList(keys);
        for (Iterator<String> it = json.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!accepted.contains(key)) {
                throw new InvalidOptionException("Unknown option '" + key + "' for " + component + " (accepted: "
                        + String.join(", ", accepted) + ")" + (json.has("type") ? "" : "; did you forget \"type\"?"));
            }
        }
        return new ComponentConfig(component, json);
    }

    /**
     * Parses a configuration that must be a JSON object.
     *
     * @param context the start of every message, e.g. "Cannot create validator from configuration"
     * @throws InvalidOptionException if the text is not JSON or not an object
     */
    static JsonNode jsonObject(Metadata config, String context) {
        JsonNode json;
        try {
            json = config.json();
        } catch (InvalidMetadataException e) {
            throw new InvalidOptionException(context + ": " + e.getMessage(), e);
        }
        if (!json.isObject()) {
            throw new InvalidOptionException(context + ": expected a JSON object, got " + describe(json));
        }
        return json;
    }

    /**
     * @return the value of {@code key}, a non-empty string
     * @throws InvalidOptionException if it is missing, not a string or empty
     */
    String requiredString(String key, String example) {
        JsonNode v = json.get(key);
        if (v == null) {
            throw new InvalidOptionException(capitalized() + " needs a \"" + key + "\" string in its configuration, "
                    + "e.g. " + example);
        }
        if (!v.isTextual() || v.textValue().isEmpty()) {
            throw new InvalidOptionException("Invalid value " + describe(v) + " for option '" + key + "' of "
                    + component + ": expected a non-empty string, e.g. " + example);
        }
        return v.textValue();
    }

    /**
     * @return the value of {@code key}, an object
     * @throws InvalidOptionException if it is missing or not an object
     */
    JsonNode requiredObject(String key) {
        JsonNode v = json.get(key);
        if (v == null) {
            throw new InvalidOptionException(capitalized() + " needs a \"" + key + "\" object in its configuration");
        }
        if (!v.isObject()) {
            throw new InvalidOptionException("Invalid value " + describe(v) + " for option '" + key + "' of "
                    + component + ": expected a JSON object");
        }
        return v;
    }

    private String capitalized() {
        return Character.toUpperCase(component.charAt(0)) + component.substring(1);
    }

    /**
     * Describes a JSON value for an error message: its JSON type and its compact text, cut after 40 characters, e.g.
     * {@code string "high"}, {@code integer 3}, {@code object {"a":1,...}}.
     */
    static String describe(JsonNode v) {
        if (v == null || v.isMissingNode()) {
            return "nothing";
        }
        if (v.isNull()) {
            return "null";
        }
        String text = Json.write(v);
        if (text.length() > MAX_SHOWN_CHARS) {
            text = text.substring(0, MAX_SHOWN_CHARS) + "...";
        }
        return typeName(v) + " " + text;
    }

    /** @return the JSON type of a value: object, array, string, integer (a whole JSON number), number, boolean, null */
    static String typeName(JsonNode v) {
        switch (v.getNodeType()) {
            case OBJECT:
                return "object";
            case ARRAY:
                return "array";
            case STRING:
                return "string";
            case NUMBER:
                return v.isIntegralNumber() ? "integer" : "number";
            case BOOLEAN:
                return "boolean";
            case NULL:
                return "null";
            default:
                return v.getNodeType().name().toLowerCase(Locale.ROOT);
        }
    }
}
