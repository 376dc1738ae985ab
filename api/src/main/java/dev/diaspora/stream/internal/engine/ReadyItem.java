package dev.diaspora.stream.internal.engine;

/**
 * What a partition's ready queue holds, in EventID order: an event to deliver ({@link EventImpl}) or a marker that
 * stands for an id range with no event to deliver ({@link ReadyMarker}: a read error, a lost range, a skipped event).
 * Not API.
 *
 * <p>Thread safety: both kinds are immutable; they are queued and taken under the consumer's lock.
 */
sealed interface ReadyItem permits EventImpl, ReadyMarker {
    /** @return the prefetch bytes the item holds (metadata plus selected data; 0 for a marker) */
    long bytes();

    /** @return the partition the item belongs to (-1 for a sticky marker, which is never taken off its queue) */
    int partition();
}
