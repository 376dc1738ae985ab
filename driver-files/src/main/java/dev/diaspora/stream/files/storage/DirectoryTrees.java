package dev.diaspora.stream.files.storage;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removing a directory tree, best effort: what the files driver does with deleted topics' trash and the leftovers of
 * crashed operations, and what the benchmarks do with their data directories.
 *
 * <p>Exposed for the benchmarks module; not otherwise API. Thread safety: stateless.
 */
public final class DirectoryTrees {
    private static final Logger LOG = LoggerFactory.getLogger(DirectoryTrees.class);

    private DirectoryTrees() {
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
