package dev.diaspora.stream.ctl;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One command of the {@code fifo} daemon's control FIFO, in the C++ tool's syntax:
 *
 * <pre>
 * &lt;fifo-path&gt; -&gt; &lt;topic&gt; [(key=value, ...)]   producer: lines written to the FIFO become events
 * &lt;fifo-path&gt; &lt;- &lt;topic&gt; [(key=value, ...)]   consumer: events are written to the FIFO as lines
 * </pre>
 *
 * The arrows need their spaces; {@code " -> "} is looked for first. The path is the text before the arrow, trimmed.
 * After the arrow, the topic is the text up to {@code (} (or the end), trimmed; the options are between {@code (} and
 * the next {@code )} (text after it is ignored), split on commas, trimmed, and split at the first {@code =}. A pair
 * without {@code =} or with an empty key is skipped with a warning.
 *
 * <p>Thread safety: immutable.
 *
 * @param path the FIFO path
 * @param producer true for {@code ->}, false for {@code <-}
 * @param topic the topic name
 * @param options the options, in order
 */
record ControlLine(String path, boolean producer, String topic, Map<String, String> options) {
    private static final Logger LOG = LoggerFactory.getLogger(ControlLine.class);

    /**
     * @return the command, or null (with a warning logged) if the line is not a valid command; blank lines give null
     *     silently
     */
    static ControlLine parse(String line) {
        if (line.isBlank()) {
            return null;
        }
        boolean producer = true;
        int arrow = line.indexOf(" -> ");
        if (arrow < 0) {
            producer = false;
            arrow = line.indexOf(" <- ");
        }
        if (arrow < 0) {
            LOG.warn("Invalid command format: '{}' (expected '<fifo> -> <topic> (opts)' or '<fifo> <- <topic> (opts)')",
                    line);
            return null;
        }
        String path = line.substring(0, arrow).trim();
        String rest = line.substring(arrow + 4);
        String topic = rest;
        Map<String, String> options = new LinkedHashMap<>();
        int open = rest.indexOf('(');
        if (open >= 0) {
            int close = rest.indexOf(')', open);
            if (close < 0) {
                LOG.warn("Invalid command format: '{}' (missing ')')", line);
                return null;
            }
            topic = rest.substring(0, open);
            for (String pair : rest.substring(open + 1, close).split(",")) {
                String p = pair.trim();
                if (p.isEmpty()) {
                    continue;
                }
                int eq = p.indexOf('=');
                if (eq < 0) {
                    LOG.warn("Ignoring option '{}' without '=' in '{}'", p, line);
                    continue;
                }
                String key = p.substring(0, eq).trim();
                if (key.isEmpty()) {
                    LOG.warn("Ignoring option '{}' with an empty key in '{}'", p, line);
                    continue;
                }
                options.put(key, p.substring(eq + 1).trim());
            }
        }
        topic = topic.trim();
        if (path.isEmpty() || topic.isEmpty()) {
            LOG.warn("Invalid command format: '{}' (empty {})", line, path.isEmpty() ? "FIFO path" : "topic");
            return null;
        }
        return new ControlLine(path, producer, topic, Collections.unmodifiableMap(options));
    }
}
