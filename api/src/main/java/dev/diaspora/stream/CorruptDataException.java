package dev.diaspora.stream;

/**
 * Carried by a pull when stored bytes fail their checksum or are truncated. The message names the partition and event. The event is never delivered as good data.
 *
 * <p>Thread safety: immutable.
 */
public class CorruptDataException extends DiasporaException {
    private static final long serialVersionUID = 1L;

    /** @param message what is wrong and what to do about it */
    public CorruptDataException(String message) {
        super(message);
    }

    /**
     * @param message what is wrong and what to do about it
     * @param cause the underlying failure
     */
    public CorruptDataException(String message, Throwable cause) {
        super(message, cause);
    }
}
