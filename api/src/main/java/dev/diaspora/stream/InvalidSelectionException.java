package dev.diaspora.stream;

/**
 * Carried by a pull when a {@link DataSelector} returns a descriptor that was not derived from the one it was given, or when an allocator returns a view too small for the selection.
 *
 * <p>Thread safety: immutable.
 */
public class InvalidSelectionException extends DiasporaException {
    private static final long serialVersionUID = 1L;

    /** @param message what is wrong and what to do about it */
    public InvalidSelectionException(String message) {
        super(message);
    }

    /**
     * @param message what is wrong and what to do about it
     * @param cause the underlying failure
     */
    public InvalidSelectionException(String message, Throwable cause) {
        super(message, cause);
    }
}
