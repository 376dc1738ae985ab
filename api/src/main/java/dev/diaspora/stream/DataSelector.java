package dev.diaspora.stream;

/**
 * Chooses which part of an event's data a consumer fetches. Return the descriptor it was given (all),
 * {@link DataDescriptor#NONE} or null (nothing), or a view made from it ({@code makeSubView}, ...). A descriptor not
 * derived from the one given fails that event with {@link InvalidSelectionException}.
 *
 * <p>Threading: called on the consumer's fetch thread, one event at a time, in EventID order per partition, and
 * possibly ahead of {@code pull()} (while events are prefetched). A consumer never calls it from two threads at
 * once; a selector shared by several consumers is called from each one's fetch thread. It must not block for long:
 * the fetch thread reads every partition of the consumer and heartbeats for its group.
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
