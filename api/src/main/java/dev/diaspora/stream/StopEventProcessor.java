package dev.diaspora.stream;

/**
 * Thrown by an {@link EventProcessor} to end {@link Consumer#process} cleanly, whatever the thread pool. It carries
 * no stack trace and is not an error: {@code process} returns the count of events processed.
 *
 * <p>Thread safety: immutable.
 */
public class StopEventProcessor extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Creates the signal. */
    public StopEventProcessor() {
        super("stop", null, false, false);
    }
}
