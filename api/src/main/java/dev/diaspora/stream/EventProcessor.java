package dev.diaspora.stream;

/**
 * Processes one event in {@link Consumer#process}. Throw {@link StopEventProcessor} to end processing cleanly; any
 * other exception stops it and is rethrown by {@code process}.
 *
 * <p>Threading: events of one partition are processed sequentially, in EventID order; different partitions may be
 * processed concurrently on the pool given to {@code process}.
 */
@FunctionalInterface
public interface EventProcessor {
    /**
     * @param event the event, valid after the call returns; except for a consumer opened with
     *     {@link ConsumerOptions#recycleEvents(boolean)} whose {@link Consumer#poll(EventProcessor, int,
     *     java.time.Duration)} calls this, where it is valid only during the call ({@link Event#keep()} keeps it)
     */
    void process(Event event);
}
