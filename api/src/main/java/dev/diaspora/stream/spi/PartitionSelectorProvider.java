package dev.diaspora.stream.spi;

import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.PartitionSelector;

/**
 * Registers a {@link PartitionSelector} under a name, through {@code java.util.ServiceLoader}
 * ({@code META-INF/services/dev.diaspora.stream.spi.PartitionSelectorProvider}).
 *
 * <p>Thread safety: implementations are thread-safe.
 */
public interface PartitionSelectorProvider {
    /** @return the name used as {@code "type"} in configurations */
    String name();

    /**
     * @param config the whole configuration, {@code "type"} included
     * @return a selector whose {@code config()} rebuilds it
     */
    PartitionSelector create(Metadata config);
}
