package dev.diaspora.stream.files;

import dev.diaspora.stream.InvalidOptionException;
import dev.diaspora.stream.files.storage.LogConfig;
import dev.diaspora.stream.files.storage.StorageErrors;
import dev.diaspora.stream.spi.AbstractDriverProvider;
import dev.diaspora.stream.spi.Backend;
import dev.diaspora.stream.spi.Capabilities;
import dev.diaspora.stream.spi.OptionSchema;
import dev.diaspora.stream.spi.OptionSpec;
import dev.diaspora.stream.spi.Options;
import dev.diaspora.stream.spi.Retention;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/**
 * The {@code files} driver: topics are directories under {@code root_path}, each partition a segmented append-only
 * log (data, metadata and index segments with checksums), shared safely by any number of producer and consumer
 * processes on one machine or on a shared file system with coherent POSIX locks. The embedded default driver.
 *
 * <pre>{@code
 * try (Driver driver = Driver.open("files", Metadata.of("{\"root_path\":\"diaspora-data\"}"))) {
 *     driver.createTopic("collisions", Metadata.of("{\"num_partitions\":4,\"durability\":\"fsync\"}"));
 *     ...
 * }
 * }</pre>
 *
 * <p>Options and guarantees are in the module's README; the file format, byte by byte, in its FORMAT.md.
 *
 * <p>Thread safety: thread-safe.
 */
public final class FilesDriverProvider extends AbstractDriverProvider {
    /** Driver option: the directory that holds the topics; created if missing. */
    public static final String ROOT_PATH = "root_path";
    /** Topic option: the size at which segments roll, in bytes. */
    public static final String SEGMENT_SIZE = "segment_size";
    /** Topic option: when an append counts as stored, {@code "os"} or {@code "fsync"}. */
    public static final String DURABILITY = "durability";
    /** The largest event (metadata plus data), in bytes: 2 GiB minus 64 KiB. */
    public static final long MAX_EVENT_SIZE = (1L << 31) - 65_536;

    private static final String ROOT_PATH_DOC = "Directory that holds the topics (one sub-directory each); created if"
            + " missing. Every process that shares topics uses the same directory.";
    private static final String SEGMENT_SIZE_DOC = "Size in bytes at which a partition's data, metadata and index"
            + " segments roll to new files (a batch is never split, so one larger batch makes a larger segment).";
    private static final String DURABILITY_DOC = "\"os\": an append completes once the operating system has the"
            + " bytes (survives a process crash); \"fsync\": data and metadata are forced to the device before the"
            + " index is written, and the index before the append completes (also survives a power loss).";

    private static final OptionSchema OPTIONS = OptionSchema.of(
            OptionSpec.string(ROOT_PATH).required().doc(ROOT_PATH_DOC));
    private static final OptionSchema TOPIC_OPTIONS = OptionSchema.topicOptions(
            OptionSpec.integer(SEGMENT_SIZE).defaultValue(LogConfig.DEFAULT_SEGMENT_SIZE)
                    .min(LogConfig.MIN_SEGMENT_SIZE).max(1L << 40).doc(SEGMENT_SIZE_DOC),
            OptionSpec.string(DURABILITY).defaultValue("os").oneOf("os", "fsync").doc(DURABILITY_DOC),
            Retention.specs(true)[0], Retention.specs(true)[1], Retention.specs(true)[2]);
    private static final Capabilities CAPABILITIES = new Capabilities(true, true, true, true, true, MAX_EVENT_SIZE,
            true, false, true).withTopicChanges(true, Retention.RETENTION_MS, Retention.RETENTION_BYTES,
                    Retention.SEGMENT_MS, SEGMENT_SIZE);

    /** Creates the provider; {@code ServiceLoader} calls this. */
    public FilesDriverProvider() {
        super("files", "Topics as crash-safe, segmented append-only logs in a directory, shared by any number of "
                + "processes.",
                OPTIONS, TOPIC_OPTIONS, CAPABILITIES);
    }

    @Override
    public Backend open(Options options) {
        return new FilesBackend(rootPath(options, "files"));
    }

    /**
     * Checks the {@code root_path} option of driver {@code driver} and creates the directory.
     *
     * @return the absolute, normalized directory
     * @throws InvalidOptionException if it is missing, not a path, a file, or not writable
     */
    static Path rootPath(Options options, String driver) {
        String given = options.string(ROOT_PATH);
        if (given == null || given.isBlank()) {
            throw new InvalidOptionException("Invalid value \"" + given + "\" for option '" + ROOT_PATH
                    + "' of driver '" + driver + "': give a directory path. " + ROOT_PATH_DOC);
        }
        Path root;
        try {
            root = Path.of(given).toAbsolutePath().normalize();
        } catch (InvalidPathException e) {
            throw new InvalidOptionException("Invalid value \"" + given + "\" for option '" + ROOT_PATH
                    + "' of driver '" + driver + "': not a valid path (" + e.getReason() + ")", e);
        }
        if (Files.exists(root) && !Files.isDirectory(root)) {
            throw new InvalidOptionException("Invalid value \"" + given + "\" for option '" + ROOT_PATH
                    + "' of driver '" + driver + "': " + root + " is a file, not a directory. Give a directory (it is"
                    + " created if missing)");
        }
        try {
            Files.createDirectories(root);
        } catch (IOException e) {
            throw new InvalidOptionException("Invalid value \"" + given + "\" for option '" + ROOT_PATH
                    + "' of driver '" + driver + "': cannot create the directory " + root + ": "
                    + StorageErrors.whyUnwritable(e) + ". Check also that its parent exists", e);
        }
        checkWritable(given, root, driver);
        return root;
    }

    /**
     * Creates and removes a probe file in {@code root}: the honest test of writability (permission bits, ACLs, a
     * read-only mount, a full file system), which {@code access(2)} alone does not give for every user (root ignores
     * permission bits). Done once per driver open, so that an unusable root fails here and not at the first push.
     */
    private static void checkWritable(String given, Path root, String driver) {
        Path probe = root.resolve(".probe-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
        try {
            Files.createFile(probe);
            Files.delete(probe);
        } catch (IOException e) {
            try {
                Files.deleteIfExists(probe);
            } catch (IOException ignored) {
                // the probe could not be created or cannot be removed either; the error below names the directory
            }
            throw new InvalidOptionException("Invalid value \"" + given + "\" for option '" + ROOT_PATH
                    + "' of driver '" + driver + "': the directory " + root + " is not writable by this process: "
                    + StorageErrors.whyUnwritable(e), e);
        }
    }
}
