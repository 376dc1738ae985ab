package dev.diaspora.stream.redis;

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
import dev.diaspora.stream.spi.Retention;
import dev.diaspora.stream.spi.StorageClock;
import dev.diaspora.stream.spi.ReadSession;
import dev.diaspora.stream.spi.SessionConfig;
import dev.diaspora.stream.spi.TopicBackend;
import dev.diaspora.stream.spi.TopicNames;
import io.lettuce.core.RedisFuture;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An open topic of the redis driver: one incarnation of the topic's keys ({@link RedisKeys.Incarnation}). It
 * implements {@link LocalTopic}, so consumers get the shared {@link LocalReadSession}, each through a
 * {@link RedisSessionTopic} that decides per partition whether reads bring data along; reads are in
 * {@link RedisReads}, appends in {@link RedisAppender}, tailing in {@link RedisTailWatcher}.
 *
 * <p>Incarnations: reads, bounds and position writes check, in the same round trip, that the topic's stored
 * incarnation is still this handle's, and appends check it inside the append script, so a handle of a topic deleted
 * (or deleted and created again) by any process fails with {@link dev.diaspora.stream.TopicNotFoundException}.
 *
 * <p>Thread safety: thread-safe.
 */
final class RedisTopic implements TopicBackend, LocalTopic {
    private static final AtomicInteger WATCHERS = new AtomicInteger();

    final RedisBackend backend;
    private final String name;
    final String incarnation;
    final RedisKeys.Incarnation inc;
    /** whether each partition's keys have a slot of their own (the topic's layout, from its meta hash) */
    private final boolean slotPerPartition;
    final String metaKey;
    private final Metadata components;
    private final List<PartitionInfo> partitions;
    private final ChangeNotifier notifier = new ChangeNotifier();
    private final RedisReads reads;
    private final RedisGroups groups;
    final Retention retention;
    private final List<RedisTailWatcher> watchers = new ArrayList<>(); // guarded by this
    private boolean closed; // guarded by this

    RedisTopic(RedisBackend backend, String name, String incarnation, Metadata options, Metadata components,
            boolean slotPerPartition) {
        this.backend = backend;
        this.name = name;
        this.incarnation = incarnation;
        this.slotPerPartition = slotPerPartition;
        this.inc = backend.keys.incarnation(name, incarnation, slotPerPartition);
        this.metaKey = backend.keys.meta(name);
        this.components = components;
        int n = options.json().path("num_partitions").asInt(1);
        List<PartitionInfo> ps = new ArrayList<>();
        for (int p = 0; p < n; p++) {
            ps.add(new PartitionInfo(p, Metadata.EMPTY));
        }
        this.partitions = List.copyOf(ps);
        this.reads = new RedisReads(this);
        this.groups = new RedisGroups(this);
        this.retention = Retention.of(options);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public List<PartitionInfo> partitions() {
        return partitions;
    }

    @Override
    public Metadata components() {
        return components;
    }

    @Override
    public int numPartitions() {
        return partitions.size();
    }

    /** Throws {@link dev.diaspora.stream.TopicNotFoundException} unless {@code stored} is this incarnation. */
    void checkIncarnation(Object stored) {
        if (stored == null || !incarnation.equals(RedisCodecs.text(stored))) {
            throw TopicNames.deleted(name, "redis driver: its key " + metaKey + " holds another incarnation or none");
        }
    }

    @Override
    public PartitionBounds bounds(int p) {
        CompletableFuture<Long> first = trim(p);
        RedisFuture<Object> next = backend.redis.hget(inc.state(p), "next");
        RedisFuture<Object> stored = backend.redis.hget(metaKey, "inc");
        String what = "Reading the bounds of partition " + p + " of topic '" + name + "'";
        long f = backend.await(first, what);
        Object n = backend.await(next, what);
        checkIncarnation(backend.await(stored, what));
        long end = n == null ? 0 : Long.parseLong(RedisCodecs.text(n));
        return new PartitionBounds(Math.max(0, Math.min(f, end)), end);
    }

    /**
     * Applies retention to partition {@code p} (pipelined: callers send their next command at once, and Lettuce keeps
     * the order). Time comes from {@link StorageClock}.
     *
     * @return the first retained id (0 without retention; -1 if the topic is gone)
     */
    CompletableFuture<Long> trim(int p) {
        if (!retention.any()) {
            return CompletableFuture.completedFuture(0L);
        }
        String cutoff = retention.retentionMs() > 0
                ? RedisAppender.stamp(StorageClock.nowNanos() - retention.retentionMs() * 1_000_000L) : "";
        String bytes = retention.retentionBytes() > 0 ? Long.toString(retention.retentionBytes()) : "";
        return RedisScripts.TRIM.run(backend.redis, new String[] {inc.stream(p), inc.data(p), inc.state(p)}, cutoff,
                bytes, incarnation, inc.values(p));
    }

    @Override
    public long idForTime(int p, Instant time) {
        return reads.idForTime(p, time.getEpochSecond() * 1_000_000_000L + time.getNano(), bounds(p));
    }

    @Override
    public BatchAppender appender(AppenderConfig config) {
        return new RedisAppender(this, config.producerId());
    }

    /**
     * Opens a read session, starting the topic's tail watchers with its first one: one {@code XREAD BLOCK} over every
     * partition stream and the control stream when they share the topic's slot, else one per partition and one for
     * the control stream (a command touches the keys of one slot only).
     */
    @Override
    public ReadSession openSession(SessionConfig config) {
        synchronized (this) {
            if (watchers.isEmpty() && !closed) {
                List<String[]> groups = new ArrayList<>();
                if (slotPerPartition) {
                    for (int p = 0; p < partitions.size(); p++) {
                        groups.add(new String[] {inc.stream(p)});
                    }
                    groups.add(new String[] {backend.keys.control(name)});
                } else {
                    String[] streams = new String[partitions.size() + 1];
                    for (int p = 0; p < partitions.size(); p++) {
                        streams[p] = inc.stream(p);
                    }
                    streams[partitions.size()] = backend.keys.control(name);
                    groups.add(streams);
                }
                int n = WATCHERS.incrementAndGet();
                for (int i = 0; i < groups.size(); i++) {
                    watchers.add(new RedisTailWatcher(backend, groups.get(i), notifier, "diaspora-redis-tail-" + n
                            + (groups.size() > 1 ? "-" + i : "")));
                }
            }
        }
        return new LocalReadSession(new RedisSessionTopic(this, reads), config);
    }

    @Override
    public IncomingBatch read(int p, long fromId, int maxEvents, long maxBytes) {
        return reads.read(p, fromId, maxEvents, maxBytes);
    }

    @Override
    public void readData(List<DataRequest> requests) {
        reads.readData(requests);
    }

    @Override
    public Set<String> consumerNames() {
        RedisFuture<Set<Object>> answer = backend.redis.smembers(inc.names());
        RedisFuture<Object> stored = backend.redis.hget(metaKey, "inc");
        String what = "Listing the consumer names of topic '" + name + "'";
        Set<Object> names = backend.await(answer, what);
        checkIncarnation(backend.await(stored, what));
        Set<String> out = new java.util.TreeSet<>();
        for (Object n : names) {
            out.add(RedisCodecs.text(n));
        }
        return out;
    }

    @Override
    public Map<Integer, Long> committed(String consumer) {
        RedisFuture<Map<String, Object>> answer = backend.redis.hgetall(inc.positions(consumer));
        RedisFuture<Object> stored = backend.redis.hget(metaKey, "inc");
        String what = "Reading the positions of consumer '" + consumer + "' of topic '" + name + "'";
        Map<String, Object> m = backend.await(answer, what);
        checkIncarnation(backend.await(stored, what));
        Map<Integer, Long> out = new TreeMap<>();
        for (Map.Entry<String, Object> e : m.entrySet()) {
            out.put(Integer.parseInt(e.getKey()), Long.parseLong(RedisCodecs.text(e.getValue())));
        }
        return out;
    }

    @Override
    public void commit(String consumer, Map<Integer, Long> positions) {
        if (positions.isEmpty()) {
            return;
        }
        List<Object> args = new ArrayList<>();
        args.add(incarnation);
        args.add(consumer);
        for (Map.Entry<Integer, Long> e : positions.entrySet()) {
            args.add(Integer.toString(e.getKey()));
            args.add(Long.toString(e.getValue()));
        }
        String what = "Storing the positions of consumer '" + consumer + "' of topic '" + name + "'";
        try {
            backend.await(RedisScripts.COMMIT.run(backend.redis, new String[] {metaKey, inc.positions(consumer),
                    inc.names()}, args.toArray()), what);
        } catch (dev.diaspora.stream.DiasporaException e) {
            if (String.valueOf(e.getMessage()).contains(RedisScripts.DELETED)) {
                throw TopicNames.deleted(name, "redis driver");
            }
            throw e;
        }
    }

    @Override
    public void storePositions(String consumer, Map<Integer, Long> positions) {
        commit(consumer, positions);
    }

    @Override
    public AutoCloseable tryLease(String consumer, int p) {
        return backend.leases.tryTake(inc.lease(consumer, p));
    }

    /** Groups of this topic's consumer names, kept in Redis (see {@link RedisGroups}). */
    @Override
    public GroupMembership groups() {
        return groups;
    }

    @Override
    public ChangeNotifier notifier() {
        return notifier;
    }

    @Override
    public void close() {
        List<RedisTailWatcher> ws;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            ws = List.copyOf(watchers);
            watchers.clear();
        }
        for (RedisTailWatcher w : ws) {
            w.stop();
        }
        for (RedisTailWatcher w : ws) {
            w.close();
        }
        notifier.wakeAll();
        backend.forget(this);
    }
}
