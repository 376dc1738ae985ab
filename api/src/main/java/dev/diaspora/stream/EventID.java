package dev.diaspora.stream;

/**
 * EventIDs are {@code long} offsets within a partition, from 0. This class holds the sentinel.
 *
 * <p>Thread safety: immutable.
 */
public final class EventID {
    /** The id of the sentinel event that ends a stream after {@link Consumer#unsubscribe()}. */
    public static final long NO_MORE_EVENTS = -1L;

    private EventID() {
    }
}
