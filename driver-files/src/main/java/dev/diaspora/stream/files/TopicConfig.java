package dev.diaspora.stream.files;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.InvalidMetadataException;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.TopicNotFoundException;
import dev.diaspora.stream.files.storage.LogConfig;
import dev.diaspora.stream.spi.Options;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * A topic's {@code topic.json}: {@code {"format":1,"options":{...},"components":{...}}}. Written once, when the topic
 * is created; read by every process that opens it.
 *
 * <p>Thread safety: immutable.
 *
 * @param numPartitions the number of partitions
 * @param log how the partitions write
 * @param options the topic options as stored (defaults filled in)
 * @param components the component configurations as stored
 */
record TopicConfig(int numPartitions, LogConfig log, Metadata options, Metadata components) {
    static final String FILE = "topic.json";
    static final int FORMAT = 1;

    /** @return the file content for a new topic */
    static String json(Options options, Metadata components) {
        return "{\"format\":" + FORMAT + ",\"options\":" + options.toMetadata() + ",\"components\":" + components + "}";
    }

    /**
     * Reads {@code dir/topic.json}.
     *
     * @throws TopicNotFoundException if the file does not exist
     * @throws DiasporaException if it cannot be read or is not a topic description this version understands
     */
    static TopicConfig read(Path dir, String name) {
        Path file = dir.resolve(FILE);
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new TopicNotFoundException("Topic '" + name + "' does not exist: " + dir + " has no " + FILE
                    + " (not a topic directory, or a topic being created or deleted). Create it with createTopic(\""
                    + name + "\")", e);
        } catch (IOException e) {
            throw new DiasporaException("Topic '" + name + "': cannot read " + file + ": " + e
                    + ". Check the file's permissions", e);
        }
        try {
            JsonNode root = Metadata.of(text).json();
            JsonNode format = root.get("format");
            if (format == null || !format.canConvertToInt()) {
                throw new DiasporaException("Topic '" + name + "': " + file + " has no integer \"format\"; it was not"
                        + " written by the files driver or is damaged");
            }
            if (format.intValue() > FORMAT) {
                throw new DiasporaException("Topic '" + name + "': " + file + " declares format " + format.intValue()
                        + ", written by a newer diaspora-driver-files; this version reads format " + FORMAT
                        + ". Upgrade the library");
            }
            JsonNode options = root.get("options");
            JsonNode components = root.get("components");
            if (options == null || !options.isObject() || components == null || !components.isObject()) {
                throw new DiasporaException("Topic '" + name + "': " + file + " lacks the \"options\" or"
                        + " \"components\" object; the file is damaged. Restore it from a backup");
            }
            int n = options.path("num_partitions").asInt(1);
            long segmentSize = options.path(FilesDriverProvider.SEGMENT_SIZE).asLong(LogConfig.DEFAULT_SEGMENT_SIZE);
            boolean fsync = "fsync".equals(options.path(FilesDriverProvider.DURABILITY).asText("os"));
            if (n < 1 || segmentSize < LogConfig.MIN_SEGMENT_SIZE) {
                throw new DiasporaException("Topic '" + name + "': " + file + " holds invalid options " + options
                        + "; the file is damaged. Restore it from a backup");
            }
            return new TopicConfig(n, new LogConfig(segmentSize, fsync), Metadata.of(options),
                    Metadata.of(components));
        } catch (InvalidMetadataException e) {
            throw new DiasporaException("Topic '" + name + "': " + file + " is not valid JSON (" + e.getMessage()
                    + "); the file is damaged. Restore it from a backup", e);
        }
    }

    /** @return the description {@code listTopics} returns: the options, then the components */
    Metadata description() {
        ObjectNode d = ((ObjectNode) options.json()).deepCopy();
        d.setAll((ObjectNode) components.json());
        return Metadata.of(d);
    }
}
