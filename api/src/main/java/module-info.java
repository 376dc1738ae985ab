/**
 * The Diaspora Stream API: the public API ({@code dev.diaspora.stream}) and the driver SPI
 * ({@code dev.diaspora.stream.spi}). The engine and built-in components ({@code dev.diaspora.stream.internal.*}) are
 * not exported. Jackson's {@code JsonNode} appears in the API ({@code Metadata.json()}), so Jackson is required
 * transitively: a module that requires this one reads Jackson too. The {@code schema} validator runs on
 * {@code com.networknt.schema} (json-schema-validator), which stays an implementation detail: no type of it appears in
 * the API. Drivers are found through {@code ServiceLoader}
 * (on the class path, or as providers of {@link dev.diaspora.stream.spi.DriverProvider} on the module path).
 */
module dev.diaspora.stream {
    requires transitive com.fasterxml.jackson.databind;
    requires org.slf4j;
    requires com.networknt.schema;
    requires java.management;

    exports dev.diaspora.stream;
    exports dev.diaspora.stream.spi;

    uses dev.diaspora.stream.spi.DriverProvider;
    uses dev.diaspora.stream.spi.ValidatorProvider;
    uses dev.diaspora.stream.spi.PartitionSelectorProvider;
    uses dev.diaspora.stream.spi.SerializerProvider;

    provides dev.diaspora.stream.spi.ValidatorProvider with
            dev.diaspora.stream.internal.components.DefaultValidatorProvider,
            dev.diaspora.stream.internal.components.SchemaValidatorProvider;
    provides dev.diaspora.stream.spi.PartitionSelectorProvider with
            dev.diaspora.stream.internal.components.DefaultPartitionSelectorProvider,
            dev.diaspora.stream.internal.components.HashPartitionSelectorProvider;
    provides dev.diaspora.stream.spi.SerializerProvider with
            dev.diaspora.stream.internal.components.DefaultSerializerProvider;
}
