package dev.diaspora.stream.files;

import dev.diaspora.stream.spi.AbstractDriverProvider;
import dev.diaspora.stream.spi.Backend;
import dev.diaspora.stream.spi.Capabilities;
import dev.diaspora.stream.spi.OptionSchema;
import dev.diaspora.stream.spi.OptionSpec;
import dev.diaspora.stream.spi.Options;

/**
 * The {@code files-v0} driver: reads and writes topics in the layout of the C++ Diaspora Stream API's {@code files}
 * driver (release 0.5), so that Java, C++ and Python programs share topics in one directory without conversion.
 *
 * <pre>{@code
 * try (Driver driver = Driver.open("files-v0", Metadata.of("{\"root_path\":\"/scratch/run42\"}"));
 *      TopicHandle topic = driver.openTopic("collisions");
 *      Consumer consumer = topic.consumer("analysis")) {
 *     Event e = consumer.pull().get();
 * }
 * }</pre>
 *
 * <p>The layout has no checksums, no timestamps and no crash recovery, and the C++ writer takes no lock: see the
 * module's README ("C++ topics") for what this driver guarantees, and FORMAT.md section 13 for the bytes.
 *
 * <p>Thread safety: thread-safe.
 */
public final class V0DriverProvider extends AbstractDriverProvider {
    /** The driver's name, for {@code Driver.open}. */
    public static final String NAME = "files-v0";
    /** The largest event (metadata plus data), in bytes: as for the files driver. */
    public static final long MAX_EVENT_SIZE = FilesDriverProvider.MAX_EVENT_SIZE;

    private static final OptionSchema OPTIONS = OptionSchema.of(
            OptionSpec.string(FilesDriverProvider.ROOT_PATH).required().doc("Directory that holds the topics, the"
                    + " root_path the C++ files driver was given; created if missing."));
    private static final OptionSchema TOPIC_OPTIONS = OptionSchema.topicOptions();
    private static final Capabilities CAPABILITIES = new Capabilities(true, true, true, false, false, MAX_EVENT_SIZE, false, false,
            false).withMetadataVerbatim(false);

    /** Creates the provider; {@code ServiceLoader} calls this. */
    public V0DriverProvider() {
        super(NAME, "Topics in the layout of the C++ files driver (v0): read and written byte for byte as C++ does,"
                + " one writing process at a time.", OPTIONS, TOPIC_OPTIONS, CAPABILITIES);
    }

    @Override
    public Backend open(Options options) {
        return new V0Backend(FilesDriverProvider.rootPath(options, NAME));
    }
}
