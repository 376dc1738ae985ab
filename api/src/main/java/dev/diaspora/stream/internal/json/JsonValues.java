package dev.diaspora.stream.internal.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * Plain Java values to a JSON tree, for options given as maps: {@code null}, booleans, numbers, character sequences,
 * enums (their name), paths (their text), durations (milliseconds, the unit of every {@code *_ms}/{@code *.ms}
 * option), maps with string keys, iterables and arrays of those, and Jackson trees. Anything else is refused with the
 * key path and the type, so a typo such as passing a {@code File} or a bean fails at once instead of turning into an
 * unexpected option value.
 *
 * <p>Thread safety: stateless.
 */
public final class JsonValues {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private JsonValues() {
    }

    /** @return a JSON object holding {@code map}'s entries, converted as above */
    public static ObjectNode object(Map<String, ?> map) {
        return object(map, "");
    }

    private static ObjectNode object(Map<?, ?> map, String path) {
        ObjectNode o = NODES.objectNode();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!(e.getKey() instanceof String key)) {
                throw new IllegalArgumentException("option keys must be strings: " + describe(path) + " has key "
                        + e.getKey() + (e.getKey() == null ? "" : " (" + e.getKey().getClass().getName() + ")"));
            }
            o.set(key, value(e.getValue(), path.isEmpty() ? key : path + "." + key));
        }
        return o;
    }

    private static JsonNode value(Object v, String path) {
        if (v == null) {
            return NODES.nullNode();
        } else if (v instanceof JsonNode n) {
            return n.deepCopy();
        } else if (v instanceof Boolean b) {
            return NODES.booleanNode(b);
        } else if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
            return NODES.numberNode(((Number) v).longValue());
        } else if (v instanceof Double || v instanceof Float) {
            return NODES.numberNode(((Number) v).doubleValue());
        } else if (v instanceof BigInteger b) {
            return NODES.numberNode(b);
        } else if (v instanceof BigDecimal b) {
            return NODES.numberNode(b);
        } else if (v instanceof CharSequence || v instanceof Path) {
            return NODES.textNode(v.toString());
        } else if (v instanceof Enum<?> e) {
            return NODES.textNode(e.name());
        } else if (v instanceof Duration d) {
            return NODES.numberNode(d.toMillis());
        } else if (v instanceof Map<?, ?> m) {
            return object(m, path);
        } else if (v instanceof Iterable<?> it) {
            ArrayNode a = NODES.arrayNode();
            int i = 0;
            for (Object x : it) {
                a.add(value(x, path + "[" + i++ + "]"));
            }
            return a;
        } else if (v instanceof Object[] arr) {
            ArrayNode a = NODES.arrayNode();
            for (int i = 0; i < arr.length; i++) {
                a.add(value(arr[i], path + "[" + i + "]"));
            }
            return a;
        }
        throw new IllegalArgumentException("option " + describe(path) + " has a value of type "
                + v.getClass().getName() + ", which has no JSON form: give a string, number, boolean, Duration, "
                + "Path, enum, map or list");
    }

    private static String describe(String path) {
        return path.isEmpty() ? "the top-level object" : "'" + path + "'";
    }
}
