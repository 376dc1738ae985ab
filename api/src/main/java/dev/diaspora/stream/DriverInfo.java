package dev.diaspora.stream;

import java.util.List;

/**
 * A driver found on the class path, with its documented options, as {@link Driver#available()} lists them.
 *
 * <p>Thread safety: immutable.
 *
 * @param name the driver name
 * @param description one sentence on what it is for
 * @param options the driver options ({@code Driver.open})
 * @param topicOptions the topic options ({@code createTopic})
 */
public record DriverInfo(String name, String description, List<OptionInfo> options, List<OptionInfo> topicOptions) {
    /**
     * One documented option.
     *
     * @param name the key
     * @param type the JSON type: string, integer, number, boolean, object, array
     * @param required whether it must be given
     * @param defaultValue the default as JSON text, or null
     * @param doc what it does
     */
    public record OptionInfo(String name, String type, boolean required, String defaultValue, String doc) {
    }
}
