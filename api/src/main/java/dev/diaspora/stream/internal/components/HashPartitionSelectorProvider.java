package dev.diaspora.stream.internal.components;

import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.PartitionSelector;
import dev.diaspora.stream.spi.PartitionSelectorProvider;

/**
 * Registers the {@code hash} partition selector, {@code {"type":"hash","field":"key"}}: events with equal values of
 * the field go to one partition (see {@code HashSelector}). Not API: public only because
 * {@link java.util.ServiceLoader} needs it.
 *
 * <p>Thread safety: immutable.
 */
public final class HashPartitionSelectorProvider implements PartitionSelectorProvider {
    /** The name used as {@code "type"}. */
    public static final String NAME = "hash";

    /** Called by {@link java.util.ServiceLoader}. */
    public HashPartitionSelectorProvider() {
    }

    @Override
    public String name() {
        return NAME;
    }

    /** @return a new selector, with its own round-robin counter for events without the field */
    @Override
    public PartitionSelector create(Metadata config) {
        return HashSelector.fromConfig(config);
    }
}
