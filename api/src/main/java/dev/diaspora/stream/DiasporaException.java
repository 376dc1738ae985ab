package dev.diaspora.stream;

/**
 * The root of every exception the library throws or completes a future with.
 *
 * <p>Messages name the thing that is wrong, the bad value and what to do. Subclasses exist only where a user can act
 * on the difference. {@link #isRetriable()} tells whether the same operation may succeed if tried again (a broker
 * that is restarting, a server that is briefly unreachable), which is what {@code diaspora-ctl forward} uses to
 * decide between retrying and stopping.
 *
 * <p>Thread safety: immutable.
 */
public class DiasporaException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final boolean retriable;

    /** @param message what is wrong and what to do about it */
    public DiasporaException(String message) {
        this(message, null, false);
    }

    /**
     * @param message what is wrong and what to do about it
     * @param cause the underlying failure
     */
    public DiasporaException(String message, Throwable cause) {
        this(message, cause, false);
    }

    /**
     * @param message what is wrong and what to do about it
     * @param cause the underlying failure, or null
     * @param retriable whether the same operation may succeed when tried again
     */
    public DiasporaException(String message, Throwable cause, boolean retriable) {
        super(message, cause);
        this.retriable = retriable;
    }

    /** @return true if the same operation may succeed when tried again later */
    public boolean isRetriable() {
        return retriable;
    }
}
