package dev.diaspora.stream;

/**
 * Carried by a push future when an event is larger than the driver or topic allows. The message names the limit and the option that sets it.
 *
 * <p>Thread safety: immutable.
 */
public class EventTooLargeException extends DiasporaException {
    private static final long serialVersionUID = 1L;

    /** @param message what is wrong and what to do about it */
    public EventTooLargeException(String message) {
        super(message);
    }

    /**
     * @param message what is wrong and what to do about it
     * @param cause the underlying failure
     */
    public EventTooLargeException(String message, Throwable cause) {
        super(message, cause);
    }
}
