package dev.diaspora.stream;

/**
 * Told about every event whose push failed, producer-wide: set with
 * {@link ProducerOptions#onError(PushErrorHandler)}. The push's own future or {@link PushCallback} fails as well; this
 * handler is for code that does not inspect each of them (fire-and-forget pushes, logging, dead-letter topics).
 *
 * <p>Threading: called once per failed event on the driver's timer thread, never on the thread that called push and
 * never under an engine lock, in the order the failures happen. It must not block (it delays the producer's linger
 * timers); hand slow work to another thread. Exceptions it throws are logged and ignored.
 *
 * <p>Ownership: {@code metadata} is the pushed metadata (immutable); the event's data was already released to the
 * caller and is not passed.
 */
@FunctionalInterface
public interface PushErrorHandler {
    /**
     * @param partition the partition the event was meant for, or -1 if it failed before one was chosen (invalid
     *     metadata, a validator's rejection)
     * @param metadata the event's metadata
     * @param error why it failed: {@link InvalidMetadataException}, {@link ValidationException},
     *     {@link EventTooLargeException}, or a driver's storage error
     */
    void onError(int partition, Metadata metadata, DiasporaException error);
}
