package dev.diaspora.stream;

/**
 * Thrown when a topic is created under a name that is already taken. Open it with {@link Driver#openTopic(String)} instead.
 *
 * <p>Thread safety: immutable.
 */
public class TopicExistsException extends DiasporaException {
    private static final long serialVersionUID = 1L;

    /** @param message what is wrong and what to do about it */
    public TopicExistsException(String message) {
        super(message);
    }

    /**
     * @param message what is wrong and what to do about it
     * @param cause the underlying failure
     */
    public TopicExistsException(String message, Throwable cause) {
        super(message, cause);
    }
}
