package dev.diaspora.stream.memory;

import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.PartitionBounds;
import dev.diaspora.stream.PartitionInfo;
import dev.diaspora.stream.spi.AppenderConfig;
import dev.diaspora.stream.spi.BatchAppender;
import dev.diaspora.stream.spi.ChangeNotifier;
import dev.diaspora.stream.spi.DataRequest;
import dev.diaspora.stream.spi.GroupMembership;
import dev.diaspora.stream.spi.IncomingBatch;
import dev.diaspora.stream.spi.LocalReadSession;
import dev.diaspora.stream.spi.LocalTopic;
import dev.diaspora.stream.spi.Partitions;
import dev.diaspora.stream.spi.ReadSession;
import dev.diaspora.stream.spi.SessionConfig;
import dev.diaspora.stream.spi.TopicBackend;
import dev.diaspora.stream.spi.TopicNames;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * An open topic of the memory driver. It implements {@link LocalTopic}, so consumers get the shared
 * {@link LocalReadSession} (leases, start positions, round robin, tailing): a log-structured driver writes no read
 * session of its own.
 *
 * <p>Incarnations: every call checks that the topic's state was not deleted (a volatile read), so a handle of a
 * topic deleted through another Driver instance of a shared store fails with
 * {@link dev.diaspora.stream.TopicNotFoundException} instead of using a topic nobody else sees; an append is checked
 * again after it, so no push succeeds once its event has gone with the deleted topic.
 *
 * <p>Thread safety: thread-safe.
 */
final class MemoryTopic implements TopicBackend, LocalTopic {
    private final MemoryTopicState state;
    private volatile List<PartitionInfo> partitions = List.of(); // rebuilt when the topic grew

    MemoryTopic(MemoryTopicState state) {
        this.state = state;
    }

    @Override
    public String name() {
        return state.name;
    }

    @Override
    public List<PartitionInfo> partitions() {
        List<PartitionInfo> ps = partitions;
        int n = state.partitions.length;
        if (ps.size() != n) {
            ps = Partitions.plain(n);
            partitions = ps;
        }
        return ps;
    }

    @Override
    public Metadata components() {
        return state.components;
    }

    @Override
    public int numPartitions() {
        return state.partitions.length;
    }

    @Override
    public PartitionBounds bounds(int p) {
        state.checkLive();
        return state.partitions[p].bounds();
    }

    /** The metadata and data bytes of the partition's retained events (records' object overhead not counted). */
    @Override
    public java.util.OptionalLong storedBytes(int p) {
        state.checkLive();
        return java.util.OptionalLong.of(state.partitions[p].retainedBytes());
    }

    @Override
    public long idForTime(int p, Instant time) {
        state.checkLive();
        return state.partitions[p].idForTime(time.getEpochSecond() * 1_000_000_000L + time.getNano());
    }

    @Override
    public BatchAppender appender(AppenderConfig config) {
        // The copy into memory is the whole "I/O", so appending inline is allowed by the SPI (no blocking I/O).
        state.checkLive();
        return (partition, batch, done) -> {
            if (state.deleted) {
                done.completeExceptionally(TopicNames.deleted(state.name, "memory driver"));
                return;
            }
            long first = state.partitions[partition].append(batch);
            if (state.deleted) { // deleted during the append: the event may have gone with the old topic
                done.completeExceptionally(TopicNames.deleted(state.name, "memory driver"));
                return;
            }
            state.notifier.changed();
            done.complete(first);
        };
    }

    @Override
    public ReadSession openSession(SessionConfig config) {
        state.checkLive();
        return new LocalReadSession(this, config);
    }

    @Override
    public IncomingBatch read(int p, long fromId, int maxEvents, long maxBytes) {
        state.checkLive();
        return state.partitions[p].read(fromId, maxEvents, maxBytes);
    }

    @Override
    public void readData(List<DataRequest> requests) {
        for (DataRequest r : requests) {
            state.partitions[r.partition()].readData(r);
        }
    }

    @Override
    public Set<String> consumerNames() {
        state.checkLive();
        return Set.copyOf(state.positions.keySet());
    }

    @Override
    public Map<Integer, Long> committed(String name) {
        state.checkLive();
        Map<Integer, Long> m = state.positions.get(name);
        return m == null ? Map.of() : new TreeMap<>(m);
    }

    @Override
    public void commit(String name, Map<Integer, Long> positions) {
        state.checkLive();
        state.positions.computeIfAbsent(name, k -> new java.util.concurrent.ConcurrentHashMap<>()).putAll(positions);
    }

    @Override
    public void storePositions(String name, Map<Integer, Long> positions) {
        commit(name, positions);
    }

    @Override
    public AutoCloseable tryLease(String name, int p) {
        String key = name + "/" + p;
        Object token = new Object();
        Object now = state.leases.compute(key, (k, cur) -> cur == null || state.groups.stale(cur) ? token : cur);
        if (now != token) {
            return null;
        }
        return () -> state.leases.remove(key, token);
    }

    /** In-process groups shared by every driver instance of the store (see {@link MemoryGroups}). */
    @Override
    public GroupMembership groups() {
        return state.groups;
    }

    @Override
    public ChangeNotifier notifier() {
        return state.notifier;
    }

    @Override
    public void close() {
    }
}
