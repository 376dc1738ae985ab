package dev.diaspora.stream;

import java.util.Set;

/**
 * Told when a consumer's partitions change: a consumer without explicit targets is a member of the group of its name,
 * and partitions move between members when members join, leave or stop heartbeating (see {@link Consumer}).
 *
 * <p>Threading: called on the consumer's fetch thread, one call at a time, never under an engine lock. A listener
 * that throws is reported to the consumer's {@link BackgroundErrorHandler} (logged at WARN by default) and the consumer
 * goes on. A slow listener delays the consumer's heartbeats: keep it
 * shorter than {@link ConsumerOptions#sessionTimeout()}.
 */
public interface AssignmentListener {
    /** The listener that does nothing (the default). */
    AssignmentListener NONE = new AssignmentListener() {
    };

    /**
     * The consumer now reads {@code partitions} too (their events start at the position stored for the name, else at
     * {@link ConsumerOptions#startAt()}).
     */
    default void onAssigned(Set<Integer> partitions) {
    }

    /**
     * The consumer is giving {@code partitions} up. Acknowledgements made before this returns are stored (unless the
     * consumer had lost the leases by missing its heartbeats: then their new reader starts after the last stored
     * acknowledgement), the prefetched events of them are dropped, and a later {@link Event#acknowledge()} of one of
     * their events throws {@link ConsumerConflictException} (that event is delivered again to the new reader).
     */
    default void onRevoked(Set<Integer> partitions) {
    }
}
