package dev.diaspora.stream.tck.selftest;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.TopicExistsException;
import dev.diaspora.stream.TopicNotFoundException;
import dev.diaspora.stream.spi.Backend;
import dev.diaspora.stream.spi.Options;
import dev.diaspora.stream.spi.TopicBackend;
import dev.diaspora.stream.spi.Partitions;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/** Topic administration of the reference driver. */
final class ReferenceBackend implements Backend {
    private final ReferenceStore store;
    private final Fault fault;
    private final boolean recordMode;
    private volatile boolean closed;
    /** The private_handles fault: names opened once already (later handles get an empty copy). */
    private final java.util.Set<String> openedOnce = java.util.concurrent.ConcurrentHashMap.newKeySet();

    ReferenceBackend(ReferenceStore store, Fault fault, boolean recordMode) {
        this.recordMode = recordMode;
        this.store = store;
        this.fault = fault;
    }

    @Override
    public void createTopic(String name, Options topicOptions, Metadata components) {
        synchronized (store) {
            if (store.topics.containsKey(name) && fault != Fault.OVERWRITE_ON_CREATE) {
                throw new TopicExistsException("Topic '" + name + "' already exists; open it, or delete it first.");
            }
            ReferenceStore.Topic stale = fault == Fault.STALE_DELETE ? store.deleted.remove(name) : null;
            if (stale != null) {
                store.topics.put(name, stale);
                return;
            }
            int partitions = fault == Fault.ONE_PARTITION ? 1 : topicOptions.intValue("num_partitions", 1);
            Metadata stored = fault == Fault.LOSE_COMPONENTS ? Metadata.EMPTY : components;
            store.topics.put(name, new ReferenceStore.Topic(name, topicOptions.toMetadata(), stored, partitions));
        }
    }

    @Override
    public TopicBackend openTopic(String name) {
        ReferenceStore.Topic t;
        synchronized (store) {
            t = store.topics.get(name);
        }
        if (t == null) {
            throw new TopicNotFoundException(fault == Fault.VAGUE_ERRORS ? "no such topic"
                    : "Topic '" + name + "' does not exist; create it first.");
        }
        if (fault == Fault.PRIVATE_HANDLES && !openedOnce.add(name)) {
            t = new ReferenceStore.Topic(t.name, t.options, t.components, t.partitions.length);
        }
        return new ReferenceTopic(store, t, fault, recordMode);
    }

    @Override
    public boolean topicExists(String name) {
        synchronized (store) {
            return store.topics.containsKey(name);
        }
    }

    @Override
    public Map<String, Metadata> listTopics() {
        Map<String, Metadata> out = new LinkedHashMap<>();
        synchronized (store) {
            for (ReferenceStore.Topic t : store.topics.values()) {
                ObjectNode d = t.options.json().deepCopy();
                if (fault != Fault.LIST_WITHOUT_COMPONENTS) {
                    d.setAll((ObjectNode) t.components.json().deepCopy());
                }
                out.put(t.name, Metadata.of(d));
            }
        }
        return out;
    }

    @Override
    public void alterTopic(String name, Options changes) {
        synchronized (store) {
            ReferenceStore.Topic t = existing(name);
            if (fault == Fault.IGNORE_ALTER) {
                return;
            }
            ObjectNode o = t.options.json().deepCopy();
            o.setAll((ObjectNode) changes.toMetadata().json());
            t.options = Metadata.of(o);
        }
    }

    @Override
    public void addPartitions(String name, int newCount) {
        synchronized (store) {
            ReferenceStore.Topic t = existing(name);
            Partitions.checkGrowth(name, t.partitions.length, newCount);
            ReferenceStore.Partition[] grown = Arrays.copyOf(t.partitions, newCount);
            for (int p = t.partitions.length; p < newCount; p++) {
                grown[p] = new ReferenceStore.Partition();
            }
            ObjectNode o = t.options.json().deepCopy();
            o.put("num_partitions", newCount);
            t.options = Metadata.of(o);
            t.partitions = grown;
            t.notifier.changed();
        }
    }

    private ReferenceStore.Topic existing(String name) {
        ReferenceStore.Topic t = store.topics.get(name);
        if (t == null) {
            throw new TopicNotFoundException("Topic '" + name + "' does not exist.");
        }
        return t;
    }

    @Override
    public void deleteTopic(String name) {
        synchronized (store) {
            ReferenceStore.Topic t = store.topics.remove(name);
            if (t == null) {
                throw new TopicNotFoundException("Topic '" + name + "' does not exist.");
            }
            if (fault == Fault.STALE_DELETE) {
                store.deleted.put(name, t);
            } else {
                t.deleted = true;
                t.notifier.wakeAll();
            }
        }
    }

    @Override
    public void close() {
        closed = true; // state lives in the store
    }

    /** @return whether {@link #close()} was called (ends the non_daemon_thread fault's thread) */
    boolean closed() {
        return closed;
    }
}
