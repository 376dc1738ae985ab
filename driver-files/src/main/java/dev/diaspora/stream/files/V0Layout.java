package dev.diaspora.stream.files;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diaspora.stream.CorruptDataException;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.InvalidMetadataException;
import dev.diaspora.stream.Metadata;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The directory layout of a topic written by the C++ {@code files} driver ("v0", FORMAT.md section 13):
 * {@code <topic>/validator.json}, {@code serializer.json}, {@code partition-selector.json} and
 * {@code partitions/%08d/{index,metadata,data}}. Java's own state (consumer positions, leases, the append lock)
 * lives in {@code <topic>/.diaspora-java/}, which the C++ library never looks at.
 *
 * <p>Thread safety: stateless, thread-safe.
 */
final class V0Layout {
    static final String LAYOUT = "v0";
    static final String PARTITIONS = "partitions";
    static final String INDEX = "index";
    static final String METADATA = "metadata";
    static final String DATA = "data";
    /** Java's own files beside a v0 topic. */
    static final String JAVA_DIR = ".diaspora-java";
    /** Component files, in the order of the engine's component keys. */
    static final String[][] COMPONENTS = {
        {"validator", "validator.json"},
        {"partition_selector", "partition-selector.json"},
        {"serializer", "serializer.json"},
    };
    /** Bytes per index record: four little-endian u64. */
    static final int RECORD = 32;

    private V0Layout() {
    }

    /**
     * @return true if {@code dir} holds a topic in the C++ layout: a {@code partitions} directory and no
     *     {@code topic.json} (which marks the Java format)
     */
    static boolean isTopic(Path dir) {
        return Files.isDirectory(dir.resolve(PARTITIONS), LinkOption.NOFOLLOW_LINKS)
                && !Files.exists(dir.resolve(TopicConfig.FILE), LinkOption.NOFOLLOW_LINKS);
    }

    static Path partitionDir(Path topic, int p) {
        return topic.resolve(PARTITIONS).resolve(FilesTopic.partitionDirName(p));
    }

    /**
     * @return the partition count as the C++ library computes it: the largest numeric directory name under
     *     {@code partitions} plus one
     * @throws CorruptDataException if there is none
     */
    static int numPartitions(Path topic, String name) {
        long max = -1;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(topic.resolve(PARTITIONS))) {
            for (Path d : ds) {
                String n = d.getFileName().toString();
                if (Files.isDirectory(d) && !n.isEmpty() && n.length() <= 18 && n.chars().allMatch(Character::isDigit)) {
                    max = Math.max(max, Long.parseLong(n));
                }
            }
        } catch (NoSuchFileException e) {
            throw new CorruptDataException("v0 topic '" + name + "' (" + topic + ") has no partitions directory: it"
                    + " is not a topic of the C++ files driver, or it is incomplete", e);
        } catch (IOException e) {
            throw new DiasporaException("Cannot list the partitions of v0 topic '" + name + "' (" + topic + "): " + e
                    + ". Check that the directory is readable", e);
        }
        if (max < 0 || max >= 65_536) {
            throw new CorruptDataException("v0 topic '" + name + "' (" + topic.resolve(PARTITIONS) + ") has "
                    + (max < 0 ? "no partition directory (00000000, ...)" : "a partition directory numbered " + max
                    + ", more than this driver opens (65536)") + ": restore the topic or remove the stray directory");
        }
        return (int) (max + 1);
    }

    /**
     * Reads the three component files; a missing one counts as {@code {"type":"default"}}, as the C++ loader's
     * default component.
     *
     * @return {@code {"validator":{...},"partition_selector":{...},"serializer":{...}}}
     * @throws CorruptDataException naming the file if one is not a JSON object
     */
    static Metadata components(Path topic, String name) {
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        for (String[] c : COMPONENTS) {
            Path f = topic.resolve(c[1]);
            JsonNode n;
            try {
                n = V0Json.parse(ByteBuffer.wrap(Files.readAllBytes(f)));
            } catch (NoSuchFileException e) {
                n = JsonNodeFactory.instance.objectNode().put("type", "default");
            } catch (InvalidMetadataException e) {
                throw new CorruptDataException("v0 topic '" + name + "': " + f + " is not JSON (" + e.getMessage()
                        + "); restore it, or write {\"type\": \"default\"} into it", e);
            } catch (IOException e) {
                throw new DiasporaException("Cannot read " + f + " of v0 topic '" + name + "': " + e
                        + ". Check that the file is readable", e);
            }
            if (!n.isObject() || !n.path("type").isTextual()) {
                throw new CorruptDataException("v0 topic '" + name + "': " + f + " is not a JSON object with a"
                        + " \"type\"; restore it, or write {\"type\": \"default\"} into it");
            }
            out.set(c[0], n);
        }
        return Metadata.of(out);
    }

    /** @return what {@code listTopics} says of a v0 topic: its layout, partition count and components */
    static Metadata description(Path topic, String name) {
        ObjectNode d = JsonNodeFactory.instance.objectNode();
        d.put("layout", LAYOUT);
        d.put("num_partitions", numPartitions(topic, name));
        d.setAll((ObjectNode) components(topic, name).json());
        return Metadata.of(d);
    }
}
