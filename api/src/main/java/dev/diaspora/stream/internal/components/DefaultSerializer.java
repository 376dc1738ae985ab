package dev.diaspora.stream.internal.components;

import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Serializer;
import java.nio.ByteBuffer;

/**
 * The {@code default} serializer: stores the metadata's UTF-8 JSON text verbatim, with no length prefix (the drivers'
 * indexes hold the length; a deliberate difference from C++). Neither direction copies or parses. Configuration
 * {@code {"type":"default"}}.
 *
 * <p>Thread safety: immutable.
 */
final class DefaultSerializer implements Serializer {
    static final DefaultSerializer INSTANCE = new DefaultSerializer();
    private static final Metadata CONFIG = Metadata.of("{\"type\":\"default\"}");

    private DefaultSerializer() {
    }

    /** @return a read-only view of the metadata's text; does not copy */
    @Override
    public ByteBuffer serialize(Metadata metadata) {
        return metadata.utf8();
    }

    /** @return metadata that wraps {@code stored}'s [position, limit) without copying when it has an array */
    @Override
    public Metadata deserialize(ByteBuffer stored) {
        return Metadata.ofUtf8(stored);
    }

    @Override
    public Metadata config() {
        return CONFIG;
    }

    @Override
    public String toString() {
        return "Serializer[default]";
    }
}
