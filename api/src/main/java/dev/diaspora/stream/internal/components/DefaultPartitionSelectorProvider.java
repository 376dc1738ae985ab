package dev.diaspora.stream.internal.components;

import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.PartitionSelector;
import dev.diaspora.stream.spi.PartitionSelectorProvider;

/**
 * Registers the {@code default} partition selector (round robin; an explicit partition is kept). It takes no option
 * but {@code "type"}. Not API: public only because {@link java.util.ServiceLoader} needs it.
 *
 * <p>Thread safety: immutable.
 */
public final class DefaultPartitionSelectorProvider implements PartitionSelectorProvider {
    /** The name used as {@code "type"}. */
    public static final String NAME = "default";

    /** Called by {@link java.util.ServiceLoader}. */
    public DefaultPartitionSelectorProvider() {
    }

    @Override
    public String name() {
        return NAME;
    }

    /** @return a new selector, with its own counter */
    @Override
    public PartitionSelector create(Metadata config) {
        ComponentConfig.of("the default partition selector", config, "type");
        return new RoundRobinSelector();
    }
}
