package dev.diaspora.stream;

import dev.diaspora.stream.internal.components.Components;
import java.nio.ByteBuffer;

/**
 * Turns metadata into the bytes a driver stores, and back. The default stores the JSON text verbatim (no length
 * prefix: the drivers' indexes hold the length). Stored with the topic like the validator.
 *
 * <p>Threading: called concurrently from producer and consumer threads; implementations are thread-safe.
 */
public interface Serializer {
    /**
     * @param metadata the event's metadata
     * @return the bytes to store, in [position, limit); may be a view of the metadata's own text (no copy). The engine
     *     copies them into the batch and does not change the buffer's position.
     */
    ByteBuffer serialize(Metadata metadata);

    /**
     * @param stored the stored bytes in [position, limit); valid only during the call unless the result wraps them
     *     (the engine guarantees the consumer's batch buffer outlives the metadata that wraps it)
     * @return the metadata
     * @throws InvalidMetadataException if the bytes cannot be decoded
     */
    Metadata deserialize(ByteBuffer stored);

    /** @return the configuration that rebuilds this serializer; it holds {@code "type"} */
    Metadata config();

    /** @return the serializer that stores the JSON text verbatim */
    static Serializer defaultSerializer() {
        return Components.defaultSerializer();
    }

    /**
     * Builds a serializer from {@code {"type": ..., options...}}; the type is resolved as for
     * {@link Validator#fromConfig(Metadata)}.
     */
    static Serializer fromConfig(Metadata config) {
        return Components.serializer(config, null);
    }
}
