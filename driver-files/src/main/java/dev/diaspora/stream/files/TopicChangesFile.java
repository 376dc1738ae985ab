package dev.diaspora.stream.files;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diaspora.stream.CorruptDataException;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.InvalidMetadataException;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.files.storage.DirectoryTrees;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.SecureRandom;
import java.util.List;
import java.util.function.Function;

/**
 * A topic's {@code changes.json}: the options changed after creation by {@code Driver.addPartitions} and
 * {@code Driver.alterTopic}, laid over those of {@code topic.json} (which is never rewritten: its file is the topic's
 * identity). Content: {@code {"format":1,"topic":"<topic.json id>","options":{...},"crc32c":"<8 hex>"}}.
 *
 * <p>Writers serialize on an OS lock of {@code changes.lock} and replace the file atomically (a temporary file,
 * forced, then renamed over it), so a reader sees the old or the new file, never a part. {@code addPartitions}
 * creates the new partitions' directories before it renames: a crash before the rename leaves the old count and
 * directories nobody reads (the next addPartitions makes them again), a crash after it leaves the new count with
 * its directories in place. Open handles notice a new file by its identity (one {@code stat}, at most every
 * {@link #CHECK_NANOS}); see FORMAT.md.
 *
 * <p>Thread safety: stateless; the lock serializes writers across threads and processes.
 */
final class TopicChangesFile {
    static final String FILE = "changes.json";
    static final String LOCK = "changes.lock";
    /** How often an open handle looks for a new {@code changes.json}. */
    static final long CHECK_NANOS = 100_000_000L;
    private static final int FORMAT = 1;
    private static final SecureRandom RANDOM = new SecureRandom();

    private TopicChangesFile() {
    }

    /** @return what identifies the current file (device, inode, time, size), or null if there is none */
    static Object stamp(Path topicDir) {
        try {
            BasicFileAttributes a = Files.readAttributes(topicDir.resolve(FILE), BasicFileAttributes.class);
            return List.of(String.valueOf(a.fileKey()), a.lastModifiedTime(), a.size());
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * @return the changed options, or null if the topic has no {@code changes.json}
     * @throws CorruptDataException naming the file if it is damaged or belongs to another topic
     */
    static ObjectNode read(Path topicDir, String name, String topicId) {
        Path file = topicDir.resolve(FILE);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new DiasporaException("Topic '" + name + "': cannot read " + file + ": " + e + ". Check that it is"
                    + " readable", e);
        }
        String what = "Topic '" + name + "'";
        String restore = ". Restore it from a backup, or delete it to go back to the options the topic was created"
                + " with (partitions added later are then not read)";
        JsonNode root;
        try {
            root = Metadata.of(TopicConfig.unsealed(bytes, file, what)).json();
        } catch (InvalidMetadataException e) {
            throw new CorruptDataException(what + ": " + file + " is not valid JSON" + restore, e);
        } catch (CorruptDataException e) {
            throw new CorruptDataException(e.getMessage() + restore, e);
        }
        JsonNode options = root.get("options");
        if (root.path("format").asInt(-1) != FORMAT || options == null || !options.isObject()) {
            throw new CorruptDataException(what + ": " + file + " is not a topic changes file of format " + FORMAT
                    + restore);
        }
        if (topicId != null && !topicId.equals(root.path("topic").asText())) {
            throw new CorruptDataException(what + ": " + file + " belongs to another topic (id "
                    + root.path("topic").asText() + ", the topic's is " + topicId + ")" + restore);
        }
        return (ObjectNode) options;
    }

    /**
     * Changes a topic's options under the topic's change lock: {@code change} gets the configuration in effect and
     * returns the options to change (it may first prepare files, such as partition directories); they are then laid
     * over the current changes and written.
     */
    static void change(Path topicDir, String name, Function<TopicConfig, ObjectNode> change) {
        try (FileChannel lockChannel = FileChannel.open(topicDir.resolve(LOCK), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE); FileLock lock = lockChannel.lock()) {
            try (TopicIdentity identity = TopicIdentity.open(topicDir, name)) {
                TopicConfig created = identity.config();
                ObjectNode current = read(topicDir, name, created.id());
                ObjectNode changed = change.apply(created.with(current));
                ObjectNode merged = current == null ? changed.deepCopy() : current.deepCopy();
                merged.setAll(changed);
                write(topicDir, created.id(), merged, created.log().fsync());
                identity.check(); // deleted meanwhile: say so rather than report a change nobody sees
            }
        } catch (NoSuchFileException e) {
            throw new dev.diaspora.stream.TopicNotFoundException("Topic '" + name + "' does not exist: " + topicDir
                    + " is gone", e);
        } catch (IOException e) {
            throw new DiasporaException("Cannot change topic '" + name + "' in " + topicDir + ": " + e + ". Check that"
                    + " the directory is writable and has free space; nothing was changed", e);
        }
    }

    private static void write(Path topicDir, String topicId, ObjectNode options, boolean fsync) throws IOException {
        // the id is 32 hex digits (or absent, for a topic.json written before ids): no escaping needed
        String body = "{\"format\":" + FORMAT + ",\"topic\":\"" + (topicId == null ? "" : topicId)
                + "\",\"options\":" + Metadata.of(options);
        Path tmp = topicDir.resolve(".changes-" + Long.toString(RANDOM.nextLong() & Long.MAX_VALUE, 36) + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer b = ByteBuffer.wrap(TopicConfig.sealed(body));
                while (b.hasRemaining()) {
                    ch.write(b);
                }
                ch.force(true); // always: a renamed file must never be seen empty after a power loss
            }
            Files.move(tmp, topicDir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
            if (fsync) {
                DirectoryTrees.forceDirectory(topicDir);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
