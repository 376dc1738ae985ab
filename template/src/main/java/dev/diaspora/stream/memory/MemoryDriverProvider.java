package dev.diaspora.stream.memory;

import dev.diaspora.stream.spi.AbstractDriverProvider;
import dev.diaspora.stream.spi.Backend;
import dev.diaspora.stream.spi.Capabilities;
import dev.diaspora.stream.spi.OptionSchema;
import dev.diaspora.stream.spi.OptionSpec;
import dev.diaspora.stream.spi.Options;
import dev.diaspora.stream.spi.Retention;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@code memory} driver: topics live in the JVM, in the {@code Driver} instance, or in a JVM-wide store named by
 * the {@code instance} option (shared by every {@code Driver.open("memory", {"instance": ...})}). It is the model for
 * driver authors (see this module's README) and an in-process test double for users.
 *
 * <p>To write a driver, copy this package, rename it, and replace {@link MemoryPartition} (storage) and
 * {@link MemoryTopic} (topic metadata, positions, leases) with your backend; keep the SPI contracts of
 * {@code dev.diaspora.stream.spi} and run the TCK.
 *
 * <p>Thread safety: thread-safe.
 */
public final class MemoryDriverProvider extends AbstractDriverProvider {
    /** Driver option: name of a JVM-wide store; drivers opened with the same name share topics. */
    public static final String INSTANCE = "instance";

    private static final OptionSchema OPTIONS = OptionSchema.of(
            OptionSpec.string(INSTANCE).doc("Name of a JVM-wide store shared by every memory driver opened with the"
                    + " same name; without it, topics live and die with the Driver instance."));
    private static final OptionSchema TOPIC_OPTIONS = OptionSchema.topicOptions(Retention.specs(false));
    private static final Capabilities CAPABILITIES = new Capabilities(false, false, true, true, true,
            Integer.MAX_VALUE - 8, true, true, true)
            .withTopicChanges(true, Retention.RETENTION_MS, Retention.RETENTION_BYTES);
    private static final ConcurrentHashMap<String, MemoryStore> INSTANCES = new ConcurrentHashMap<>();

    /** Creates the provider; {@code ServiceLoader} calls this. */
    public MemoryDriverProvider() {
        super("memory", "In-process topics in the JVM's memory: the template for driver authors and a test double.",
                OPTIONS, TOPIC_OPTIONS, CAPABILITIES);
    }

    @Override
    public Backend open(Options options) {
        String instance = options.string(INSTANCE);
        MemoryStore store = instance == null ? new MemoryStore() : INSTANCES.computeIfAbsent(instance,
                k -> new MemoryStore());
        return new MemoryBackend(store);
    }
}
