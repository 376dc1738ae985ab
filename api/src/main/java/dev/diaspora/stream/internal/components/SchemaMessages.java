package dev.diaspora.stream.internal.components;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Error;
import com.networknt.schema.path.NodePath;
import dev.diaspora.stream.internal.json.Json;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Words json-schema-validator's errors as "JSON pointer: what is wrong", e.g. {@code /energy: expected integer, got
 * string "high"}. The keywords users meet most ({@code type, required, additionalProperties, enum, minimum, maximum,
 * exclusiveMinimum, exclusiveMaximum, minLength, maxLength}) get a sentence that shows the offending value; any other
 * keyword gets the library's message followed by the keyword's name, e.g. {@code /name: does not match the regex
 * pattern ^[a-z]+$ (keyword 'pattern')}. The whole document is {@code (root)}. Not API.
 *
 * <p>Thread safety: stateless.
 */
final class SchemaMessages {
    private static final int MAX_ALLOWED_VALUES_CHARS = 200;

    private SchemaMessages() {
    }

    /**
     * Adds the first errors to {@code out}, each as one message, until {@code out} holds {@code max}.
     *
     * @param schema the schema the errors come from, to name the properties an {@code additionalProperties: false}
     *     allows; null to leave them out
     */
    static void format(List<Error> errors, JsonNode schema, int max, List<String> out) {
        for (int i = 0; i < errors.size() && out.size() < max; i++) {
            out.add(format(errors.get(i), schema));
        }
    }

    static String format(Error e, JsonNode schema) {
        String keyword = e.getKeyword() == null ? "" : e.getKeyword();
        String at = pointer(e.getInstanceLocation());
        JsonNode value = e.getInstanceNode();
        JsonNode bound = e.getSchemaNode();
        if (value != null && bound != null) {
            switch (keyword) {
                case "type":
                    return display(at) + ": expected " + typeNames(bound) + ", got " + ComponentConfig.describe(value);
                case "required":
                    return display(at + "/" + escape(e.getProperty())) + ": required field is missing";
                case "additionalProperties":
                    return display(at + "/" + escape(e.getProperty())) + ": field is not allowed by the schema"
                            + allowed(e, schema);
                case "enum":
                    return display(at) + ": value " + ComponentConfig.describe(value)
                            + " is not one of the allowed values " + describeAll(bound);
                case "minimum":
                case "maximum":
                case "exclusiveMinimum":
                case "exclusiveMaximum":
                    if (value.isNumber() && bound.isNumber()) {
                        return display(at) + ": " + value.asText() + bounds(keyword, value, bound);
                    }
                    break;
                case "minLength":
                case "maxLength":
                    if (value.isTextual()) {
                        String s = value.textValue();
                        return display(at) + ": string of " + s.codePointCount(0, s.length()) + " characters is "
                                + (keyword.equals("minLength") ? "shorter than" : "longer than") + " " + keyword + " "
                                + bound.asText();
                    }
                    break;
                default:
                    break;
            }
        }
        return display(at) + ": " + e.getMessage() + " (keyword '" + keyword + "')";
    }

    private static String bounds(String keyword, JsonNode value, JsonNode bound) {
        String limit = bound.decimalValue().toPlainString();
        // draft 4 spells an exclusive bound as "minimum" plus "exclusiveMinimum": true; the value then equals it
        boolean exclusive = keyword.startsWith("exclusive")
                || value.decimalValue().compareTo(bound.decimalValue()) == 0;
        boolean lower = keyword.equals("minimum") || keyword.equals("exclusiveMinimum");
        if (exclusive) {
            return lower ? " is not greater than the exclusive minimum " + limit
                    : " is not less than the exclusive maximum " + limit;
        }
        return lower ? " is less than the minimum " + limit : " is greater than the maximum " + limit;
    }

    private static String typeNames(JsonNode type) {
        if (type.isTextual()) {
            return type.textValue();
        }
        List<String> names = new ArrayList<>();
        for (JsonNode name : type) {
            names.add(name.isTextual() ? name.textValue() : Json.write(name));
        }
        return names.isEmpty() ? Json.write(type) : String.join(" or ", names);
    }

    /** @return " (allowed: a, b)", naming the properties next to the failing additionalProperties, or "" */
    private static String allowed(Error e, JsonNode schema) {
        NodePath keywordAt = e.getSchemaLocation() == null ? null : e.getSchemaLocation().getFragment();
        if (schema == null || keywordAt == null || keywordAt.getNameCount() == 0) {
            return "";
        }
        JsonNode parent = schema.at(pointer(keywordAt.getParent()));
        if (!parent.isObject() || !e.getSchemaNode().equals(parent.get("additionalProperties"))) {
            return ""; // the keyword lives in another document (a $ref'd meta-schema): nothing to name
        }
        List<String> names = new ArrayList<>();
        for (Iterator<String> it = parent.path("properties").fieldNames(); it.hasNext(); ) {
            names.add(it.next());
        }
        return " (allowed: " + (names.isEmpty() ? "none" : String.join(", ", names))
                + (parent.has("patternProperties") ? ", and names matching patternProperties" : "") + ")";
    }

    private static String describeAll(JsonNode values) {
        List<String> texts = new ArrayList<>(values.size());
        for (JsonNode value : values) {
            texts.add(Json.write(value));
        }
        String all = "[" + String.join(", ", texts) + "]";
        return all.length() > MAX_ALLOWED_VALUES_CHARS ? all.substring(0, MAX_ALLOWED_VALUES_CHARS) + "...]" : all;
    }

    /** @return the path as a JSON pointer (RFC 6901): "" for the whole document, "/a/0/b~1c" otherwise */
    static String pointer(NodePath path) {
        if (path == null) {
            return "";
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < path.getNameCount(); i++) {
            sb.append('/').append(escape(String.valueOf(path.getElement(i))));
        }
        return sb.toString();
    }

    /** @return the pointer for messages; the whole document is "(root)" */
    static String display(String pointer) {
        return pointer.isEmpty() ? "(root)" : pointer;
    }

    /** Escapes a field name as a JSON pointer token (RFC 6901). */
    static String escape(String name) {
        if (name == null) {
            return "";
        }
        return name.indexOf('~') < 0 && name.indexOf('/') < 0 ? name : name.replace("~", "~0").replace("/", "~1");
    }
}
