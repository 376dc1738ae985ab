package dev.diaspora.stream;

/**
 * Thrown by {@code push} when the producer is at its memory bound ({@code maxPendingEvents} or {@code maxPendingBytes}) and stays there for {@code maxBlock}, or at once with {@link ProducerOptions.BackPressure#FAIL_FAST}. Slow down, flush, or raise the bounds.
 *
 * <p>Thread safety: immutable.
 */
public class BackPressureException extends DiasporaException {
    private static final long serialVersionUID = 1L;

    /** @param message what is wrong and what to do about it */
    public BackPressureException(String message) {
        super(message);
    }

    /**
     * @param message what is wrong and what to do about it
     * @param cause the underlying failure
     */
    public BackPressureException(String message, Throwable cause) {
        super(message, cause);
    }
}
