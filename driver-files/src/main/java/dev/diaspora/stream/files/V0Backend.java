package dev.diaspora.stream.files;

import com.fasterxml.jackson.databind.JsonNode;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.TopicExistsException;
import dev.diaspora.stream.TopicNotFoundException;
import dev.diaspora.stream.spi.Backend;
import dev.diaspora.stream.spi.Options;
import dev.diaspora.stream.spi.TopicBackend;
import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Topic administration of the {@code files-v0} driver: topics in the C++ layout ({@link V0Layout}) under
 * {@code root_path}. A topic is built in a hidden {@code .tmp-<random>} directory and renamed into place, as C++ would
 * lay it out: the component files and the empty partition directories (the C++ library, like this driver, creates
 * the partition files when a producer or consumer first opens the topic). Directories that are not v0 topics
 * (topics of the {@code files} layout, which have a {@code topic.json}) are neither listed nor opened.
 *
 * <p>Thread safety: thread-safe.
 */
final class V0Backend implements Backend {
    private static final Logger LOG = LoggerFactory.getLogger(V0Backend.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path root;
    private final Set<V0Topic> open = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();

    V0Backend(Path root) {
        this.root = root;
    }

    @Override
    public void createTopic(String name, Options topicOptions, Metadata components) {
        checkOpen();
        Path target = root.resolve(name);
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            throw exists(name, target);
        }
        int n = topicOptions.intValue("num_partitions", 1);
        Path tmp = root.resolve(".tmp-" + Long.toString(RANDOM.nextLong() & Long.MAX_VALUE, 36));
        try {
            Files.createDirectory(tmp);
            for (int p = 0; p < n; p++) {
                Files.createDirectories(V0Layout.partitionDir(tmp, p));
            }
            JsonNode c = components.json();
            for (String[] kv : V0Layout.COMPONENTS) {
                Files.write(tmp.resolve(kv[1]), V0Json.pretty(c.get(kv[0])));
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
            throw exists(name, target);
        } catch (IOException e) {
            if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                throw exists(name, target); // another creator renamed its topic into place first
            }
            throw new DiasporaException("Cannot create v0 topic '" + name + "' in " + root + ": " + e
                    + ". Check that the directory is writable and has free space", e);
        } finally {
            if (Files.exists(tmp, LinkOption.NOFOLLOW_LINKS)) {
                FilesBackend.deleteTree(tmp);
            }
        }
    }

    private static TopicExistsException exists(String name, Path target) {
        return new TopicExistsException("Topic '" + name + "' already exists (" + target + "); open it with openTopic(\""
                + name + "\") or choose another name");
    }

    @Override
    public TopicBackend openTopic(String name) {
        checkOpen();
        Path dir = root.resolve(name);
        if (!Files.isDirectory(dir)) {
            throw new TopicNotFoundException("Topic '" + name + "' does not exist under root_path " + root
                    + "; create it first with createTopic(\"" + name + "\")");
        }
        if (!V0Layout.isTopic(dir)) {
            throw new TopicNotFoundException("Topic '" + name + "' under " + root + " is not in the C++ (v0) layout"
                    + (Files.exists(dir.resolve(TopicConfig.FILE)) ? ": it has a " + TopicConfig.FILE + ", so it is a"
                    + " topic of the files layout; open it with the \"files\" driver" : ": it has no partitions"
                    + " directory"));
        }
        V0Topic t = new V0Topic(this, name, dir);
        open.add(t);
        if (closed.get()) {
            t.close();
            checkOpen();
        }
        return t;
    }

    void closed(V0Topic t) {
        open.remove(t);
    }

    @Override
    public boolean topicExists(String name) {
        checkOpen();
        return V0Layout.isTopic(root.resolve(name));
    }

    @Override
    public Map<String, Metadata> listTopics() {
        checkOpen();
        Map<String, Metadata> out = new TreeMap<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(root)) {
            for (Path d : ds) {
                String name = d.getFileName().toString();
                if (name.startsWith(".") || !V0Layout.isTopic(d)) {
                    continue;
                }
                try {
                    out.put(name, V0Layout.description(d, name));
                } catch (DiasporaException e) {
                    LOG.warn("listTopics: not listing {}: {}", d, e.getMessage());
                }
            }
        } catch (NoSuchFileException e) {
            return out;
        } catch (IOException e) {
            throw new DiasporaException("Cannot list the topics in " + root + ": " + e
                    + ". Check that the directory is readable", e);
        }
        return out;
    }

    @Override
    public Metadata describeTopic(String name) {
        checkOpen();
        Path dir = root.resolve(name);
        return V0Layout.isTopic(dir) ? V0Layout.description(dir, name) : null;
    }

    @Override
    public void deleteTopic(String name) {
        throw new UnsupportedOperationException("the files-v0 driver does not delete topics: a C++ process may be"
                + " using it, and the C++ library would not notice. Stop every process using '" + name
                + "', then remove " + root.resolve(name) + " by hand");
    }

    private void checkOpen() {
        if (closed.get()) {
            throw new IllegalStateException("the files-v0 driver on " + root + " is closed");
        }
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        for (V0Topic t : List.copyOf(open)) {
            t.close();
        }
    }

    @Override
    public String toString() {
        return "V0Backend[" + root + "]";
    }
}
