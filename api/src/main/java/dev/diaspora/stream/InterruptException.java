package dev.diaspora.stream;

/**
 * Thrown when a thread is interrupted while blocked in the library (in {@code push} at the memory bound, in
 * {@code poll}, in {@code close}). The thread's interrupt flag is set again before it is thrown, as in Kafka.
 *
 * <p>Thread safety: immutable.
 */
public class InterruptException extends DiasporaException {
    private static final long serialVersionUID = 1L;

    /**
     * @param what what was interrupted
     * @param cause the interruption
     */
    public InterruptException(String what, InterruptedException cause) {
        super(what + " was interrupted", cause);
        Thread.currentThread().interrupt();
    }
}
