package dev.diaspora.stream.memory;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.TopicOptions;
import dev.diaspora.stream.spi.Options;
import dev.diaspora.stream.spi.Partitions;
import dev.diaspora.stream.spi.ChangeNotifier;
import dev.diaspora.stream.spi.Retention;
import dev.diaspora.stream.spi.TopicNames;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Everything stored for one topic: partitions, options and components, stored positions per consumer name, leases.
 * Shared by every handle that opens the topic. The object itself is the topic's <em>incarnation</em>: a topic deleted
 * and created again under its name is a new state object, and handles of the old one see {@link #deleted}.
 *
 * <p>Thread safety: thread-safe.
 */
final class MemoryTopicState {
    final String name;
    /** Replaced by a longer copy (same partitions first) when partitions are added; guarded by this for writes. */
    volatile MemoryPartition[] partitions;
    /** The options as stored; replaced by {@code alterTopic} and {@code addPartitions}, under this. */
    volatile Metadata options;
    final Metadata components;
    final ChangeNotifier notifier = new ChangeNotifier();
    /** consumer name -> partition -> next id to read */
    final Map<String, Map<Integer, Long>> positions = new ConcurrentHashMap<>();
    /** "name/partition" of every leased (name, partition) */
    final Map<String, Object> leases = new ConcurrentHashMap<>();
    /** consumer groups of this topic's names */
    final MemoryGroups groups = new MemoryGroups(this);
    /** Set once, when the topic is deleted: every later operation of a handle of this incarnation fails. */
    volatile boolean deleted;

    MemoryTopicState(String name, int numPartitions, Metadata options, Metadata components) {
        Retention retention = Retention.of(options);
        this.name = name;
        this.options = options;
        this.components = components;
        this.partitions = new MemoryPartition[numPartitions];
        for (int p = 0; p < numPartitions; p++) {
            partitions[p] = new MemoryPartition(p, retention);
        }
    }

    /** Grows the topic to {@code newCount} partitions. */
    synchronized void addPartitions(int newCount) {
        checkLive();
        MemoryPartition[] old = partitions;
        Partitions.checkGrowth(name, old.length, newCount);
        Retention retention = Retention.of(options);
        MemoryPartition[] grown = java.util.Arrays.copyOf(old, newCount);
        for (int p = old.length; p < newCount; p++) {
            grown[p] = new MemoryPartition(p, retention);
        }
        ObjectNode o = ((ObjectNode) options.json()).deepCopy();
        o.put(TopicOptions.NUM_PARTITIONS, newCount);
        options = Metadata.of(o);
        partitions = grown;
        notifier.changed(); // tailing sessions look at the new count
    }

    /** Applies changed options (validated, alterable ones only). */
    synchronized void alter(Options changes) {
        checkLive();
        ObjectNode o = ((ObjectNode) options.json()).deepCopy();
        o.setAll((ObjectNode) changes.toMetadata().json());
        options = Metadata.of(o);
        Retention retention = Retention.of(options);
        for (MemoryPartition p : partitions) {
            p.retention(retention);
        }
        notifier.changed();
    }

    /** @throws dev.diaspora.stream.TopicNotFoundException if this incarnation was deleted */
    void checkLive() {
        if (deleted) {
            throw TopicNames.deleted(name, "memory driver");
        }
    }
}
