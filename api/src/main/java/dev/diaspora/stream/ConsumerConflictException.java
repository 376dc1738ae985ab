package dev.diaspora.stream;

/**
 * Thrown when a consumer asks for explicit {@code targets} that another live consumer of the same name holds: each partition is delivered to at most one live consumer of a name at a time.
 *
 * <p>Thread safety: immutable.
 */
public class ConsumerConflictException extends DiasporaException {
    private static final long serialVersionUID = 1L;

    /** @param message what is wrong and what to do about it */
    public ConsumerConflictException(String message) {
        super(message);
    }

    /**
     * @param message what is wrong and what to do about it
     * @param cause the underlying failure
     */
    public ConsumerConflictException(String message, Throwable cause) {
        super(message, cause);
    }
}
