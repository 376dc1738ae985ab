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
     * "integer"}}}}}: JSON types {@code object, array, string, number, integer, boolean, null}, checked on the
     * top-level fields (and on nested objects that give {@code properties}).
     *
     * @throws ComponentNotFoundException if the type cannot be found
     * @throws InvalidOptionException if the configuration is malformed
     */
    static Validator fromConfig(Metadata config) {
        return Components.validator(config, null);
    }
}
