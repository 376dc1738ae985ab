package dev.diaspora.stream.spi;

import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Validator;

/**
 * Registers a {@link Validator} under a name, through {@code java.util.ServiceLoader}
 * ({@code META-INF/services/dev.diaspora.stream.spi.ValidatorProvider}).
 *
 * <p>Thread safety: implementations are thread-safe.
 */
public interface ValidatorProvider {
    /** @return the name used as {@code "type"} in configurations */
    String name();

    /**
     * @param config the whole configuration, {@code "type"} included
     * @return a validator whose {@code config()} rebuilds it
     */
    Validator create(Metadata config);
}
