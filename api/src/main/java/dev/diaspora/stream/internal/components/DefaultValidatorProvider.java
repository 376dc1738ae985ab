package dev.diaspora.stream.internal.components;

import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Validator;
import dev.diaspora.stream.spi.ValidatorProvider;

/**
 * Registers the {@code default} validator, which accepts every event. It takes no option but {@code "type"}. Not API:
 * public only because {@link java.util.ServiceLoader} needs it.
 *
 * <p>Thread safety: immutable.
 */
public final class DefaultValidatorProvider implements ValidatorProvider {
    /** The name used as {@code "type"}. */
    public static final String NAME = "default";

    /** Called by {@link java.util.ServiceLoader}. */
    public DefaultValidatorProvider() {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Validator create(Metadata config) {
        ComponentConfig.of("the default validator", config, "type");
        return DefaultValidator.INSTANCE;
    }
}
