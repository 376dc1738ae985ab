package dev.diaspora.stream.spi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diaspora.stream.DriverInfo;
import dev.diaspora.stream.InvalidMetadataException;
import dev.diaspora.stream.InvalidOptionException;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.internal.json.Json;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The declared options of a driver or of its topics. {@link #validate} rejects unknown keys (naming the closest
 * accepted one), wrong types and out-of-range values, and fills in defaults.
 *
 * <p>Thread safety: immutable.
 */
public final class OptionSchema {
    /** The topic option every driver accepts. */
    public static final OptionSpec NUM_PARTITIONS = OptionSpec.integer(dev.diaspora.stream.TopicOptions.NUM_PARTITIONS).defaultValue(1).min(1)
            .max(65_536).doc("Number of partitions of the topic.");

    private final Map<String, OptionSpec> specs;

    private OptionSchema(Map<String, OptionSpec> specs) {
        this.specs = Collections.unmodifiableMap(specs);
    }

    /** @return a schema of these options */
    public static OptionSchema of(OptionSpec... specs) {
        Map<String, OptionSpec> m = new LinkedHashMap<>();
        for (OptionSpec s : specs) {
            if (m.put(s.name(), s) != null) {
                throw new IllegalArgumentException("option " + s.name() + " declared twice");
            }
        }
        return new OptionSchema(m);
    }

    /** @return a topic-options schema: {@link #NUM_PARTITIONS} plus these */
    public static OptionSchema topicOptions(OptionSpec... specs) {
        OptionSpec[] all = new OptionSpec[specs.length + 1];
        all[0] = NUM_PARTITIONS;
        System.arraycopy(specs, 0, all, 1, specs.length);
        return of(all);
    }

    /** @return the declared options, in declaration order */
    public List<OptionSpec> specs() {
        return List.copyOf(specs.values());
    }

    /** @return the documented form of each option */
    public List<DriverInfo.OptionInfo> infos() {
        List<DriverInfo.OptionInfo> out = new ArrayList<>();
        for (OptionSpec s : specs.values()) {
            out.add(s.info());
        }
        return out;
    }

    /**
     * Validates {@code options} and fills in defaults.
     *
     * @param what what the options are for, for messages ("driver 'files'", "topic 'x'")
     * @throws InvalidOptionException naming the key, the bad value and what is accepted
     */
    public Options validate(Metadata options, String what) {
        return validate(options, what, true);
    }

    /**
     * Validates the options given in {@code options} without filling in defaults or requiring anything: for changes
     * to options set earlier ({@code Driver.alterTopic}).
     *
     * @throws InvalidOptionException naming the key, the bad value and what is accepted
     */
    public Options validateChanges(Metadata options, String what) {
        return validate(options, what, false);
    }

    private Options validate(Metadata options, String what, boolean complete) {
        JsonNode root;
        try {
            root = options.json();
        } catch (InvalidMetadataException e) {
            throw new InvalidOptionException("Options of " + what + " are not valid JSON: " + e.getMessage(), e);
        }
        if (!root.isObject()) {
            throw new InvalidOptionException("Options of " + what + " must be a JSON object, got " + root);
        }
        ObjectNode out = Json.object();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            OptionSpec spec = specs.get(e.getKey());
            if (spec == null) {
                throw new InvalidOptionException("Unknown option '" + e.getKey() + "' for " + what + suggestion(e.getKey())
                        + ". Accepted options: " + (specs.isEmpty() ? "none" : String.join(", ", specs.keySet())));
            }
            String problem = spec.check(e.getValue());
            if (problem != null) {
                throw new InvalidOptionException("Invalid value " + e.getValue() + " for option '" + e.getKey() + "' of "
                        + what + ": " + problem + ". " + spec.doc());
            }
            out.set(e.getKey(), e.getValue());
        }
        for (OptionSpec s : complete ? specs.values() : List.<OptionSpec>of()) {
            if (!out.has(s.name())) {
                if (s.isRequired()) {
                    throw new InvalidOptionException("Missing required option '" + s.name() + "' for " + what + ": "
                            + s.doc());
                }
                if (s.defaultNode() != null) {
                    out.set(s.name(), s.defaultNode());
                }
            }
        }
        return new Options(out);
    }

    private String suggestion(String key) {
        String best = null;
        int bestD = Integer.MAX_VALUE;
        for (String k : specs.keySet()) {
            int d = distance(key.toLowerCase(java.util.Locale.ROOT), k.toLowerCase(java.util.Locale.ROOT));
            if (d < bestD) {
                bestD = d;
                best = k;
            }
        }
        return best != null && bestD <= Math.max(2, key.length() / 3) ? " (did you mean '" + best + "'?)" : "";
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int c = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + c);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
