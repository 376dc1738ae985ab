package dev.diaspora.stream;

import dev.diaspora.stream.internal.components.Components;

/**
 * Accepts or rejects an event before it leaves the producer's process. A topic's validator is stored with the topic
 * (as its {@link #config()}) so every process that opens the topic uses the same one.
 *
 * <p>Built-ins: {@code default} (accepts everything) and {@code schema} (the metadata must match a JSON Schema, see
 * {@link #fromConfig(Metadata)}). Others are found through {@link dev.diaspora.stream.spi.ValidatorProvider}.
 *
 * <p>Threading: {@code validate} is called concurrently from any producer thread; implementations are thread-safe.
 */
public interface Validator {
    /**
     * Checks one event.
     *
     * @param metadata the event's metadata
     * @param data the event's data; read it only with absolute operations
     * @throws ValidationException naming what is wrong, to reject the event (only its push fails)
     */
    void validate(Metadata metadata, DataView data);

    /** @return the configuration that rebuilds this validator through {@link #fromConfig}; it holds {@code "type"} */
    Metadata config();

    /** @return the validator that accepts every event */
    static Validator defaultValidator() {
        return Components.defaultValidator();
    }

    /**
     * Builds a validator from {@code {"type": ..., options...}}. The type is a provider name ({@code default},
     * {@code schema}, or one registered through {@code ServiceLoader}), a fully qualified class name, or
     * {@code name:path/to/plugin.jar}. No {@code type} gives the default.
     *
     * <p>The {@code schema} validator takes {@code {"type":"schema","schema":{"required":[...],"properties":{"f":{"type":
     * "integer"}}}}}: each event's metadata must match that JSON Schema. Every keyword of the draft is supported
     * ({@code oneOf}, {@code pattern}, {@code $ref} into {@code $defs}, {@code dependentRequired}, {@code if}/
     * {@code then}, ...); the draft is 2020-12 unless {@code $schema} names draft 2019-09, 7, 6 or 4. The schema is
     * checked when the validator is built: one its draft's meta-schema rejects, an unknown keyword (so a typo never
     * silently accepts everything), an unsupported {@code $schema} or a {@code $ref} that leaves the schema (nothing
     * is fetched) throws {@link InvalidOptionException} naming each problem with its JSON pointer. {@code format}
     * asserts under drafts 4 to 7 and only annotates under 2019-09 and 2020-12, as those drafts say;
     * {@code pattern} is a {@code java.util.regex} expression. A rejection lists every violation with its JSON
     * pointer, e.g. {@code /energy: expected integer, got string "high"}, or the keyword's name for the less common
     * keywords. The check parses each event's metadata into a tree (the producer's syntax check does not);
     * {@code ApiBenchmark.metadataSchemaValidate*} in the benchmarks module measures what that costs per event.
     *
     * @throws ComponentNotFoundException if the type cannot be found
     * @throws InvalidOptionException if the configuration is malformed
     */
    static Validator fromConfig(Metadata config) {
        return Components.validator(config, null);
    }
}
