package dev.diaspora.stream.spi;

import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Serializer;

/**
 * Registers a {@link Serializer} under a name, through {@code java.util.ServiceLoader}
 * ({@code META-INF/services/dev.diaspora.stream.spi.SerializerProvider}).
 *
 * <p>Thread safety: implementations are thread-safe.
 */
public interface SerializerProvider {
    /** @return the name used as {@code "type"} in configurations */
    String name();

    /**
     * @param config the whole configuration, {@code "type"} included
     * @return a serializer whose {@code config()} rebuilds it
     */
    Serializer create(Metadata config);
}
