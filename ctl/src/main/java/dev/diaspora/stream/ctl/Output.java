package dev.diaspora.stream.ctl;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.diaspora.stream.Metadata;

/**
 * How JSON goes to stdout: one line per document (the stored text of metadata kept verbatim, its line breaks, which
 * JSON only allows as whitespace, turned into spaces), or pretty-printed for documents meant for people.
 *
 * <p>Thread safety: stateless.
 */
final class Output {
    private Output() {
    }

    /** @return the metadata's stored JSON text on one line, otherwise unchanged */
    static String compact(Metadata m) {
        String s = m.toString();
        return s.indexOf('\n') < 0 && s.indexOf('\r') < 0 ? s : s.replace('\r', ' ').replace('\n', ' ');
    }

    /** @return the node as compact JSON */
    static String compact(JsonNode node) {
        try {
            return JsonConfig.MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** @return the node as indented JSON */
    static String pretty(JsonNode node) {
        try {
            return JsonConfig.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON: " + e.getOriginalMessage(), e);
        }
    }
}
