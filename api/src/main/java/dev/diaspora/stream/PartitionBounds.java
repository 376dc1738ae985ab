package dev.diaspora.stream;

/**
 * The EventIDs a partition holds: {@code [first, next)}. {@code first} is the first retained id, {@code next} the id
 * the next stored event will get. An empty partition has {@code first == next}.
 *
 * <p>Thread safety: immutable.
 *
 * @param first the first retained EventID
 * @param next the EventID of the next event to be stored
 */
public record PartitionBounds(long first, long next) {
    /** Checks {@code 0 <= first <= next}. */
    public PartitionBounds {
        if (first < 0 || next < first) {
            throw new IllegalArgumentException("invalid partition bounds [" + first + ", " + next + ")");
        }
    }

    /** @return the number of events retained */
    public long count() {
        return next - first;
    }
}
