package dev.diaspora.stream.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The dotted options of the C++ tool: every {@code --driver.K V}, {@code --topic.K V}, {@code --validator.K V},
 * {@code --serializer.K V} and {@code --partition-selector.K V} pair is taken out of the arguments before picocli sees
 * them and placed into one JSON object per prefix. {@code K} may be dotted ({@code a.b.c} builds nested objects,
 * replacing a non-object on the way), except the topic options whose names have dots: {@code --topic.retention.ms},
 * {@code --topic.retention.bytes} and {@code --topic.segment.ms} set those options. {@code --driver.K=V} is accepted
 * too.
 *
 * <p>Value typing follows the C++ tool's {@code parse_value}:
 * <ul>
 *   <li>an optional sign followed by digits with at most one dot ({@code 42}, {@code -7}, {@code 1.5}, {@code 1.},
 *       {@code .5}) is a number: an integer without a dot, a double with one;</li>
 *   <li>otherwise, text containing a comma is an array of the comma-separated items, each typed the same way;</li>
 *   <li>otherwise it is a string. {@code true} and {@code false} stay strings, as in C++; give booleans in a
 *       {@code --*-config} file.</li>
 * </ul>
 * Two deliberate additions: text that starts with {@code [} or <code>{</code> and parses as JSON is that JSON value
 * (so {@code --driver.plugin_path '["/opt/plugins"]'} gives a one-element array), and a lone {@code .}, which crashes
 * the C++ tool, is the string {@code "."}.
 *
 * <p>Thread safety: confined to one thread (built once per command line, then read-only).
 */
final class DottedOptions {
    /** The prefixes, in the order the help lists them. */
    static final List<String> PREFIXES = List.of("driver", "topic", "validator", "serializer", "partition-selector");
    private static final String TOPIC = "topic";
    /** Topic options whose names contain dots: {@code --topic.retention.ms V} sets them instead of nesting. */
    private static final java.util.Set<String> DOTTED_TOPIC_OPTIONS = java.util.Set.of(
            dev.diaspora.stream.spi.Retention.RETENTION_MS, dev.diaspora.stream.spi.Retention.RETENTION_BYTES,
            dev.diaspora.stream.spi.Retention.SEGMENT_MS);

    private static final Pattern NUMBER = Pattern.compile("[+-]?(?:[0-9]+\\.?[0-9]*|\\.[0-9]+)");
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final Map<String, ObjectNode> objects;
    private final List<String> remaining;

    private DottedOptions(Map<String, ObjectNode> objects, List<String> remaining) {
        this.objects = objects;
        this.remaining = remaining;
    }

    /**
     * Takes the dotted pairs out of {@code args}. Arguments after {@code --} are left alone.
     *
     * @throws CtlException if a dotted option has no value or an empty key
     */
    static DottedOptions extract(String[] args) {
        Map<String, ObjectNode> objects = new LinkedHashMap<>();
        List<String> rest = new ArrayList<>();
        boolean endOfOptions = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String prefix = endOfOptions ? null : prefixOf(a);
            if (a.equals("--")) {
                endOfOptions = true;
            }
            if (prefix == null) {
                rest.add(a);
                continue;
            }
            String keyAndValue = a.substring(prefix.length() + 3);
            String key;
            String value;
            int eq = keyAndValue.indexOf('=');
            if (eq >= 0) {
                key = keyAndValue.substring(0, eq);
                value = keyAndValue.substring(eq + 1);
            } else {
                key = keyAndValue;
                if (i + 1 >= args.length) {
                    throw new CtlException("option " + a + " needs a value: " + a + " <value>");
                }
                value = args[++i];
            }
            if (key.isEmpty() || key.startsWith(".") || key.endsWith(".") || key.contains("..")) {
                throw new CtlException("invalid option " + a + ": expected --" + prefix
                        + ".<key> <value> where <key> is a name or a dotted path such as a.b.c");
            }
            ObjectNode target = objects.computeIfAbsent(prefix, p -> JsonNodeFactory.instance.objectNode());
            if (TOPIC.equals(prefix) && DOTTED_TOPIC_OPTIONS.contains(key)) {
                target.set(key, parseValue(value)); // an option whose name has dots, not a nested object
            } else {
                put(target, key, parseValue(value));
            }
        }
        return new DottedOptions(objects, rest);
    }

    private static String prefixOf(String arg) {
        for (String p : PREFIXES) {
            if (arg.startsWith("--" + p + ".")) {
                return p;
            }
        }
        return null;
    }

    /** Puts {@code value} at the dotted path {@code key}, creating (or replacing non-object) intermediate objects. */
    private static void put(ObjectNode root, String key, JsonNode value) {
        String[] path = key.split("\\.");
        ObjectNode node = root;
        for (int i = 0; i < path.length - 1; i++) {
            JsonNode child = node.get(path[i]);
            if (child == null || !child.isObject()) {
                child = node.putObject(path[i]);
            }
            node = (ObjectNode) child;
        }
        node.set(path[path.length - 1], value);
    }

    /** Types one value as described in the class comment. */
    static JsonNode parseValue(String text) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        if (!text.isEmpty() && !text.equals(".") && !text.equals("+.") && !text.equals("-.")
                && NUMBER.matcher(text).matches()) {
            String t = text.startsWith("+") ? text.substring(1) : text;
            if (t.indexOf('.') >= 0) {
                return f.numberNode(Double.parseDouble(t));
            }
            BigInteger big = new BigInteger(t);
            return big.bitLength() < 64 ? f.numberNode(big.longValue()) : f.numberNode(big);
        }
        if (text.startsWith("[") || text.startsWith("{")) {
            try {
                JsonNode json = MAPPER.readTree(text);
                if (json != null && (json.isArray() || json.isObject())) {
                    return json;
                }
            } catch (java.io.IOException notJson) {
                // fall through to the C++ rules
            }
        }
        if (text.indexOf(',') >= 0) {
            ArrayNode array = f.arrayNode();
            for (String item : text.split(",", -1)) {
                array.add(parseValue(item));
            }
            return array;
        }
        return f.textNode(text);
    }

    /** @return the arguments with every dotted pair removed, for picocli */
    String[] remaining() {
        return remaining.toArray(new String[0]);
    }

    /** @return the prefixes that were given at least once */
    Set<String> prefixesGiven() {
        return Collections.unmodifiableSet(objects.keySet());
    }

    /** @return the object built for {@code prefix}: a copy, empty if none was given */
    ObjectNode get(String prefix) {
        ObjectNode o = objects.get(prefix);
        return o == null ? JsonNodeFactory.instance.objectNode() : o.deepCopy();
    }

    /** @return true if any {@code --prefix.K} was given */
    boolean has(String prefix) {
        return objects.containsKey(prefix);
    }
}
