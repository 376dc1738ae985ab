package dev.diaspora.stream;

/**
 * Thrown (or carried by a push future) when an event's metadata is not valid JSON, or is rejected by a validator or serializer. For JSON syntax errors the message names the line and column.
 *
 * <p>Thread safety: immutable.
 */
public class InvalidMetadataException extends DiasporaException {
    private static final long serialVersionUID = 1L;

    /** @param message what is wrong and what to do about it */
    public InvalidMetadataException(String message) {
        super(message);
    }

    /**
     * @param message what is wrong and what to do about it
     * @param cause the underlying failure
     */
    public InvalidMetadataException(String message, Throwable cause) {
        super(message, cause);
    }
}
