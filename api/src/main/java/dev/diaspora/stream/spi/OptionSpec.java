package dev.diaspora.stream.spi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.diaspora.stream.DriverInfo;
import java.util.Objects;

/**
 * One declared option: key, JSON type, whether it is required, default, bounds and documentation. Declared once by a
 * driver; validates user input and renders {@link dev.diaspora.stream.Driver#available()}.
 *
 * <pre>{@code
 * OptionSpec.string("root_path").required().doc("Directory that holds the topics.")
 * OptionSpec.integer("num_partitions").defaultValue(1).min(1).doc("Number of partitions.")
 * }</pre>
 *
 * <p>Thread safety: immutable (each method returns a new spec).
 */
public final class OptionSpec {
    /** JSON types an option may have. */
    public enum Type {
        /** a JSON string */
        STRING,
        /** a whole JSON number */
        INTEGER,
        /** any JSON number */
        NUMBER,
        /** true or false */
        BOOLEAN,
        /** a JSON object */
        OBJECT,
        /** a JSON array */
        ARRAY
    }

    private final String name;
    private final Type type;
    private final boolean required;
    private final JsonNode defaultValue;
    private final Long min;
    private final Long max;
    private final String[] allowed;
    private final String doc;

    private OptionSpec(String name, Type type, boolean required, JsonNode defaultValue, Long min, Long max,
            String[] allowed, String doc) {
        this.name = name;
        this.type = type;
        this.required = required;
        this.defaultValue = defaultValue;
        this.min = min;
        this.max = max;
        this.allowed = allowed;
        this.doc = doc;
    }

    /** @return a string option */
    public static OptionSpec string(String name) {
        return new OptionSpec(Objects.requireNonNull(name), Type.STRING, false, null, null, null, null, "");
    }

    /** @return an integer option */
    public static OptionSpec integer(String name) {
        return new OptionSpec(Objects.requireNonNull(name), Type.INTEGER, false, null, null, null, null, "");
    }

    /** @return a number option */
    public static OptionSpec number(String name) {
        return new OptionSpec(Objects.requireNonNull(name), Type.NUMBER, false, null, null, null, null, "");
    }

    /** @return a boolean option */
    public static OptionSpec bool(String name) {
        return new OptionSpec(Objects.requireNonNull(name), Type.BOOLEAN, false, null, null, null, null, "");
    }

    /** @return an object option */
    public static OptionSpec object(String name) {
        return new OptionSpec(Objects.requireNonNull(name), Type.OBJECT, false, null, null, null, null, "");
    }

    /** @return an array option */
    public static OptionSpec array(String name) {
        return new OptionSpec(Objects.requireNonNull(name), Type.ARRAY, false, null, null, null, null, "");
    }

    /** @return this option, required */
    public OptionSpec required() {
        return new OptionSpec(name, type, true, defaultValue, min, max, allowed, doc);
    }

    /** @return this option with a default */
    public OptionSpec defaultValue(long value) {
        return new OptionSpec(name, type, required, JsonNodeFactory.instance.numberNode(value), min, max, allowed, doc);
    }

    /** @return this option with a default */
    public OptionSpec defaultValue(String value) {
        return new OptionSpec(name, type, required, JsonNodeFactory.instance.textNode(value), min, max, allowed, doc);
    }

    /** @return this option with a default */
    public OptionSpec defaultValue(boolean value) {
        return new OptionSpec(name, type, required, JsonNodeFactory.instance.booleanNode(value), min, max, allowed,
                doc);
    }

    /** @return this option with a lower bound (integers and numbers) */
    public OptionSpec min(long min) {
        return new OptionSpec(name, type, required, defaultValue, min, max, allowed, doc);
    }

    /** @return this option with an upper bound (integers and numbers) */
    public OptionSpec max(long max) {
        return new OptionSpec(name, type, required, defaultValue, min, max, allowed, doc);
    }

    /** @return this string option restricted to these values */
    public OptionSpec oneOf(String... values) {
        return new OptionSpec(name, type, required, defaultValue, min, max, values.clone(), doc);
    }

    /** @return this option with its documentation */
    public OptionSpec doc(String doc) {
        return new OptionSpec(name, type, required, defaultValue, min, max, allowed, Objects.requireNonNull(doc));
    }

    /** @return the key */
    public String name() {
        return name;
    }

    /** @return the type */
    public Type type() {
        return type;
    }

    /** @return whether it must be given */
    public boolean isRequired() {
        return required;
    }

    /** @return the documentation */
    public String doc() {
        return doc;
    }

    /** @return the default value (shared: do not modify it), or null if the option has none */
    public JsonNode defaultNode() {
        return defaultValue;
    }

    /** @return the documented form */
    public DriverInfo.OptionInfo info() {
        String d = defaultValue == null ? null : defaultValue.toString();
        StringBuilder full = new StringBuilder(doc);
        if (min != null || max != null) {
            full.append(" Range: [").append(min == null ? "" : min).append(", ").append(max == null ? "" : max)
                    .append("].");
        }
        if (allowed != null) {
            full.append(" One of: ").append(String.join(", ", allowed)).append('.');
        }
        return new DriverInfo.OptionInfo(name, type.name().toLowerCase(java.util.Locale.ROOT), required, d,
                full.toString());
    }

    /** @return null if {@code value} is acceptable, else what is wrong */
    String check(JsonNode value) {
        switch (type) {
            case STRING:
                if (!value.isTextual()) {
                    return "expected a string";
                }
                if (allowed != null && !java.util.Arrays.asList(allowed).contains(value.textValue())) {
                    return "expected one of " + String.join(", ", allowed);
                }
                return null;
            case INTEGER:
                if (!value.isIntegralNumber() || !value.canConvertToLong()) {
                    return "expected an integer";
                }
                return bounds(value.longValue());
            case NUMBER:
                if (!value.isNumber()) {
                    return "expected a number";
                }
                return bounds(value.doubleValue());
            case BOOLEAN:
                return value.isBoolean() ? null : "expected true or false";
            case OBJECT:
                return value.isObject() ? null : "expected a JSON object";
            case ARRAY:
                return value.isArray() ? null : "expected a JSON array";
            default:
                return "unknown type";
        }
    }

    private String bounds(double v) {
        if (min != null && v < min) {
            return "must be at least " + min;
        }
        if (max != null && v > max) {
            return "must be at most " + max;
        }
        return null;
    }
}
