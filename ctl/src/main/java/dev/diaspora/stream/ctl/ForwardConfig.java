package dev.diaspora.stream.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.diaspora.stream.StartAt;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code forward} configuration file (YAML, as the C++ tool):
 *
 * <pre>
 * drivers:                       # alias -&gt; driver
 *   local:
 *     type: files                # driver name
 *     options: {root_path: /data/diaspora}
 * forward:                       # one worker per policy
 *   - from: local/raw            # alias/topic, split at the first '/'
 *     to: local/clean
 *     name: cleaner              # optional consumer name (default "local:raw-&gt;local:clean")
 *     start_at: earliest         # optional: where a new name starts (earliest, latest, id:N, time:ISO-8601)
 *     on_error: stop             # optional: stop (default) or skip an event that the transform or the
 *                                #   destination rejects for good
 *     transform:                 # optional
 *       command: "jq -c --unbuffered '.metadata.clean = true'"   # a string runs under sh -c; a list is argv
 *       mode: event              # event (one process per event, default) or service (one long-running process)
 *       data: true               # send the data (base64) to the command (default true)
 *       timeout: 30              # seconds to wait for an event's result (default 30)
 *       env: {LC_ALL: C}         # optional extra environment
 *       cwd: /tmp                # optional working directory
 * </pre>
 *
 * Unknown keys are errors. The C++ {@code data_selector} and {@code data_allocator} keys (shared-library plugins) are
 * rejected with an explanation.
 *
 * <p>Thread safety: immutable after {@link #read}.
 */
final class ForwardConfig {
    /** A driver alias. */
    record DriverSpec(String alias, String type, ObjectNode options) {
    }

    /** {@code alias/topic}. */
    record Endpoint(String alias, String topic) {
        @Override
        public String toString() {
            return alias + "/" + topic;
        }
    }

    /** How a transform runs. */
    enum Mode { event, service }

    /** A policy's transform. */
    record TransformSpec(List<String> command, Mode mode, boolean data, Duration timeout, Map<String, String> env,
            Path cwd) {
    }

    /** One forwarding policy. */
    record Policy(int index, Endpoint from, Endpoint to, String name, StartAt startAt, boolean skipErrors,
            TransformSpec transform) {
        String label() {
            return "policy " + index + " (" + from + " -> " + to + ")";
        }
    }

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    final Map<String, DriverSpec> drivers;
    final List<Policy> policies;

    private ForwardConfig(Map<String, DriverSpec> drivers, List<Policy> policies) {
        this.drivers = drivers;
        this.policies = policies;
    }

    /**
     * @throws CtlException naming the file, the key and what is expected
     */
    static ForwardConfig read(Path file) {
        JsonNode root;
        try {
            root = YAML.readTree(file.toFile());
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            throw new CtlException("--config: file " + file + " does not exist");
        } catch (IOException e) {
            throw new CtlException("--config: " + file + " is not valid YAML: " + DiasporaCtl.oneLine(e.getMessage()),
                    e);
        }
        return parse(root, file.toString());
    }

    static ForwardConfig parse(JsonNode root, String where) {
        if (root == null || !root.isObject()) {
            throw new CtlException(where + ": expected a mapping with 'drivers' and 'forward'");
        }
        keys(root, where, Set.of("drivers", "forward"));
        JsonNode ds = root.get("drivers");
        if (ds == null || !ds.isObject() || ds.isEmpty()) {
            throw new CtlException(where + ": 'drivers' must be a non-empty mapping of alias -> {type, options}");
        }
        Map<String, DriverSpec> drivers = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : ds.properties()) {
            String at = where + ": drivers." + e.getKey();
            if (!e.getValue().isObject()) {
                throw new CtlException(at + " must be a mapping with 'type' and optional 'options'");
            }
            keys(e.getValue(), at, Set.of("type", "options"));
            String type = text(e.getValue(), "type", at, true);
            JsonNode options = e.getValue().get("options");
            if (options != null && !options.isNull() && !options.isObject()) {
                throw new CtlException(at + ".options must be a mapping");
            }
            drivers.put(e.getKey(), new DriverSpec(e.getKey(), type,
                    options == null || options.isNull() ? YAML.createObjectNode() : (ObjectNode) options));
        }
        JsonNode fw = root.get("forward");
        if (fw == null || !fw.isArray() || fw.isEmpty()) {
            throw new CtlException(where + ": 'forward' must be a non-empty list of policies {from, to}");
        }
        List<Policy> policies = new ArrayList<>();
        int i = 0;
        for (JsonNode p : fw) {
            String at = where + ": forward[" + i + "]";
            if (!p.isObject()) {
                throw new CtlException(at + " must be a mapping with 'from' and 'to'");
            }
            if (p.has("data_selector") || p.has("data_allocator")) {
                throw new CtlException(at + ": data_selector and data_allocator (C++ shared-library plugins) are not "
                        + "supported; the Java tool forwards the whole data, or use a transform");
            }
            keys(p, at, Set.of("from", "to", "name", "start_at", "on_error", "transform"));
            Endpoint from = endpoint(text(p, "from", at, true), at + ".from", drivers);
            Endpoint to = endpoint(text(p, "to", at, true), at + ".to", drivers);
            String name = text(p, "name", at, false);
            if (name == null) {
                name = from.alias() + ":" + from.topic() + "->" + to.alias() + ":" + to.topic();
            }
            String s = text(p, "start_at", at, false);
            StartAt startAt;
            try {
                startAt = s == null ? StartAt.EARLIEST : ConsumeCommand.StartAtConverter.parse(s);
            } catch (IllegalArgumentException e) {
                throw new CtlException(at + ".start_at: " + e.getMessage());
            }
            String onError = text(p, "on_error", at, false);
            if (onError != null && !onError.equals("stop") && !onError.equals("skip")) {
                throw new CtlException(at + ".on_error: expected stop or skip, got '" + onError + "'");
            }
            TransformSpec transform = p.has("transform") ? transform(p.get("transform"), at + ".transform") : null;
            policies.add(new Policy(i, from, to, name, startAt, "skip".equals(onError), transform));
            i++;
        }
        return new ForwardConfig(drivers, policies);
    }

    private static TransformSpec transform(JsonNode t, String at) {
        if (!t.isObject()) {
            throw new CtlException(at + " must be a mapping with 'command'");
        }
        keys(t, at, Set.of("command", "mode", "data", "timeout", "env", "cwd"));
        JsonNode c = t.get("command");
        List<String> command = new ArrayList<>();
        if (c != null && c.isTextual() && !c.asText().isBlank()) {
            command.addAll(List.of("sh", "-c", c.asText()));
        } else if (c != null && c.isArray() && !c.isEmpty()) {
            for (JsonNode a : c) {
                if (!a.isValueNode() || a.isNull()) {
                    throw new CtlException(at + ".command: list items must be strings");
                }
                command.add(a.asText());
            }
        } else {
            throw new CtlException(at + ".command: expected a shell command string or a list of arguments");
        }
        String m = text(t, "mode", at, false);
        Mode mode;
        if (m == null || m.equals("event") || m.equals("single")) {
            mode = Mode.event;
        } else if (m.equals("service")) {
            mode = Mode.service;
        } else {
            throw new CtlException(at + ".mode: expected event or service, got '" + m + "'");
        }
        JsonNode d = t.get("data");
        if (d != null && !d.isBoolean()) {
            throw new CtlException(at + ".data: expected true or false");
        }
        JsonNode to = t.get("timeout");
        if (to != null && (!to.isNumber() || to.asDouble() <= 0)) {
            throw new CtlException(at + ".timeout: expected a number of seconds > 0");
        }
        Map<String, String> env = new LinkedHashMap<>();
        JsonNode e = t.get("env");
        if (e != null) {
            if (!e.isObject()) {
                throw new CtlException(at + ".env: expected a mapping of variable -> value");
            }
            e.properties().forEach(f -> env.put(f.getKey(), f.getValue().asText()));
        }
        String cwd = text(t, "cwd", at, false);
        return new TransformSpec(List.copyOf(command), mode, d == null || d.asBoolean(),
                to == null ? Duration.ofSeconds(30) : Duration.ofMillis((long) (to.asDouble() * 1000)),
                Map.copyOf(env), cwd == null ? null : Path.of(cwd));
    }

    private static Endpoint endpoint(String s, String at, Map<String, DriverSpec> drivers) {
        int slash = s.indexOf('/');
        if (slash <= 0 || slash == s.length() - 1) {
            throw new CtlException(at + ": expected <driver-alias>/<topic>, got '" + s + "'");
        }
        String alias = s.substring(0, slash);
        if (!drivers.containsKey(alias)) {
            throw new CtlException(at + ": unknown driver alias '" + alias + "' (defined: "
                    + String.join(", ", drivers.keySet()) + ")");
        }
        return new Endpoint(alias, s.substring(slash + 1));
    }

    private static String text(JsonNode node, String key, String at, boolean required) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            if (required) {
                throw new CtlException(at + ": missing '" + key + "'");
            }
            return null;
        }
        if (!v.isValueNode()) {
            throw new CtlException(at + "." + key + ": expected a string");
        }
        return v.asText();
    }

    private static void keys(JsonNode node, String at, Set<String> accepted) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext();) {
            String k = it.next();
            if (!accepted.contains(k)) {
                throw new CtlException(at + ": unknown key '" + k + "' (accepted: "
                        + String.join(", ", accepted.stream().sorted().toList()) + ")");
            }
        }
    }
}
