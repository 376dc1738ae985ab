package dev.diaspora.stream.ctl;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Configuration objects for drivers, topics and components: a JSON file ({@code --driver-config} and friends) with
 * the dotted options merged over it (RFC 7386 merge patch, as the C++ tool's {@code merge_patch}: the command line
 * wins).
 *
 * <p>Unlike the C++ tool, a file that cannot be read is an error (C++ logs it and uses <code>{}</code>).
 *
 * <p>Thread safety: stateless.
 */
final class JsonConfig {
    static final ObjectMapper MAPPER = new ObjectMapper();

    private JsonConfig() {
    }

    /**
     * @param file a JSON file holding an object, or null for <code>{}</code>
     * @param option the option that named it, for messages
     * @throws CtlException if the file cannot be read, is not JSON, or is not an object
     */
    static ObjectNode readObject(Path file, String option) {
        if (file == null) {
            return JsonNodeFactory.instance.objectNode();
        }
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new CtlException(option + ": file " + file + " does not exist");
        } catch (IOException e) {
            throw new CtlException(option + ": cannot read " + file + ": " + e.getMessage(), e);
        }
        JsonNode node;
        try {
            node = MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new CtlException(option + ": " + file + " is not valid JSON: " + e.getOriginalMessage() + " (line "
                    + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")", e);
        }
        if (node == null || node.isMissingNode()) {
            return JsonNodeFactory.instance.objectNode();
        }
        if (!node.isObject()) {
            throw new CtlException(option + ": " + file + " must hold a JSON object, got " + kind(node));
        }
        return (ObjectNode) node;
    }

    /** @return {@code target} with {@code patch} merged into it per RFC 7386 (a null in the patch removes a key) */
    static JsonNode mergePatch(JsonNode target, JsonNode patch) {
        if (!patch.isObject()) {
            return patch;
        }
        ObjectNode out = target != null && target.isObject() ? ((ObjectNode) target).deepCopy()
                : JsonNodeFactory.instance.objectNode();
        for (Map.Entry<String, JsonNode> e : patch.properties()) {
            if (e.getValue().isNull()) {
                out.remove(e.getKey());
            } else {
                out.set(e.getKey(), mergePatch(out.get(e.getKey()), e.getValue()));
            }
        }
        return out;
    }

    /** @return the file's object with the dotted options of {@code prefix} merged over it */
    static ObjectNode merged(Path file, String option, DottedOptions dotted, String prefix) {
        return (ObjectNode) mergePatch(readObject(file, option), dotted.get(prefix));
    }

    static String kind(JsonNode node) {
        return node.isArray() ? "an array" : node.isTextual() ? "a string" : node.isNumber() ? "a number"
                : node.isBoolean() ? "a boolean" : node.isNull() ? "null" : "an object";
    }
}
