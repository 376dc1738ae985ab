package dev.diaspora.stream;

/**
 * Chooses which part of an event's data a consumer fetches. Return the descriptor it was given (all),
 * {@link DataDescriptor#NONE} or null (nothing), or a view made from it ({@code makeSubView}, ...). A descriptor not
 * derived from the one given fails that event with {@link InvalidSelectionException}.
 *
 * <p>Threading: called on the consumer's fetch thread (or its pool), sequentially per partition in EventID order,
 * possibly concurrently across partitions, and possibly ahead of {@code pull()}. It must not block for long.
 */
@FunctionalInterface
public interface DataSelector {
    /** Fetch all the data (the default). */
    DataSelector ALL = (metadata, descriptor) -> descriptor;
    /** Fetch no data: metadata-only consumers. */
    DataSelector NONE = (metadata, descriptor) -> DataDescriptor.NONE;

    /**
     * @param metadata the event's metadata
     * @param descriptor the whole data of the event
     * @return the part to fetch
     */
    DataDescriptor select(Metadata metadata, DataDescriptor descriptor);
}
