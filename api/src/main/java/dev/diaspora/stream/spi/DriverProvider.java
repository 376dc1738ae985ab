package dev.diaspora.stream.spi;

import dev.diaspora.stream.BackgroundErrorHandler;

/**
 * A driver, registered through {@code java.util.ServiceLoader}: list the class in
 * {@code META-INF/services/dev.diaspora.stream.spi.DriverProvider} (and {@code provides ... with} in a module-info).
 * {@code Driver.open(name(), options)} validates the options against {@link #options()} and calls {@link #open}.
 *
 * <p>Thread safety: implementations are thread-safe (one instance serves every {@code Driver.open}).
 */
public interface DriverProvider {
    /**
     * The SPI version this interface describes; a provider returns it from {@link #spiVersion()}, and the engine
     * refuses a provider of another version. It changes only when drivers written for the previous version would
     * break (an abstract method added, a contract changed); additions with a default that keeps such drivers correct
     * keep it.
     */
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

    /**
     * Opens the driver with the handler its background threads report failures to (failures no future, callback or
     * read would otherwise carry: a completion drain, a scheduler, a server task). The engine calls this form; the
     * default ignores the handler and calls {@link #open(Options)}, so a driver without threads of its own needs
     * nothing more. A driver with such threads overrides this one, and implements {@link #open(Options)} as
     * {@code open(options, BackgroundErrorHandler.logging())}.
     *
     * @param options validated against {@link #options()}, defaults filled in
     * @param onBackgroundError never null; thread-safe, does not block, and never throws (the engine guards it)
     */
    default Backend open(Options options, BackgroundErrorHandler onBackgroundError) {
        return open(options);
    }
}
