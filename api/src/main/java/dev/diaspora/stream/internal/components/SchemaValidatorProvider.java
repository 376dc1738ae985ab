package dev.diaspora.stream.internal.components;

import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Validator;
import dev.diaspora.stream.spi.ValidatorProvider;

/**
 * Registers the {@code schema} validator: {@code {"type":"schema","schema":{...}}}, JSON Schema (drafts 2020-12, the
 * default, 2019-09, 7, 6 and 4) checked by json-schema-validator (see {@code SchemaCompiler}). Not API: public only
 * because {@link java.util.ServiceLoader} needs it.
 *
 * <p>Thread safety: immutable.
 */
public final class SchemaValidatorProvider implements ValidatorProvider {
    /** The name used as {@code "type"}. */
    public static final String NAME = "schema";

    /** Called by {@link java.util.ServiceLoader}. */
    public SchemaValidatorProvider() {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Validator create(Metadata config) {
        return SchemaValidator.fromConfig(config);
    }
}
