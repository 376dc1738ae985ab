package dev.diaspora.stream.memory;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.TopicExistsException;
import dev.diaspora.stream.TopicNotFoundException;
import dev.diaspora.stream.spi.Backend;
import dev.diaspora.stream.spi.Options;
import dev.diaspora.stream.spi.TopicBackend;
import java.util.Map;
import java.util.TreeMap;

/**
 * Topic administration over a {@link MemoryStore}.
 *
 * <p>Thread safety: thread-safe.
 */
final class MemoryBackend implements Backend {
    private final MemoryStore store;

    MemoryBackend(MemoryStore store) {
        this.store = store;
    }

    @Override
    public void createTopic(String name, Options topicOptions, Metadata components) {
        int n = topicOptions.intValue("num_partitions", 1);
        MemoryTopicState state = new MemoryTopicState(name, n, topicOptions.toMetadata(), components);
        if (store.topics.putIfAbsent(name, state) != null) {
            throw new TopicExistsException("Topic '" + name + "' already exists; open it with openTopic(\"" + name
                    + "\") or choose another name");
        }
    }

    @Override
    public TopicBackend openTopic(String name) {
        return new MemoryTopic(state(name));
    }

    @Override
    public boolean topicExists(String name) {
        return store.topics.containsKey(name);
    }

    @Override
    public Map<String, Metadata> listTopics() {
        Map<String, Metadata> out = new TreeMap<>();
        for (MemoryTopicState t : store.topics.values()) {
            ObjectNode d = ((ObjectNode) t.options.json()).deepCopy();
            d.setAll((ObjectNode) t.components.json());
            out.put(t.name, Metadata.of(d));
        }
        return out;
    }

    @Override
    public void alterTopic(String name, Options changes) {
        state(name).alter(changes);
    }

    @Override
    public void addPartitions(String name, int newCount) {
        state(name).addPartitions(newCount);
    }

    private MemoryTopicState state(String name) {
        MemoryTopicState state = store.topics.get(name);
        if (state == null) {
            throw new TopicNotFoundException("Topic '" + name + "' does not exist in this memory driver; create it"
                    + " first with createTopic(\"" + name + "\")");
        }
        return state;
    }

    @Override
    public void deleteTopic(String name) {
        MemoryTopicState gone = store.topics.remove(name);
        if (gone == null) {
            throw new TopicNotFoundException("Topic '" + name + "' does not exist; nothing to delete");
        }
        gone.deleted = true; // handles of this incarnation (other Driver instances on a shared store) fail from now on
        gone.notifier.wakeAll();
    }

    @Override
    public void close() {
    }
}
