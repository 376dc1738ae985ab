package dev.diaspora.stream.internal.components;

import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Serializer;
import dev.diaspora.stream.spi.SerializerProvider;

/**
 * Registers the {@code default} serializer, which stores the JSON text verbatim. It takes no option but
 * {@code "type"}. Not API: public only because {@link java.util.ServiceLoader} needs it.
 *
 * <p>Thread safety: immutable.
 */
public final class DefaultSerializerProvider implements SerializerProvider {
    /** The name used as {@code "type"}. */
    public static final String NAME = "default";

    /** Called by {@link java.util.ServiceLoader}. */
    public DefaultSerializerProvider() {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Serializer create(Metadata config) {
        ComponentConfig.of("the default serializer", config, "type");
        return DefaultSerializer.INSTANCE;
    }
}
