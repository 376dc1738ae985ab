package dev.diaspora.stream;

/**
 * Thrown when a validator, partition selector or serializer named in a configuration cannot be found: no provider of that name, no such class, or a plugin jar outside the driver's {@code plugin_path}.
 *
 * <p>Thread safety: immutable.
 */
public class ComponentNotFoundException extends DiasporaException {
    private static final long serialVersionUID = 1L;

    /** @param message what is wrong and what to do about it */
    public ComponentNotFoundException(String message) {
        super(message);
    }

    /**
     * @param message what is wrong and what to do about it
     * @param cause the underlying failure
     */
    public ComponentNotFoundException(String message, Throwable cause) {
        super(message, cause);
    }
}
