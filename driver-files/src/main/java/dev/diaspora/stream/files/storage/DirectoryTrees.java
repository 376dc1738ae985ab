package dev.diaspora.stream.files.storage;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Directories as a whole: removing a tree, best effort (what the files driver does with deleted topics' trash and the
 * leftovers of crashed operations, and what the benchmarks do with their data directories), and forcing a directory's
 * entries to the device.
 *
 * <p>Exposed for the driver's other package and the benchmarks module; not otherwise API. Thread safety: stateless.
 */
public final class DirectoryTrees {
    private static final Logger LOG = LoggerFactory.getLogger(DirectoryTrees.class);

    private DirectoryTrees() {
    }

    /**
     * Forces {@code dir}'s entries (files created, renamed or removed in it) to the device, so that they survive a
     * power loss: the {@code fsync} durability's step after a file's own force. Best effort: not every platform can
     * open a directory for it, and there the files themselves are what was forced.
     */
    public static void forceDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // not every platform can open a directory for force; the files themselves were forced
        }
    }

    /**
     * Removes {@code dir} and everything below it, as far as it can: a file that cannot be visited is left, and a
     * failure is logged once as a warning naming what stays, never thrown. Does nothing for null or a missing path.
     */
    public static void deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException exc) {
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
                    Files.deleteIfExists(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            LOG.warn("cannot remove {} completely: {}; remove it by hand", dir, e.toString());
        }
    }
}
