package dev.diaspora.stream.files;

import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.TopicNotFoundException;
import dev.diaspora.stream.spi.TopicNames;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Arrays;
import java.util.Objects;

/**
 * One incarnation of a topic, as an open handle sees it: the {@code topic.json} it was opened from, held open for the
 * handle's lifetime, and that file's identity ({@link BasicFileAttributes#fileKey()}: device and inode).
 *
 * <p>{@code topic.json} is written once and never replaced while the topic lives, so "is my topic still there?" is
 * one {@code stat} of {@code <topic>/topic.json} compared with the identity recorded at open: a deleted topic has no
 * such file, a re-created one has another file. Holding the channel open keeps the original inode allocated, so the
 * file system cannot hand its number to a re-created topic's {@code topic.json} (inode reuse would make a new topic
 * look like the old one). On file systems without file keys, the check compares the file's bytes instead.
 *
 * <p>Appends run the check under the partition's append lock, which {@link FilesBackend#deleteTopic} also takes
 * before it renames a topic away: an append either completes before the delete or is refused. Reads, admin calls and
 * position writes run it before they act.
 *
 * <p>Thread safety: thread-safe; {@link #close()} once, when the handle closes.
 */
final class TopicIdentity implements AutoCloseable {
    private final String name;
    private final Path file;
    private final FileChannel channel;
    private final Object key; // null: compare bytes
    private final byte[] bytes;
    private final TopicConfig config;

    private TopicIdentity(String name, Path file, FileChannel channel, Object key, byte[] bytes, TopicConfig config) {
        this.name = name;
        this.file = file;
        this.channel = channel;
        this.key = key;
        this.bytes = bytes;
        this.config = config;
    }

    /**
     * Opens and reads {@code dir/topic.json}, recording the identity of the file that was read.
     *
     * @throws TopicNotFoundException if there is no such file
     * @throws DiasporaException if it cannot be read, or is damaged ({@link dev.diaspora.stream.CorruptDataException})
     */
    static TopicIdentity open(Path dir, String name) {
        Path file = dir.resolve(TopicConfig.FILE);
        for (int attempt = 0; ; attempt++) {
            FileChannel ch = null;
            try {
                Object before = key(file);
                ch = FileChannel.open(file, StandardOpenOption.READ);
                Object after = key(file);
                if (!Objects.equals(before, after) && attempt < 5) {
                    ch.close(); // replaced while we opened it: open the new one
                    continue;
                }
                byte[] b = readAll(ch);
                TopicIdentity id = new TopicIdentity(name, file, ch, after, b, TopicConfig.parse(b, file, name));
                ch = null;
                return id;
            } catch (NoSuchFileException e) {
                throw new TopicNotFoundException("Topic '" + name + "' does not exist: " + dir + " has no "
                        + TopicConfig.FILE + " (not a topic directory, or a topic being created or deleted). Create it"
                        + " with createTopic(\"" + name + "\")", e);
            } catch (IOException e) {
                throw new DiasporaException("Topic '" + name + "': cannot read " + file + ": " + e + ". Check that the"
                        + " file and its directory are readable", e);
            } finally {
                if (ch != null) {
                    try {
                        ch.close();
                    } catch (IOException ignored) {
                        // nothing was locked through it
                    }
                }
            }
        }
    }

    private static Object key(Path file) throws IOException {
        return Files.readAttributes(file, BasicFileAttributes.class).fileKey();
    }

    private static byte[] readAll(FileChannel ch) throws IOException {
        long size = ch.size();
        if (size > 16L << 20) {
            throw new IOException("the file holds " + size + " bytes, more than a topic description can (16 MiB)");
        }
        ByteBuffer buf = ByteBuffer.allocate((int) size);
        while (buf.hasRemaining() && ch.read(buf, buf.position()) >= 0) {
            // positional reads until full or end of file
        }
        return Arrays.copyOf(buf.array(), buf.position());
    }

    /** @return the configuration read at open */
    TopicConfig config() {
        return config;
    }

    /** @return null if the topic is still this incarnation, else the error to fail the operation with */
    TopicNotFoundException changed() {
        try {
            if (key != null) {
                if (key.equals(key(file))) {
                    return null;
                }
            } else if (Arrays.equals(bytes, Files.readAllBytes(file))) {
                return null;
            }
            return TopicNames.deleted(name, file + " is now another file");
        } catch (NoSuchFileException e) {
            return TopicNames.deleted(name, file + " no longer exists");
        } catch (IOException e) {
            return null; // cannot tell (permissions, I/O error): the operation itself reports problems of the files
        }
    }

    /** @throws TopicNotFoundException if the topic was deleted or replaced since it was opened */
    void check() {
        TopicNotFoundException e = changed();
        if (e != null) {
            throw e;
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing was locked through it
        }
    }
}
