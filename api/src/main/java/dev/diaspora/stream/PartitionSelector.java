package dev.diaspora.stream;

import dev.diaspora.stream.internal.components.Components;
import java.util.List;

/**
 * Chooses the partition of each pushed event. Stored with the topic like the validator.
 *
 * <p>Built-ins: {@code default} (round robin; an explicit partition is returned unchanged and does not advance the
 * counter) and {@code hash} ({@code {"type":"hash","field":"key"}}, the field may be a dotted path {@code a.b.c}: the
 * partition is FNV-1a 32-bit, taken as unsigned, modulo the partition count, over the field's UTF-8 text for a string
 * or its compact JSON text otherwise; equal keys go to one partition in every process and version; events without the
 * field go round robin).
 *
 * <p>Threading: called concurrently from any producer thread; implementations are thread-safe.
 */
public interface PartitionSelector {
    /**
     * @param metadata the event's metadata
     * @param requested the partition the caller asked for, already checked to be in range, or -1 for none
     * @param partitions the topic's partitions (never empty)
     * @return a partition index in [0, partitions.size())
     */
    int select(Metadata metadata, int requested, List<PartitionInfo> partitions);

    /** @return the configuration that rebuilds this selector; it holds {@code "type"} */
    Metadata config();

    /** @return a new round-robin selector */
    static PartitionSelector defaultSelector() {
        return Components.defaultSelector();
    }

    /**
     * Builds a selector from {@code {"type": ..., options...}}; the type is resolved as for
     * {@link Validator#fromConfig(Metadata)}.
     */
    static PartitionSelector fromConfig(Metadata config) {
        return Components.selector(config, null);
    }
}
