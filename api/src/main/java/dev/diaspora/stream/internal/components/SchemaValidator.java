package dev.diaspora.stream.internal.components;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.ValidationException;
import dev.diaspora.stream.Validator;
import dev.diaspora.stream.internal.json.Json;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code schema} validator: checks each event's metadata against a schema given as
 * {@code {"type":"schema","schema":{...}}} (keywords in {@link SchemaChecker}); the data is not read. A mismatch
 * throws {@link ValidationException} listing every violation, each as a JSON pointer and what is wrong, e.g.
 * {@code Metadata does not match the topic's schema: /energy: expected integer, got string "high"; /detector:
 * required field is missing}. Metadata that is not valid JSON throws the {@code InvalidMetadataException} of
 * {@link Metadata#json()}.
 *
 * <p>Thread safety: immutable.
 */
final class SchemaValidator implements Validator {
    private final SchemaChecker checker;
    private final Metadata config;

    private SchemaValidator(SchemaChecker checker, Metadata config) {
        this.checker = checker;
        this.config = config;
    }

    /**
     * @throws dev.diaspora.stream.InvalidOptionException if {@code "schema"} is missing, not an object, or uses an
     *     unsupported keyword or a malformed value
     */
    static SchemaValidator fromConfig(Metadata config) {
        ComponentConfig options = ComponentConfig.of("the schema validator", config, "type", "schema");
        JsonNode schema = options.requiredObject("schema");
        SchemaChecker checker = SchemaChecker.compile(schema);
        ObjectNode node = Json.object();
        node.put("type", SchemaValidatorProvider.NAME);
        node.set("schema", schema);
        return new SchemaValidator(checker, Metadata.of(node)); // snapshots: later changes to the tree do not matter
    }

    @Override
    public void validate(Metadata metadata, DataView data) {
        JsonNode json = metadata.json();
        List<String> violations = new ArrayList<>();
        int total = checker.check(json, violations);
        if (total > 0) {
            StringBuilder msg = new StringBuilder("Metadata does not match the topic's schema: ")
                    .append(String.join("; ", violations));
            if (total > violations.size()) {
                msg.append("; and ").append(total - violations.size()).append(" more");
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
