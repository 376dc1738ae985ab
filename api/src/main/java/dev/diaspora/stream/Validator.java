package dev.diaspora.stream;

import dev.diaspora.stream.internal.components.Components;

/**
 * Accepts or rejects an event before it leaves the producer's process. A topic's validator is stored with the topic
 * (as its {@link #config()}) so every process that opens the topic uses the same one.
 *
 * <p>Built-ins: {@code default} (accepts everything) and {@code schema} (required fields and JSON types, see
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
     * "integer"}}}}}, a subset of JSON Schema: {@code type} (object, array, string, number, integer, boolean, null, or
     * a list of them), {@code required}, {@code properties} (recursive), {@code items}, {@code enum},
     * {@code minimum}/{@code maximum}, {@code minLength}/{@code maxLength}, {@code additionalProperties: false}, and
     * the annotations {@code title}, {@code description}, {@code $comment}, {@code $schema}. Unknown keywords are
     * rejected when the validator is built, so a typo never silently accepts everything. A rejection lists every
     * violation with its JSON pointer.
     *
     * @throws ComponentNotFoundException if the type cannot be found
     * @throws InvalidOptionException if the configuration is malformed
     */
    static Validator fromConfig(Metadata config) {
        return Components.validator(config, null);
    }
}
