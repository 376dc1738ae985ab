package dev.diaspora.stream.files;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.TopicNotFoundException;
import dev.diaspora.stream.TopicOptions;
import dev.diaspora.stream.files.storage.DirectoryTrees;
import dev.diaspora.stream.files.storage.FileLocks;
import dev.diaspora.stream.files.storage.PartitionLog;
import dev.diaspora.stream.spi.Backend;
import dev.diaspora.stream.spi.Options;
import dev.diaspora.stream.spi.Partitions;
import dev.diaspora.stream.spi.TopicBackend;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Topic administration under {@code root_path}. A topic is created complete in a hidden directory and renamed into
 * place in one atomic step ({@link TopicDirectories}), so other processes never see half a topic, and deleted by
 * renaming it away ({@code .deleted-<random>}) before its files are removed. No topic name starts with
 * {@code '.'} (the engine's rule, {@link dev.diaspora.stream.spi.TopicNames}), so these never collide with a topic.
 *
 * <p>Incarnations: a delete takes every partition's append lock before the rename, and every open handle checks its
 * topic's identity ({@link TopicIdentity}) under that lock before it appends and before other operations, so a
 * handle of a deleted or re-created topic, in any process, fails with {@code TopicNotFoundException}.
 *
 * <p>Thread safety: thread-safe.
 */
final class FilesBackend implements Backend {
    private static final Logger LOG = LoggerFactory.getLogger(FilesBackend.class);
    private static final Duration STALE_TMP = Duration.ofHours(1);
    /** The {@code "layout"} of this driver's topics in {@code listTopics}; the C++ layout is {@code "v0"}. */
    static final String LAYOUT = "files";

    private final Path root;
    private final TopicDirectories topics;
    private final OpenTopics<FilesTopic> open;

    FilesBackend(Path root) {
        this.root = root;
        this.topics = new TopicDirectories(root, "topic");
        this.open = new OpenTopics<>("the files driver on " + root);
        topics.cleanLeftovers(STALE_TMP);
    }

    Path root() {
        return root;
    }

    @Override
    public void createTopic(String name, Options topicOptions, Metadata components) {
        open.checkOpen();
        int n = topicOptions.intValue("num_partitions", 1);
        boolean fsync = "fsync".equals(topicOptions.string(FilesDriverProvider.DURABILITY));
        topics.create(name, tmp -> {
            Files.write(tmp.resolve(TopicConfig.FILE), TopicConfig.json(topicOptions, components),
                    StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            Path parts = Files.createDirectory(tmp.resolve(FilesTopic.PARTITIONS_DIR));
            for (int p = 0; p < n; p++) {
                PartitionLog.create(Files.createDirectory(parts.resolve(FilesTopic.partitionDirName(p))), p);
            }
            Files.createDirectory(tmp.resolve(FilesTopic.CONSUMERS_DIR));
            if (fsync) {
                forceTree(tmp);
            }
        });
        if (fsync) {
            DirectoryTrees.forceDirectory(root);
        }
    }

    @Override
    public TopicBackend openTopic(String name) {
        open.checkOpen();
        Path dir = topics.dir(name);
        if (!Files.isDirectory(dir)) {
            throw topics.notFound(name);
        }
        if (V0Layout.isTopic(dir)) {
            throw new TopicNotFoundException("Topic '" + name + "' under " + root + " is in the layout of the C++"
                    + " files driver (v0), which this driver does not open: open it with the \"files-v0\" driver"
                    + " (same root_path), or copy it into this layout with diaspora-ctl export/import or forward");
        }
        TopicIdentity identity = TopicIdentity.open(dir, name);
        FilesTopic t;
        try {
            t = new FilesTopic(this, name, dir, identity);
        } catch (RuntimeException e) {
            identity.close();
            throw e;
        }
        return open.add(t);
    }

    void closed(FilesTopic t) {
        open.remove(t);
    }

    @Override
    public boolean topicExists(String name) {
        open.checkOpen();
        return Files.isRegularFile(topics.dir(name).resolve(TopicConfig.FILE));
    }

    @Override
    public Map<String, Metadata> listTopics() {
        open.checkOpen();
        Map<String, Metadata> out = new TreeMap<>();
        topics.forEachCandidate((name, d) -> {
            try (TopicIdentity t = TopicIdentity.open(d, name)) {
                out.put(name, withLayout(effective(d, name, t).description()));
            } catch (TopicNotFoundException e) {
                if (V0Layout.isTopic(d)) { // a topic of the C++ driver: listed with "layout":"v0"
                    V0Backend.listV0(out, d, name);
                } else {
                    LOG.debug("listTopics: skipping {}: {}", d, e.getMessage()); // not a topic, or being created
                }
            } catch (DiasporaException e) {
                LOG.warn("listTopics: not listing {}: {}", d, e.getMessage()); // damaged: say so, once per call
            }
        });
        return out;
    }

    /** @return {@code description} with {@code "layout":"files"} first, so listings say which layout a topic uses */
    private static Metadata withLayout(Metadata description) {
        ObjectNode d = JsonNodeFactory.instance.objectNode().put("layout", LAYOUT);
        d.setAll((ObjectNode) description.json());
        return Metadata.of(d);
    }

    @Override
    public Metadata describeTopic(String name) {
        open.checkOpen();
        Path dir = topics.dir(name);
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return null;
        }
        try (TopicIdentity t = TopicIdentity.open(dir, name)) {
            return withLayout(effective(dir, name, t).description());
        } catch (TopicNotFoundException e) {
            return V0Layout.isTopic(dir) ? V0Layout.description(dir, name) : null; // C++ layout, or deleted meanwhile
        }
    }

    /** @return the topic's configuration with its later changes ({@link TopicChangesFile}) */
    static TopicConfig effective(Path dir, String name, TopicIdentity identity) {
        TopicConfig created = identity.config();
        return created.with(TopicChangesFile.read(dir, name, created.id()));
    }

    @Override
    public void alterTopic(String name, Options changes) {
        open.checkOpen();
        Path dir = existingTopic(name);
        ObjectNode changed = (ObjectNode) changes.toMetadata().json();
        TopicChangesFile.change(dir, name, current -> changed);
        refreshOpen(name);
    }

    /**
     * Creates the new partitions' directories (replacing any that a crashed earlier call left), then records the new
     * count in {@code changes.json}: a crash in between leaves the old count (see {@link TopicChangesFile}).
     */
    @Override
    public void addPartitions(String name, int newCount) {
        open.checkOpen();
        Path dir = existingTopic(name);
        TopicChangesFile.change(dir, name, current -> {
            Partitions.checkGrowth(name, current.numPartitions(), newCount);
            Path parts = dir.resolve(FilesTopic.PARTITIONS_DIR);
            try {
                for (int p = current.numPartitions(); p < newCount; p++) {
                    Path pd = parts.resolve(FilesTopic.partitionDirName(p));
                    if (Files.exists(pd, LinkOption.NOFOLLOW_LINKS)) {
                        DirectoryTrees.deleteTree(pd); // left by a crashed addPartitions: beyond the count, nobody reads it
                    }
                    PartitionLog.create(Files.createDirectory(pd), p);
                    if (current.log().fsync()) {
                        forceTree(pd);
                    }
                }
                if (current.log().fsync()) {
                    DirectoryTrees.forceDirectory(parts);
                }
            } catch (IOException e) {
                throw new DiasporaException("Cannot add partitions to topic '" + name + "' in " + parts + ": " + e
                        + ". Check that the directory is writable and has free space; the topic keeps its "
                        + current.numPartitions() + " partitions", e);
            }
            ObjectNode changed = JsonNodeFactory.instance.objectNode();
            changed.put(TopicOptions.NUM_PARTITIONS, newCount);
            return changed;
        });
        refreshOpen(name);
    }

    private Path existingTopic(String name) {
        if (!topicExists(name)) {
            throw topics.notFound(name);
        }
        return topics.dir(name);
    }

    /** Open handles of this backend see a change at once; other processes' within {@link TopicChangesFile#CHECK_NANOS}. */
    private void refreshOpen(String name) {
        for (FilesTopic t : open.named(name)) {
            t.refreshChanges(true);
        }
    }

    @Override
    public void deleteTopic(String name) {
        open.checkOpen();
        Path dir = topics.dir(name);
        if (!topicExists(name)) {
            throw new TopicNotFoundException("Topic '" + name + "' does not exist under root_path " + root
                    + "; nothing to delete");
        }
        for (FilesTopic t : open.named(name)) {
            t.close();
        }
        Path trash = root.resolve(".deleted-" + TopicDirectories.randomSuffix());
        List<FileLocks.Shared> locks = new ArrayList<>();
        try {
            // Every partition's append lock, as appenders of every process take it: an append either completes
            // before the rename or finds, under the lock, that its topic.json is gone (TopicIdentity).
            for (Path lock : partitionLocks(dir)) {
                FileLocks.Shared l = FileLocks.openShared(lock);
                locks.add(l);
                l.lock();
            }
            Files.move(dir, trash, StandardCopyOption.ATOMIC_MOVE);
        } catch (NoSuchFileException e) {
            throw new TopicNotFoundException("Topic '" + name + "' was deleted meanwhile by another process", e);
        } catch (IOException e) {
            if (!Files.exists(dir.resolve(TopicConfig.FILE))) {
                throw new TopicNotFoundException("Topic '" + name + "' was deleted meanwhile by another process", e);
            }
            throw new DiasporaException("Cannot delete topic '" + name + "' (" + dir + "): " + e
                    + ". Check that the directory and its partitions' lock files are writable", e);
        } finally {
            for (int i = locks.size() - 1; i >= 0; i--) {
                FileLocks.Shared l = locks.get(i);
                try {
                    if (l.isHeldByCurrentThread()) {
                        l.unlock();
                    }
                    l.close();
                } catch (IOException e) {
                    LOG.debug("deleteTopic {}: releasing a partition lock: {}", name, e.toString());
                }
            }
        }
        DirectoryTrees.deleteTree(trash);
    }

    /** @return the lock file of every partition directory of the topic in {@code dir}, in partition order */
    private static List<Path> partitionLocks(Path dir) throws IOException {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir.resolve(FilesTopic.PARTITIONS_DIR))) {
            for (Path p : ds) {
                if (Files.isRegularFile(p.resolve(PartitionLog.LOCK_FILE), LinkOption.NOFOLLOW_LINKS)) {
                    out.add(p.resolve(PartitionLog.LOCK_FILE));
                }
            }
        } catch (NoSuchFileException e) {
            return out; // no partitions directory: nothing appends to it
        }
        out.sort(null);
        return out;
    }

    @Override
    public void close() {
        open.closeAll();
    }

    private static void forceTree(Path dir) throws IOException {
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                    ch.force(true);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException exc) {
                DirectoryTrees.forceDirectory(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    @Override
    public String toString() {
        return "FilesBackend[" + root + "]";
    }
}
