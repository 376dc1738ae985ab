package dev.diaspora.stream;

/**
 * Thrown when driver, topic or component options are malformed: an unknown or mistyped key, a value of the wrong type or out of range. The message names the key, the bad value and the accepted keys or range.
 *
 * <p>Thread safety: immutable.
 */
public class InvalidOptionException extends DiasporaException {
    private static final long serialVersionUID = 1L;

    /** @param message what is wrong and what to do about it */
    public InvalidOptionException(String message) {
        super(message);
    }

    /**
     * @param message what is wrong and what to do about it
     * @param cause the underlying failure
     */
    public InvalidOptionException(String message, Throwable cause) {
        super(message, cause);
    }
}
