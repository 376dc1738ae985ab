package dev.diaspora.stream;

/**
 * Thrown when a topic that does not exist is opened or deleted. The message names the topic; create it first with {@link Driver#createTopic(String)}.
 *
 * <p>Thread safety: immutable.
 */
public class TopicNotFoundException extends DiasporaException {
    private static final long serialVersionUID = 1L;

    /** @param message what is wrong and what to do about it */
    public TopicNotFoundException(String message) {
        super(message);
    }

    /**
     * @param message what is wrong and what to do about it
     * @param cause the underlying failure
     */
    public TopicNotFoundException(String message, Throwable cause) {
        super(message, cause);
    }
}
