package dev.diaspora.stream.internal.components;

import com.fasterxml.jackson.databind.JsonNode;
import dev.diaspora.stream.InvalidOptionException;
import dev.diaspora.stream.internal.json.Json;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A compiled schema of the {@code schema} validator: a small subset of JSON Schema, checked over a Jackson tree with
 * no schema library. Keywords:
 * <ul>
 *   <li>{@code type}: a name or an array of names among {@code object, array, string, number, integer, boolean,
 *       null}; {@code integer} is any whole number ({@code 3.0} included), {@code number} any number;</li>
 *   <li>{@code required}: names of fields an object must have;</li>
 *   <li>{@code properties}: field name to sub-schema, checked when the field is present;</li>
 *   <li>{@code additionalProperties}: {@code false} rejects fields not listed in {@code properties};</li>
 *   <li>{@code items}: a sub-schema for every element of an array;</li>
 *   <li>{@code enum}: the allowed values (numbers compare by value, so {@code 1} equals {@code 1.0});</li>
 *   <li>{@code minimum}, {@code maximum}: inclusive bounds for numbers;</li>
 *   <li>{@code minLength}, {@code maxLength}: bounds on a string's length in Unicode code points.</li>
 * </ul>
 * As in JSON Schema, a keyword applies only to values of its type ({@code required} ignores a string). The annotations
 * {@code title, description, $comment, $schema} are accepted and ignored. Any other keyword is rejected when the
 * schema is compiled, so that a typo ({@code "requred"}) cannot silently turn a check off. Not API.
 *
 * <p>Thread safety: immutable.
 */
final class SchemaChecker {
    /** At most this many violations are spelled out in one message; the rest are counted. */
    static final int MAX_REPORTED = 100;

    private static final String SUPPORTED = "type, required, properties, additionalProperties, items, enum, minimum,"
            + " maximum, minLength, maxLength";
    private static final List<String> ANNOTATIONS = List.of("title", "description", "$comment", "$schema");
    private static final List<String> TYPE_NAMES =
            List.of("object", "array", "string", "number", "integer", "boolean", "null");
    private static final int OBJECT = 1;
    private static final int ARRAY = 1 << 1;
    private static final int STRING = 1 << 2;
    private static final int NUMBER = 1 << 3;
    private static final int INTEGER = 1 << 4;
    private static final int BOOLEAN = 1 << 5;
    private static final int NULL = 1 << 6;

    private final int typeMask; // 0 = any type
    private final String expected; // "integer" or "integer or null", for messages
    private final List<String> required;
    private final Map<String, SchemaChecker> properties;
    private final boolean additionalProperties;
    private final SchemaChecker items; // null = no constraint
    private final List<JsonNode> enumValues; // null = no constraint
    private final BigDecimal minimum; // null = no bound
    private final BigDecimal maximum;
    private final int minLength; // -1 = no bound
    private final int maxLength;

    private SchemaChecker(Builder b) {
        this.typeMask = b.typeMask;
        this.expected = String.join(" or ", b.typeNames);
        this.required = List.copyOf(b.required);
        this.properties = Collections.unmodifiableMap(new LinkedHashMap<>(b.properties));
        this.additionalProperties = b.additionalProperties;
        this.items = b.items;
        this.enumValues = b.enumValues == null ? null : List.copyOf(b.enumValues);
        this.minimum = b.minimum;
        this.maximum = b.maximum;
        this.minLength = b.minLength;
        this.maxLength = b.maxLength;
    }

    /**
     * Compiles a schema, reporting every problem in it at once.
     *
     * @throws InvalidOptionException naming each unknown keyword or malformed value with its place in the schema
     */
    static SchemaChecker compile(JsonNode schema) {
        List<String> problems = new ArrayList<>();
        SchemaChecker checker = compile(schema, "", problems);
        if (!problems.isEmpty()) {
            throw new InvalidOptionException("Invalid \"schema\" for the schema validator: "
                    + String.join("; ", problems));
        }
        return checker;
    }

    /**
     * Checks a value.
     *
     * @param out receives the first {@link #MAX_REPORTED} violations, each "pointer: what is wrong"
     * @return the number of violations, which may exceed what was added to {@code out}
     */
    int check(JsonNode value, List<String> out) {
        Violations v = new Violations(out);
        check(value, null, v);
        return v.total;
    }

    // ---------------------------------------------------------------------------------------------- checking

    private void check(JsonNode value, Pointer at, Violations v) {
        if (typeMask != 0 && (typeMask & typeBits(value)) == 0) {
            v.add(at, "expected " + expected + ", got " + ComponentConfig.describe(value));
            return; // the other keywords would only repeat the type mismatch
        }
        if (enumValues != null && !containsEqual(enumValues, value)) {
            v.add(at, "value " + ComponentConfig.describe(value) + " is not one of the allowed values "
                    + describeAll(enumValues));
        }
        if (value.isNumber()) {
            checkNumber(value, at, v);
        } else if (value.isTextual()) {
            checkString(value.textValue(), at, v);
        } else if (value.isObject()) {
            checkObject(value, at, v);
        } else if (value.isArray() && items != null) {
            for (int i = 0; i < value.size(); i++) {
                items.check(value.get(i), new Pointer(at, null, i), v);
            }
        }
    }

    private void checkNumber(JsonNode value, Pointer at, Violations v) {
        if (minimum == null && maximum == null) {
            return;
        }
        BigDecimal d = value.decimalValue();
        if (minimum != null && d.compareTo(minimum) < 0) {
            v.add(at, value.asText() + " is less than the minimum " + minimum.toPlainString());
        }
        if (maximum != null && d.compareTo(maximum) > 0) {
            v.add(at, value.asText() + " is greater than the maximum " + maximum.toPlainString());
        }
    }

    private void checkString(String s, Pointer at, Violations v) {
        if (minLength < 0 && maxLength < 0) {
            return;
        }
        int n = s.codePointCount(0, s.length());
        if (minLength >= 0 && n < minLength) {
            v.add(at, "string of " + n + " characters is shorter than minLength " + minLength);
        }
        if (maxLength >= 0 && n > maxLength) {
            v.add(at, "string of " + n + " characters is longer than maxLength " + maxLength);
        }
    }

    private void checkObject(JsonNode value, Pointer at, Violations v) {
        for (Map.Entry<String, SchemaChecker> p : properties.entrySet()) {
            JsonNode field = value.get(p.getKey());
            if (field != null) {
                p.getValue().check(field, new Pointer(at, p.getKey(), -1), v);
            }
        }
        for (String name : required) {
            if (!value.has(name)) {
                v.add(new Pointer(at, name, -1), "required field is missing");
            }
        }
        if (!additionalProperties) {
            for (Iterator<String> it = value.fieldNames(); it.hasNext(); ) {
                String name = it.next();
                if (!properties.containsKey(name)) {
                    v.add(new Pointer(at, name, -1), "field is not allowed by the schema (allowed: "
                            + (properties.isEmpty() ? "none" : String.join(", ", properties.keySet())) + ")");
                }
            }
        }
    }

    private static int typeBits(JsonNode value) {
        switch (value.getNodeType()) {
            case OBJECT:
                return OBJECT;
            case ARRAY:
                return ARRAY;
            case STRING:
                return STRING;
            case NUMBER:
                return isWhole(value) ? NUMBER | INTEGER : NUMBER;
            case BOOLEAN:
                return BOOLEAN;
            case NULL:
                return NULL;
            default:
                return 0; // binary or POJO nodes never come from parsed text
        }
    }

    private static boolean isWhole(JsonNode number) {
        if (number.isIntegralNumber()) {
            return true;
        }
        BigDecimal d = number.decimalValue();
        return d.signum() == 0 || d.scale() <= 0 || d.stripTrailingZeros().scale() <= 0;
    }

    private static boolean containsEqual(List<JsonNode> values, JsonNode value) {
        for (JsonNode candidate : values) {
            if (jsonEquals(candidate, value)) {
                return true;
            }
        }
        return false;
    }

    /** JSON equality: numbers by value, objects regardless of field order. */
    static boolean jsonEquals(JsonNode a, JsonNode b) {
        if (a.isNumber() && b.isNumber()) {
            return a.decimalValue().compareTo(b.decimalValue()) == 0;
        }
        if (a.isObject() && b.isObject()) {
            if (a.size() != b.size()) {
                return false;
            }
            for (Map.Entry<String, JsonNode> e : a.properties()) {
                JsonNode other = b.get(e.getKey());
                if (other == null || !jsonEquals(e.getValue(), other)) {
                    return false;
                }
            }
            return true;
        }
        if (a.isArray() && b.isArray()) {
            if (a.size() != b.size()) {
                return false;
            }
            for (int i = 0; i < a.size(); i++) {
                if (!jsonEquals(a.get(i), b.get(i))) {
                    return false;
                }
            }
            return true;
        }
        return a.equals(b);
    }

    private static String describeAll(List<JsonNode> values) {
        List<String> texts = new ArrayList<>(values.size());
        for (JsonNode value : values) {
            texts.add(Json.write(value));
        }
        String all = "[" + String.join(", ", texts) + "]";
        return all.length() > 200 ? all.substring(0, 200) + "...]" : all;
    }

    // --------------------------------------------------------------------------------------------- compiling

    private static SchemaChecker compile(JsonNode schema, String at, List<String> problems) {
        Builder b = new Builder();
        if (!schema.isObject()) {
            problems.add(display(at) + ": a schema must be a JSON object, got " + ComponentConfig.describe(schema));
            return new SchemaChecker(b);
        }
        for (Map.Entry<String, JsonNode> e : schema.properties()) {
            String key = e.getKey();
            JsonNode value = e.getValue();
            String here = at + "/" + escape(key);
            switch (key) {
                case "type":
                    compileType(value, here, b, problems);
                    break;
                case "required":
                    if (!value.isArray()) {
                        problems.add(display(here) + ": expected an array of field names, got "
                                + ComponentConfig.describe(value));
                        break;
                    }
                    for (int i = 0; i < value.size(); i++) {
                        if (value.get(i).isTextual()) {
                            b.required.add(value.get(i).textValue());
                        } else {
                            problems.add(display(here + "/" + i) + ": expected a field name, got "
                                    + ComponentConfig.describe(value.get(i)));
                        }
                    }
                    break;
                case "properties":
                    if (!value.isObject()) {
                        problems.add(display(here) + ": expected an object of field name to schema, got "
                                + ComponentConfig.describe(value));
                        break;
                    }
                    for (Map.Entry<String, JsonNode> prop : value.properties()) {
                        b.properties.put(prop.getKey(),
                                compile(prop.getValue(), here + "/" + escape(prop.getKey()), problems));
                    }
                    break;
                case "additionalProperties":
                    if (value.isBoolean()) {
                        b.additionalProperties = value.booleanValue();
                    } else {
                        problems.add(display(here) + ": only true or false is supported, got "
                                + ComponentConfig.describe(value));
                    }
                    break;
                case "items":
                    b.items = compile(value, here, problems);
                    break;
                case "enum":
                    if (!value.isArray() || value.size() == 0) {
                        problems.add(display(here) + ": expected a non-empty array of allowed values, got "
                                + ComponentConfig.describe(value));
                        break;
                    }
                    b.enumValues = new ArrayList<>();
                    value.forEach(b.enumValues::add);
                    break;
                case "minimum":
                case "maximum":
                    if (!value.isNumber()) {
                        problems.add(display(here) + ": expected a number, got " + ComponentConfig.describe(value));
                    } else if (key.equals("minimum")) {
                        b.minimum = value.decimalValue();
                    } else {
                        b.maximum = value.decimalValue();
                    }
                    break;
                case "minLength":
                case "maxLength":
                    if (!value.isNumber() || !isWhole(value) || value.decimalValue().signum() < 0
                            || value.decimalValue().compareTo(BigDecimal.valueOf(Integer.MAX_VALUE)) > 0) {
                        problems.add(display(here) + ": expected a non-negative integer, got "
                                + ComponentConfig.describe(value));
                    } else if (key.equals("minLength")) {
                        b.minLength = value.decimalValue().intValue();
                    } else {
                        b.maxLength = value.decimalValue().intValue();
                    }
                    break;
                default:
                    if (!ANNOTATIONS.contains(key)) {
                        problems.add(display(at) + ": unknown keyword '" + key + "' (supported: " + SUPPORTED
                                + "; ignored: " + String.join(", ", ANNOTATIONS) + ")");
                    }
                    break;
            }
        }
        return new SchemaChecker(b);
    }

    private static void compileType(JsonNode value, String here, Builder b, List<String> problems) {
        List<JsonNode> names = new ArrayList<>();
        if (value.isArray() && value.size() > 0) {
            value.forEach(names::add);
        } else if (value.isTextual()) {
            names.add(value);
        } else {
            problems.add(display(here) + ": expected a type name or a non-empty array of them ("
                    + String.join(", ", TYPE_NAMES) + "), got " + ComponentConfig.describe(value));
            return;
        }
        for (JsonNode name : names) {
            int i = name.isTextual() ? TYPE_NAMES.indexOf(name.textValue()) : -1;
            if (i < 0) {
                problems.add(display(here) + ": unknown type " + ComponentConfig.describe(name) + " (supported: "
                        + String.join(", ", TYPE_NAMES) + ")");
            } else {
                b.typeMask |= 1 << i; // bit order follows TYPE_NAMES
                b.typeNames.add(name.textValue());
            }
        }
    }

    /** @return the pointer for messages; the whole document is "(root)" */
    private static String display(String pointer) {
        return pointer.isEmpty() ? "(root)" : pointer;
    }

    /** Escapes a field name as a JSON pointer token (RFC 6901). */
    static String escape(String name) {
        return name.indexOf('~') < 0 && name.indexOf('/') < 0 ? name : name.replace("~", "~0").replace("/", "~1");
    }

    private static final class Builder {
        int typeMask;
        final List<String> typeNames = new ArrayList<>();
        final List<String> required = new ArrayList<>();
        final Map<String, SchemaChecker> properties = new LinkedHashMap<>();
        boolean additionalProperties = true;
        SchemaChecker items;
        List<JsonNode> enumValues;
        BigDecimal minimum;
        BigDecimal maximum;
        int minLength = -1;
        int maxLength = -1;
    }

    /** A JSON pointer built only when a violation needs it: a field name or an array index under a parent. */
    private static final class Pointer {
        final Pointer parent;
        final String name; // null for an array index
        final int index;

        Pointer(Pointer parent, String name, int index) {
            this.parent = parent;
            this.name = name;
            this.index = index;
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder();
            append(sb);
            return sb.toString();
        }

        private void append(StringBuilder sb) {
            if (parent != null) {
                parent.append(sb);
            }
            sb.append('/').append(name != null ? escape(name) : Integer.toString(index));
        }
    }

    /** Collects the first violations and counts all of them. */
    private static final class Violations {
        final List<String> out;
        int total;

        Violations(List<String> out) {
            this.out = out;
        }

        void add(Pointer at, String what) {
            total++;
            if (out.size() < MAX_REPORTED) {
                out.add((at == null ? "(root)" : at.toString()) + ": " + what);
            }
        }
    }
}
