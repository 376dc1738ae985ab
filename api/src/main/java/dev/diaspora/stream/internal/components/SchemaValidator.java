package dev.diaspora.stream.internal.components;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.ValidationException;
import dev.diaspora.stream.Validator;
import dev.diaspora.stream.internal.json.Json;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code schema} validator: checks each event's metadata against a JSON Schema given as
 * {@code {"type":"schema","schema":{...}}}, with json-schema-validator (drafts and what is refused when the validator
 * is built: {@link SchemaCompiler}); the data is not read. It runs after the producer's syntax check, on the tree that
 * {@link Metadata#json()} parses once per event. A mismatch throws {@link ValidationException} listing every
 * violation (the first {@link #MAX_REPORTED}, then a count), each as a JSON pointer and what is wrong
 * ({@link SchemaMessages}), e.g. {@code Metadata does not match the topic's schema: /energy: expected integer, got
 * string "high"; /detector: required field is missing}. Metadata that is not valid JSON throws the
 * {@code InvalidMetadataException} of {@link Metadata#json()}.
 *
 * <p>Thread safety: immutable; {@link #validate} may be called from any number of threads at once.
 */
final class SchemaValidator implements Validator {
    /** At most this many violations are spelled out in one message; the rest are counted. */
    static final int MAX_REPORTED = 100;

    private final Schema schema;
    private final JsonNode schemaNode;
    private final Metadata config;

    private SchemaValidator(Schema schema, JsonNode schemaNode, Metadata config) {
        this.schema = schema;
        this.schemaNode = schemaNode;
        this.config = config;
    }

    /**
     * @throws dev.diaspora.stream.InvalidOptionException if {@code "schema"} is missing or not an object, or if the
     *     schema is not a valid schema of its draft, uses an unknown keyword or names an unsupported draft
     */
    static SchemaValidator fromConfig(Metadata config) {
        ComponentConfig options = ComponentConfig.of("the schema validator", config, "type", "schema");
        // a copy: later changes to the caller's tree cannot change what is checked
        JsonNode schema = options.requiredObject("schema").deepCopy();
        Schema compiled = SchemaCompiler.compile(schema);
        ObjectNode node = Json.object();
        node.put("type", SchemaValidatorProvider.NAME);
        node.set("schema", schema);
        return new SchemaValidator(compiled, schema, Metadata.of(node));
    }

    @Override
    public void validate(Metadata metadata, DataView data) {
        JsonNode json = metadata.json();
        List<Error> errors = schema.validate(json);
        if (!errors.isEmpty()) {
            List<String> violations = new ArrayList<>(Math.min(errors.size(), MAX_REPORTED));
            SchemaMessages.format(errors, schemaNode, MAX_REPORTED, violations);
            StringBuilder msg = new StringBuilder("Metadata does not match the topic's schema: ")
                    .append(String.join("; ", violations));
            if (errors.size() > violations.size()) {
                msg.append("; and ").append(errors.size() - violations.size()).append(" more");
            }
            throw new ValidationException(msg.toString());
        }
    }

    @Override
    public Metadata config() {
        return config;
    }

    @Override
    public String toString() {
        return "Validator[" + config + "]";
    }
}
