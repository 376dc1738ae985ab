package dev.diaspora.stream.spi;

import java.util.Objects;

/**
 * The part of a {@link DriverProvider} that is only declarations: its name, description, option schemas and
 * capabilities, given once to the constructor. A driver extends it and implements {@link #open(Options)}:
 *
 * <pre>{@code
 * public final class MyDriverProvider extends AbstractDriverProvider {
 *     public MyDriverProvider() {
 *         super("mine", "What it stores and where.", OptionSchema.of(...), OptionSchema.topicOptions(),
 *                 new Capabilities(...));
 *     }
 *
 *     @Override
 *     public Backend open(Options options) { ... }
 * }
 * }</pre>
 *
 * <p>Thread safety: immutable; subclasses must keep {@code open} thread-safe.
 */
public abstract class AbstractDriverProvider implements DriverProvider {
    private final String name;
    private final String description;
    private final OptionSchema options;
    private final OptionSchema topicOptions;
    private final Capabilities capabilities;

    /**
     * @param name the driver name users give to {@code Driver.open}
     * @param description one sentence for {@code diaspora-ctl driver list}
     * @param options the driver options
     * @param topicOptions the topic options ({@link OptionSchema#topicOptions} adds {@code num_partitions})
     * @param capabilities what the driver supports, for the engine and the TCK
     */
    protected AbstractDriverProvider(String name, String description, OptionSchema options, OptionSchema topicOptions,
            Capabilities capabilities) {
        this.name = Objects.requireNonNull(name, "name");
        this.description = Objects.requireNonNull(description, "description");
        this.options = Objects.requireNonNull(options, "options");
        this.topicOptions = Objects.requireNonNull(topicOptions, "topicOptions");
        this.capabilities = Objects.requireNonNull(capabilities, "capabilities");
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final String description() {
        return description;
    }

    @Override
    public final OptionSchema options() {
        return options;
    }

    @Override
    public final OptionSchema topicOptions() {
        return topicOptions;
    }

    @Override
    public final Capabilities capabilities() {
        return capabilities;
    }
}
