package dev.diaspora.stream.spi;

/**
 * A driver, registered through {@code java.util.ServiceLoader}: list the class in
 * {@code META-INF/services/dev.diaspora.stream.spi.DriverProvider} (and {@code provides ... with} in a module-info).
 * {@code Driver.open(name(), options)} validates the options against {@link #options()} and calls {@link #open}.
 *
 * <p>Thread safety: implementations are thread-safe (one instance serves every {@code Driver.open}).
 */
public interface DriverProvider {
    /** The SPI version this interface describes; a provider returns it from {@link #spiVersion()}. */
    int SPI_VERSION = 1;

    /** @return the driver name used in {@code Driver.open} */
    String name();

    /** @return one sentence on what the driver is for */
    String description();

    /** @return the driver options; {@code plugin_path} is added by the engine */
    OptionSchema options();

    /** @return the topic options; start from {@link OptionSchema#topicOptions(OptionSpec...)} */
    OptionSchema topicOptions();

    /** @return what the driver can do */
    Capabilities capabilities();

    /** @return the SPI version the provider was written for */
    default int spiVersion() {
        return SPI_VERSION;
    }

    /**
     * Opens the driver.
     *
     * @param options validated against {@link #options()}, defaults filled in
     */
    Backend open(Options options);
}
