package dev.diaspora.stream.internal.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;

/**
 * All Jackson use of the api module beyond the {@link JsonNode} that {@code Metadata.json()} returns. Not API.
 */
public final class Json {
    // Source text stays out of error locations: metadata can be large or private; line and column are enough.
    // The read limits are JsonSyntax's, which the producer enforces at push: a consumer parses whatever was accepted.
    private static final JsonFactory FACTORY = JsonFactory.builder()
            .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxStringLength(JsonSyntax.MAX_STRING_CHARS)
                    .maxNestingDepth(JsonSyntax.MAX_DEPTH)
                    .maxNumberLength(JsonSyntax.MAX_NUMBER_DIGITS)
                    .maxNameLength(JsonSyntax.MAX_NAME_BYTES)
                    .maxDocumentLength(JsonSyntax.MAX_DOCUMENT_BYTES)
                    .build())
            .build();
    private static final ObjectMapper MAPPER = new ObjectMapper(FACTORY);

    private Json() {
    }

    /** @return a new empty object node */
    public static ObjectNode object() {
        return JsonNodeFactory.instance.objectNode();
    }

    /**
     * Parses UTF-8 JSON text into a tree.
     *
     * @throws JsonSyntaxError with line and column on bad input
     */
    public static JsonNode parse(byte[] utf8, int offset, int length) {
        try (JsonParser p = FACTORY.createParser(utf8, offset, length)) {
            JsonNode node = MAPPER.readTree(p);
            if (node == null) {
                throw new JsonSyntaxError("empty document", 1, 1);
            }
            if (p.nextToken() != null) {
                JsonLocation loc = p.currentTokenLocation();
                throw new JsonSyntaxError("unexpected content after the JSON value", loc.getLineNr(), loc.getColumnNr());
            }
            return node;
        } catch (JsonProcessingException e) {
            throw syntaxError(e);
        } catch (IOException e) {
            throw new JsonSyntaxError(e.getMessage(), 0, 0);
        }
    }

    /** @return compact JSON text of the node */
    public static String write(JsonNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
    }

    /** @return JSON text of the node with two-space indentation */
    public static String writePretty(JsonNode node) {
        try {
            return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
    }

    private static JsonSyntaxError syntaxError(JsonProcessingException e) {
        JsonLocation loc = e.getLocation();
        String msg = e.getOriginalMessage();
        int nl = msg.indexOf('\n');
        if (nl > 0) {
            msg = msg.substring(0, nl);
        }
        if (e instanceof JsonParseException || loc != null) {
            return new JsonSyntaxError(msg, loc == null ? 0 : loc.getLineNr(), loc == null ? 0 : loc.getColumnNr());
        }
        return new JsonSyntaxError(msg, 0, 0);
    }

    /** A JSON syntax error with its position; turned into an {@code InvalidMetadataException} by callers. */
    public static final class JsonSyntaxError extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final int line;
        private final int column;
        private final int offset;
        private final boolean limit;

        JsonSyntaxError(String message, int line, int column) {
            this(message, line, column, -1);
        }

        JsonSyntaxError(String message, int line, int column, int offset) {
            this(message, line, column, offset, false);
        }

        JsonSyntaxError(String message, int line, int column, int offset, boolean limit) {
            super(message, null, false, false);
            this.line = line;
            this.column = column;
            this.offset = offset;
            this.limit = limit;
        }

        /** @return true if the text is JSON but a value is over one of {@link JsonSyntax}'s limits */
        public boolean limit() {
            return limit;
        }

        /** @return 1-based line, 0 if unknown */
        public int line() {
            return line;
        }

        /** @return 1-based column, 0 if unknown */
        public int column() {
            return column;
        }

        /** @return 0-based byte offset in the text, -1 if unknown */
        public int offset() {
            return offset;
        }

        /** @return "message at line L, column C (byte offset N)", the parts that are known */
        public String describe() {
            String at = line > 0 ? getMessage() + " at line " + line + ", column " + column : getMessage();
            return offset >= 0 ? at + " (byte offset " + offset + ")" : at;
        }
    }
}
