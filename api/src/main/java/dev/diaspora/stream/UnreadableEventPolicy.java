package dev.diaspora.stream;

/**
 * What a {@link Consumer} does with an event it cannot deliver: the driver reports it damaged
 * ({@link CorruptDataException}, or another non-retriable read error of that one record or of its data), or the
 * consumer's own deserializer, {@link DataSelector} or {@link DataAllocator} throws on it (or returns a selection or
 * buffer that is not usable). Set it with {@link ConsumerOptions#onUnreadableEvent(UnreadableEventPolicy)}.
 *
 * <p>Not covered, whatever the policy: retriable read errors (a lost connection: the consumer reads the event again),
 * and {@link EventsLostException} (ids that hold no event: reported once, then the consumer goes on).
 *
 * <p>Thread safety: immutable.
 */
public enum UnreadableEventPolicy {
    /**
     * The default. The events before the unreadable one are delivered, then every pull of its partition fails with
     * the error (naming partition, EventID and the way past it) until {@link Consumer#seek} moves the partition;
     * the other partitions go on.
     */
    FAIL,
    /**
     * The event is skipped: a WARN log names the consumer, partition, EventID and cause, it is counted in
     * {@link ConsumerMetrics#eventsSkipped()}, and the consumer goes on with the next event of the partition. The
     * skipped event counts as consumed: {@link Consumer#position} moves past it, and once every event before it is
     * acknowledged the stored position moves past it too, so a consumer of the same name that starts again does not
     * meet it again.
     */
    SKIP
}
