package dev.diaspora.stream;

import java.util.List;

/**
 * Thrown by {@link Driver#open(String, Metadata)} when no driver of that name is on the class path. The message lists
 * the drivers that are available and the Maven artifact that provides the one asked for, when it is known.
 *
 * <p>Thread safety: immutable.
 */
public class DriverNotFoundException extends DiasporaException {
    private static final long serialVersionUID = 1L;

    private final String driverName;
    private final List<String> available;

    /**
     * @param driverName the name that was asked for
     * @param available the names of the drivers found on the class path
     * @param message the full message
     */
    public DriverNotFoundException(String driverName, List<String> available, String message) {
        super(message);
        this.driverName = driverName;
        this.available = List.copyOf(available);
    }

    /** @return the driver name that was asked for */
    public String driverName() {
        return driverName;
    }

    /** @return the names of the drivers that are on the class path */
    public List<String> available() {
        return available;
    }
}
