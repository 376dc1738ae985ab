package dev.diaspora.stream.files;

import com.fasterxml.jackson.databind.JsonNode;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.TopicNotFoundException;
import dev.diaspora.stream.spi.Backend;
import dev.diaspora.stream.spi.Options;
import dev.diaspora.stream.spi.TopicBackend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Topic administration of the {@code files-v0} driver: topics in the C++ layout ({@link V0Layout}) under
 * {@code root_path} ({@link TopicDirectories}). A topic is built in a hidden directory and renamed into place, as
 * C++ would lay it out: the component files and the empty partition directories (the C++ library, like this driver,
 * creates the partition files when a producer or consumer first opens the topic). Directories that are not v0 topics
 * (topics of the {@code files} layout, which have a {@code topic.json}) are neither listed nor opened.
 *
 * <p>Thread safety: thread-safe.
 */
final class V0Backend implements Backend {
    private static final Logger LOG = LoggerFactory.getLogger(V0Backend.class);

    private final Path root;
    private final TopicDirectories topics;
    private final OpenTopics<V0Topic> open;

    V0Backend(Path root) {
        this.root = root;
        this.topics = new TopicDirectories(root, "v0 topic");
        this.open = new OpenTopics<>("the files-v0 driver on " + root);
    }

    @Override
    public void createTopic(String name, Options topicOptions, Metadata components) {
        open.checkOpen();
        int n = topicOptions.intValue("num_partitions", 1);
        topics.create(name, tmp -> {
            for (int p = 0; p < n; p++) {
                Files.createDirectories(V0Layout.partitionDir(tmp, p));
            }
            JsonNode c = components.json();
            for (String[] kv : V0Layout.COMPONENTS) {
                Files.write(tmp.resolve(kv[1]), V0Json.pretty(c.get(kv[0])));
            }
        });
    }

    @Override
    public TopicBackend openTopic(String name) {
        open.checkOpen();
        Path dir = topics.dir(name);
        if (!Files.isDirectory(dir)) {
            throw topics.notFound(name);
        }
        if (!V0Layout.isTopic(dir)) {
            throw new TopicNotFoundException("Topic '" + name + "' under " + root + " is not in the C++ (v0) layout"
                    + (Files.exists(dir.resolve(TopicConfig.FILE)) ? ": it has a " + TopicConfig.FILE + ", so it is a"
                    + " topic of the files layout; open it with the \"files\" driver" : ": it has no partitions"
                    + " directory"));
        }
        return open.add(new V0Topic(this, name, dir));
    }

    void closed(V0Topic t) {
        open.remove(t);
    }

    @Override
    public boolean topicExists(String name) {
        open.checkOpen();
        return V0Layout.isTopic(topics.dir(name));
    }

    @Override
    public Map<String, Metadata> listTopics() {
        open.checkOpen();
        Map<String, Metadata> out = new TreeMap<>();
        topics.forEachCandidate((name, d) -> {
            if (V0Layout.isTopic(d)) {
                listV0(out, d, name);
            }
        });
        return out;
    }

    /** Adds the description of the v0 topic in {@code d} to {@code out}; a damaged one is left out, saying why. */
    static void listV0(Map<String, Metadata> out, Path d, String name) {
        try {
            out.put(name, V0Layout.description(d, name));
        } catch (DiasporaException e) {
            LOG.warn("listTopics: not listing {}: {}", d, e.getMessage());
        }
    }

    @Override
    public Metadata describeTopic(String name) {
        open.checkOpen();
        Path dir = topics.dir(name);
        return V0Layout.isTopic(dir) ? V0Layout.description(dir, name) : null;
    }

    @Override
    public void deleteTopic(String name) {
        throw new UnsupportedOperationException("the files-v0 driver does not delete topics: a C++ process may be"
                + " using it, and the C++ library would not notice. Stop every process using '" + name
                + "', then remove " + topics.dir(name) + " by hand");
    }

    @Override
    public void close() {
        open.closeAll();
    }

    @Override
    public String toString() {
        return "V0Backend[" + root + "]";
    }
}
