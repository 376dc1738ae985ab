package dev.diaspora.stream.files;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diaspora.stream.CorruptDataException;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.InvalidMetadataException;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.files.storage.LogConfig;
import dev.diaspora.stream.spi.Options;
import dev.diaspora.stream.spi.Retention;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A topic's {@code topic.json}: {@code {"format":1,"id":"<32 hex>","options":{...},"components":{...},
 * "crc32c":"<8 hex>"}}. Written once, when the topic is created, and never rewritten (its file identity is the
 * topic's incarnation, see {@link TopicIdentity}); read by every process that opens it.
 *
 * <p>Integrity: {@code crc32c} is the CRC32C of the file's UTF-8 bytes without the {@code ,"crc32c":"..."} member,
 * which is always the last one, so a flipped bit in the partition count or the components is reported as damage
 * instead of silently giving a different topic. Files written before checksums (no {@code id}, no {@code crc32c})
 * are accepted with a warning (FORMAT.md section 4).
 *
 * <p>Thread safety: immutable.
 *
 * @param id the topic's random identity (null for a file written before identities existed)
 * @param numPartitions the number of partitions
 * @param log how the partitions write
 * @param options the topic options as stored (defaults filled in)
 * @param components the component configurations as stored
 */
record TopicConfig(String id, int numPartitions, LogConfig log, Metadata options, Metadata components) {
    static final String FILE = "topic.json";
    static final int FORMAT = 1;
    private static final Logger LOG = LoggerFactory.getLogger(TopicConfig.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String CRC_MEMBER = ",\"crc32c\":\"";
    private static final Set<String> WARNED = ConcurrentHashMap.newKeySet();
    private static final Set<String> KEYS = Set.of("format", "id", "options", "components", "crc32c");

    /** @return the file content for a new topic, with a fresh random id and its checksum */
    static byte[] json(Options options, Metadata components) {
        byte[] id = new byte[16];
        RANDOM.nextBytes(id);
        String body = "{\"format\":" + FORMAT + ",\"id\":\"" + HexFormat.of().formatHex(id) + "\",\"options\":"
                + options.toMetadata() + ",\"components\":" + components;
        return sealed(body);
    }

    /** @return {@code body} (a JSON object without its closing brace) closed with its {@code crc32c} member */
    static byte[] sealed(String body) {
        return (body + CRC_MEMBER + crcHex(body) + "\"}").getBytes(StandardCharsets.UTF_8);
    }

    /**
     * @return the text of a file written by {@link #sealed}, its checksum verified
     * @throws CorruptDataException naming the file if it is not UTF-8, has no checksum or fails it
     */
    static String unsealed(byte[] bytes, Path file, String what) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new CorruptDataException(what + ": " + file + " is not valid UTF-8 (" + e + ")", e);
        }
        String stripped = text.stripTrailing();
        int at = stripped.lastIndexOf(CRC_MEMBER);
        String tail = at < 0 ? "" : stripped.substring(at + CRC_MEMBER.length());
        if (!tail.matches("[0-9a-f]{8}\"}") || !tail.substring(0, 8).equals(crcHex(stripped.substring(0, at)))) {
            throw new CorruptDataException(what + ": " + file + " has no valid \"crc32c\" member (damaged)");
        }
        return text;
    }

    /**
     * @return this configuration with {@code changed} options ({@code num_partitions}, retention, segment size and
     *     age) laid over the stored ones (see {@link TopicChangesFile}); {@code durability} never changes
     */
    TopicConfig with(ObjectNode changed) {
        if (changed == null || changed.isEmpty()) {
            return this;
        }
        ObjectNode o = ((ObjectNode) options.json()).deepCopy();
        o.setAll(changed);
        int n = o.path("num_partitions").asInt(numPartitions);
        long segmentSize = o.path(FilesDriverProvider.SEGMENT_SIZE).asLong(log.segmentSize());
        if (segmentSize < LogConfig.MIN_SEGMENT_SIZE) {
            throw new CorruptDataException("the changed options " + changed + " hold a segment_size below "
                    + LogConfig.MIN_SEGMENT_SIZE + ", which alterTopic never writes: restore " + TopicChangesFile.FILE
                    + " from a backup, or delete it to go back to the options the topic was created with");
        }
        LogConfig changedLog = new LogConfig(segmentSize, log.fsync(), o.path(Retention.SEGMENT_MS).asLong(-1));
        return new TopicConfig(id, n, changedLog, Metadata.of(o), components);
    }

    private static String crcHex(String bodyWithoutClosingBrace) {
        CRC32C crc = new CRC32C();
        crc.update((bodyWithoutClosingBrace + "}").getBytes(StandardCharsets.UTF_8));
        return String.format("%08x", crc.getValue());
    }

    /**
     * Parses the bytes of {@code file}.
     *
     * @throws CorruptDataException naming the file and the fix if it is not valid UTF-8, fails its checksum, or is not
     *     a topic description
     * @throws DiasporaException if it declares a newer format
     */
    static TopicConfig parse(byte[] bytes, Path file, String name) {
        String where = "Topic '" + name + "': " + file;
        String restore = ". The file is damaged: restore it from a backup, or delete the topic";
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new CorruptDataException(where + " is not valid UTF-8 (" + e + ")" + restore, e);
        }
        String stripped = text.stripTrailing();
        int at = stripped.lastIndexOf(CRC_MEMBER);
        boolean checked = false;
        if (at >= 0) {
            String tail = stripped.substring(at + CRC_MEMBER.length());
            if (!tail.matches("[0-9a-f]{8}\"}")) {
                throw new CorruptDataException(where + ": its \"crc32c\" member is not the last one, or not 8 hex"
                        + " digits" + restore + " (to keep a hand-edited file, remove the \"crc32c\" member)");
            }
            String stored = tail.substring(0, 8);
            String computed = crcHex(stripped.substring(0, at));
            if (!stored.equals(computed)) {
                throw new CorruptDataException(where + " fails its checksum (stored crc32c " + stored + ", computed "
                        + computed + ")" + restore + " (to keep a hand-edited file, remove the \"crc32c\" member)");
            }
            checked = true;
        }
        JsonNode root;
        try {
            root = Metadata.of(text).json();
        } catch (InvalidMetadataException e) {
            throw new CorruptDataException(where + " is not valid JSON (" + e.getMessage() + ")" + restore, e);
        }
        if (!root.isObject()) {
            throw new CorruptDataException(where + " is not a JSON object" + restore);
        }
        JsonNode format = root.get("format");
        if (format == null || !format.canConvertToInt()) {
            throw new CorruptDataException(where + " has no integer \"format\" (not written by the files driver?)"
                + restore);
        }
        if (format.intValue() > FORMAT) {
            throw new DiasporaException(where + " declares format " + format.intValue() + ", written by a newer"
                    + " diaspora-driver-files; this version reads format " + FORMAT + ". Upgrade the library");
        }
        JsonNode id = root.get("id");
        if (!checked) {
            if (id != null || root.has("crc32c")) {
                throw new CorruptDataException(where + " has an \"id\" but no valid \"crc32c\" member (it was written"
                        + " with one)" + restore);
            }
            if (WARNED.add(file.toAbsolutePath().toString())) {
                LOG.warn("{} has no checksum (written by a diaspora-driver-files without topic.json checksums): damage to"
                    + " it cannot be detected. Recreate the topic to get one", where);
            }
        } else {
            root.fieldNames().forEachRemaining(k -> {
                if (!KEYS.contains(k)) {
                    throw new CorruptDataException(where + " holds the unknown member \"" + k + "\"" + restore);
                }
            });
        }
        JsonNode options = root.get("options");
        JsonNode components = root.get("components");
        if (options == null || !options.isObject() || components == null || !components.isObject()) {
            throw new CorruptDataException(where + " lacks the \"options\" or \"components\" object" + restore);
        }
        int n = options.path("num_partitions").asInt(1);
        long segmentSize = options.path(FilesDriverProvider.SEGMENT_SIZE).asLong(LogConfig.DEFAULT_SEGMENT_SIZE);
        boolean fsync = "fsync".equals(options.path(FilesDriverProvider.DURABILITY).asText("os"));
        if (n < 1 || segmentSize < LogConfig.MIN_SEGMENT_SIZE) {
            throw new CorruptDataException(where + " holds invalid options " + options + restore);
        }
        long segmentMs = options.path(Retention.SEGMENT_MS).asLong(-1);
        return new TopicConfig(id == null ? null : id.asText(), n, new LogConfig(segmentSize, fsync, segmentMs),
                Metadata.of(options), Metadata.of(components));
    }

    /** @return the description {@code listTopics} returns: the options, then the components */
    Metadata description() {
        ObjectNode d = ((ObjectNode) options.json()).deepCopy();
        d.setAll((ObjectNode) components.json());
        return Metadata.of(d);
    }
}
