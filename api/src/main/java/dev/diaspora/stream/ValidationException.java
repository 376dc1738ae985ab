package dev.diaspora.stream;

/**
 * Carried by a push future when the topic's {@link Validator} rejects the event. Only that event fails; the producer keeps working.
 *
 * <p>Thread safety: immutable.
 */
public class ValidationException extends InvalidMetadataException {
    private static final long serialVersionUID = 1L;

    /** @param message what is wrong and what to do about it */
    public ValidationException(String message) {
        super(message);
    }

    /**
     * @param message what is wrong and what to do about it
     * @param cause the underlying failure
     */
    public ValidationException(String message, Throwable cause) {
        super(message, cause);
    }
}
