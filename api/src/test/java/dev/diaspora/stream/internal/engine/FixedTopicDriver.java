package dev.diaspora.stream.internal.engine;

import dev.diaspora.stream.spi.AbstractDriverProvider;
import dev.diaspora.stream.spi.Backend;
import dev.diaspora.stream.spi.Capabilities;
import dev.diaspora.stream.spi.OptionSchema;
import dev.diaspora.stream.spi.Options;
import dev.diaspora.stream.spi.TopicBackend;
import java.util.function.Supplier;

/**
 * The base of this module's engine test drivers: a provider whose every topic is made by the test's supplier (a
 * {@link UnreadableRecordTest.FixedTopic} that the test shapes), on {@link UnreadableRecordTest#backendOf}. Each
 * subclass is registered in the test resources' services file under its own driver name.
 *
 * <p>Thread safety: stateless; the supplier is called on each {@code openTopic}.
 */
abstract class FixedTopicDriver extends AbstractDriverProvider {
    private final Supplier<? extends TopicBackend> topic;

    /**
     * @param nativePartialRead the capability of that name (the consumer engine's data selections are applied by the
     *     driver)
     * @param topic makes the topic each {@code openTopic} returns
     */
    FixedTopicDriver(String name, String description, boolean nativePartialRead,
            Supplier<? extends TopicBackend> topic) {
        super(name, description, OptionSchema.of(), OptionSchema.topicOptions(),
                new Capabilities(false, false, nativePartialRead, false, false, 1 << 20));
        this.topic = topic;
    }

    @Override
    public Backend open(Options options) {
        return UnreadableRecordTest.backendOf(topic::get);
    }
}
