package dev.diaspora.stream.files;

import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.TopicExistsException;
import dev.diaspora.stream.TopicNotFoundException;
import dev.diaspora.stream.files.storage.DirectoryTrees;
import dev.diaspora.stream.files.storage.StorageErrors;
import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The topic directories under one {@code root_path}, as both layouts keep them (the {@code files} driver's and the
 * C++ layout of {@code files-v0}): one directory per topic, named after it; hidden entries ({@code '.'} first, which
 * no topic name is: {@link dev.diaspora.stream.spi.TopicNames}) are work in progress. A topic is built complete in a
 * hidden {@code .tmp-<random>} directory and renamed into place in one atomic step, so other processes never see half
 * a topic.
 *
 * <p>Thread safety: immutable; safe from any thread and process.
 */
final class TopicDirectories {
    private static final Logger LOG = LoggerFactory.getLogger(TopicDirectories.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Fills a topic's directory before it is renamed into place. */
    @FunctionalInterface
    interface Builder {
        void build(Path dir) throws IOException;
    }

    private final Path root;
    private final String kind;

    /**
     * @param root the {@code root_path}
     * @param kind how errors name a topic of this layout ({@code "topic"}, {@code "v0 topic"})
     */
    TopicDirectories(Path root, String kind) {
        this.root = root;
        this.kind = kind;
    }

    Path root() {
        return root;
    }

    /** @return the directory of topic {@code name} (it may not exist) */
    Path dir(String name) {
        return root.resolve(name);
    }

    /**
     * Creates topic {@code name}: {@code builder} fills a fresh hidden directory, which is then renamed to the topic's
     * name. Nothing is left behind when it fails.
     *
     * @throws TopicExistsException if a topic (or anything else) of that name exists, or another creator won
     * @throws DiasporaException naming the reason if the directory cannot be written
     */
    void create(String name, Builder builder) {
        Path target = dir(name);
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            throw exists(name);
        }
        Path tmp = root.resolve(".tmp-" + randomSuffix());
        try {
            Files.createDirectory(tmp);
            builder.build(tmp);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
            throw exists(name);
        } catch (IOException e) {
            if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                throw exists(name); // another creator renamed its topic into place first
            }
            throw new DiasporaException("Cannot create " + kind + " '" + name + "' in " + root + ": "
                    + StorageErrors.whyUnwritable(e) + ". Nothing of the topic was left behind", e);
        } finally {
            if (Files.exists(tmp, LinkOption.NOFOLLOW_LINKS)) {
                DirectoryTrees.deleteTree(tmp);
            }
        }
    }

    /**
     * Calls {@code visit} with the name and path of every directory under the root that may be a topic (hidden
     * entries and plain files are passed over); nothing for a root that does not exist yet.
     *
     * @throws DiasporaException if the root cannot be listed
     */
    void forEachCandidate(BiConsumer<String, Path> visit) {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(root)) {
            for (Path d : ds) {
                String name = d.getFileName().toString();
                if (!name.startsWith(".") && Files.isDirectory(d)) {
                    visit.accept(name, d);
                }
            }
        } catch (NoSuchFileException e) {
            return;
        } catch (IOException e) {
            throw new DiasporaException("Cannot list the topics in " + root + ": " + e
                    + ". Check that the directory is readable", e);
        }
    }

    /**
     * Removes what crashed creations and deletions left behind: {@code .deleted-*}, and {@code .tmp-*} older than
     * {@code staleTmp} (a younger one may be a creation under way in another process).
     */
    void cleanLeftovers(Duration staleTmp) {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(root)) {
            Instant staleBefore = Instant.now().minus(staleTmp);
            for (Path d : ds) {
                String name = d.getFileName().toString();
                if (name.startsWith(".deleted-")) {
                    DirectoryTrees.deleteTree(d);
                } else if (name.startsWith(".tmp-")) {
                    FileTime t = Files.getLastModifiedTime(d, LinkOption.NOFOLLOW_LINKS);
                    if (t.toInstant().isBefore(staleBefore)) {
                        DirectoryTrees.deleteTree(d);
                    }
                }
            }
        } catch (IOException e) {
            LOG.debug("cannot clean leftovers in {}: {}", root, e.toString());
        }
    }

    /** @return the error for a topic that does not exist, saying how to create it */
    TopicNotFoundException notFound(String name) {
        return new TopicNotFoundException("Topic '" + name + "' does not exist under root_path " + root
                + "; create it first with createTopic(\"" + name + "\")");
    }

    /** @return the error for a topic that exists already */
    TopicExistsException exists(String name) {
        return new TopicExistsException("Topic '" + name + "' already exists (" + dir(name) + "); open it with"
                + " openTopic(\"" + name + "\") or choose another name");
    }

    /** @return a random suffix for hidden work directories ({@code .tmp-}, {@code .deleted-}) */
    static String randomSuffix() {
        return Long.toString(RANDOM.nextLong() & Long.MAX_VALUE, 36);
    }

    @Override
    public String toString() {
        return "TopicDirectories[" + root + "]";
    }
}
