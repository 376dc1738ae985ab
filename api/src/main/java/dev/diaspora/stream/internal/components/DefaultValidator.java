package dev.diaspora.stream.internal.components;

import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Validator;

/**
 * The {@code default} validator: accepts every event, without even checking the JSON syntax (the producer checks that
 * separately). Configuration {@code {"type":"default"}}.
 *
 * <p>Thread safety: immutable.
 */
final class DefaultValidator implements Validator {
    static final DefaultValidator INSTANCE = new DefaultValidator();
    private static final Metadata CONFIG = Metadata.of("{\"type\":\"default\"}");

    private DefaultValidator() {
    }

    @Override
    public void validate(Metadata metadata, DataView data) {
        // accepts everything
    }

    @Override
    public Metadata config() {
        return CONFIG;
    }

    @Override
    public String toString() {
        return "Validator[default]";
    }
}
