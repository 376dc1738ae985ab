package dev.diaspora.stream;

import java.util.Objects;

/**
 * A partition of a topic: its index and driver-defined metadata (for example the server that holds it).
 *
 * <p>Thread safety: immutable.
 */
public final class PartitionInfo {
    private final int index;
    private final Metadata metadata;

    /**
     * @param index the partition index, from 0
     * @param metadata driver-defined description, {@code {}} if none
     */
    public PartitionInfo(int index, Metadata metadata) {
        if (index < 0) {
            throw new IllegalArgumentException("partition index must be >= 0, got " + index);
        }
        this.index = index;
        this.metadata = Objects.requireNonNull(metadata, "metadata");
    }

    /** @return the partition index, from 0 */
    public int index() {
        return index;
    }

    /** @return the driver-defined description */
    public Metadata metadata() {
        return metadata;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PartitionInfo && ((PartitionInfo) o).index == index
                && ((PartitionInfo) o).metadata.equals(metadata);
    }

    @Override
    public int hashCode() {
        return index * 31 + metadata.hashCode();
    }

    @Override
    public String toString() {
        return "partition " + index + " " + metadata;
    }
}
