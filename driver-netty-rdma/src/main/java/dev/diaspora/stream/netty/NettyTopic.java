package dev.diaspora.stream.netty;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.LostRange;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.PartitionBounds;
import dev.diaspora.stream.PartitionInfo;
import dev.diaspora.stream.TopicNotFoundException;
import dev.diaspora.stream.netty.protocol.Answers;
import dev.diaspora.stream.netty.protocol.ConsumerRequests;
import dev.diaspora.stream.netty.protocol.PartitionRequests;
import dev.diaspora.stream.netty.protocol.Protocol;
import dev.diaspora.stream.spi.AppenderConfig;
import dev.diaspora.stream.spi.BatchAppender;
import dev.diaspora.stream.spi.ChangeNotifier;
import dev.diaspora.stream.spi.DataRequest;
import dev.diaspora.stream.spi.IncomingBatch;
import dev.diaspora.stream.spi.LocalReadSession;
import dev.diaspora.stream.spi.LocalTopic;
import dev.diaspora.stream.spi.ReadSession;
import dev.diaspora.stream.spi.SessionConfig;
import dev.diaspora.stream.spi.TopicBackend;
import dev.diaspora.stream.spi.TopicNames;
import io.netty.buffer.ByteBuf;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A topic opened through the {@code netty} driver. It is a {@link LocalTopic} whose calls are requests to the
 * partition servers, so consumers get the same {@link LocalReadSession} semantics as the files driver (leases held
 * by the server for this connection, stored positions, start positions). Tailing needs no polling: once a read session
 * opens, the servers push each partition's end (NOTIFY, after SUBSCRIBE), this topic keeps the latest known end per
 * partition and answers a read at the end locally, and a push wakes the waiting sessions. A topic only produced to
 * subscribes to nothing: its servers push it no ends.
 *
 * <p>Thread safety: thread-safe.
 */
final class NettyTopic implements TopicBackend, LocalTopic {
    private final NettyBackend backend;
    private final String name;
    private final Metadata components;
    /** The components as stored, with the placement and its topic_id: they identify this incarnation. */
    private final JsonNode stored;
    /** Set when a server says the topic was deleted (a NOTIFY without ends). */
    private volatile boolean deleted;
    /** The rule that maps partitions to servers; the count comes from what the servers hold ({@link #grow}). */
    private final Placement placement;
    /** The partitions mapped now; replaced by a larger map when the topic grows. */
    private volatile PartitionMap map;
    /** Per server id of the topic: the most partitions that server said it holds; guarded by itself. */
    private final Map<String, Integer> localCounts = new HashMap<>();
    /** Per connection: the last ends it reported, applied again to partitions mapped later. */
    private final Map<Connection, long[]> lastEnds = new ConcurrentHashMap<>();
    /** Handles on the servers and leases, across reconnections. */
    private final TopicHandles handles;
    private final RemoteReads reads;
    private final LongChunks knownEnd;
    private final ChangeNotifier notifier = new ChangeNotifier();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final NettyGroups groups;

    NettyTopic(NettyBackend backend, String name, Map<Connection, ByteBuf> openAnswers) {
        this.backend = backend;
        this.name = name;
        ObjectNode stored = null;
        Map<Connection, Integer> handleOf = new HashMap<>();
        Map<Connection, long[]> endsOf = new HashMap<>();
        for (Map.Entry<Connection, ByteBuf> e : openAnswers.entrySet()) {
            Answers.OpenTopicAnswer a = Answers.OpenTopicAnswer.decode(e.getValue());
            handleOf.put(e.getKey(), a.handle());
            ObjectNode c = (ObjectNode) Metadata.of(a.components()).json();
            endsOf.put(e.getKey(), a.ends()); // the first retained ids are asked again by bounds()
            if (stored == null) {
                stored = c;
            }
        }
        this.handles = new TopicHandles(this, backend, name, stored);
        Placement pl;
        try {
            pl = Placement.of(name, stored);
            java.util.function.Function<String, Connection> byId = id -> {
                Connection c = backend.byServerId(id);
                if (c != null && !handleOf.containsKey(c)) {
                    throw incomplete(name, c);
                }
                return c;
            };
            new PartitionMap(name, pl, pl.created(), byId); // names a server of the topic the client does not list
            endsOf.forEach((c, ends) -> {
                if (pl.ring().contains(c.serverId())) {
                    localCounts.put(c.serverId(), ends.length);
                }
            });
            int n = pl.count(localCounts);
            if (n < pl.created()) {
                throw new DiasporaException("The servers of topic '" + name + "' hold " + localCounts + " of its"
                        + " partitions, fewer than the " + pl.created() + " it was created with: the topic is"
                        + " damaged");
            }
            this.map = new PartitionMap(name, pl, n, byId);
        } catch (RuntimeException e) {
            handleOf.forEach(handles::close);
            throw e;
        }
        this.placement = pl;
        this.stored = stored;
        ObjectNode user = stored.deepCopy();
        user.remove(NettyBackend.PLACEMENT);
        this.components = Metadata.of(user);
        this.knownEnd = new LongChunks(map.size);
        this.reads = new RemoteReads(this, handles, map.size);
        this.groups = new NettyGroups(this, map.serverOf(0));
        for (Map.Entry<Connection, Integer> e : handleOf.entrySet()) {
            Connection c = e.getKey();
            if (localCounts.containsKey(c.serverId())) {
                lastEnds.put(c, endsOf.get(c));
                applyEnds(c, endsOf.get(c));
                handles.opened(c, e.getValue());
                c.listen(e.getValue(), this::onEnds);
            } else {
                handles.close(c, e.getValue());
            }
        }
    }

    /** The NOTIFY listener of this topic's handles: the latest ends of a server's partitions, or a deletion. */
    void onEnds(Connection c, long[] ends) {
        if (ends.length == 0) { // the server deleted the topic (PROTOCOL.md, NOTIFY)
            deleted = true;
            notifier.wakeAll();
            return;
        }
        lastEnds.put(c, ends);
        boolean grew = grow(c, ends.length);
        if (applyEnds(c, ends) || grew) {
            notifier.changed();
        }
    }

    /** @return true if an end of a mapped partition of {@code c} moved */
    private boolean applyEnds(Connection c, long[] ends) {
        int[] g = map.globalOf(c);
        boolean changed = false;
        for (int i = 0; g != null && i < Math.min(g.length, ends.length); i++) {
            changed |= raiseEnd(g[i], ends[i]);
        }
        return changed;
    }

    /**
     * Records that {@code c} holds {@code local} partitions of this topic (a NOTIFY with more ends, an OPEN_TOPIC or
     * ADD_PARTITIONS answer) and maps the partitions that every server now holds.
     *
     * @return true if the topic has more partitions than before
     */
    private boolean grow(Connection c, int local) {
        synchronized (localCounts) {
            Integer had = localCounts.get(c.serverId());
            if (had == null || local <= had) {
                return false;
            }
            localCounts.put(c.serverId(), local);
            int n = placement.count(localCounts);
            if (n <= map.size) {
                return false; // another server of the topic has not added its share yet
            }
            knownEnd.ensure(n);
            reads.ensure(n);
            map = new PartitionMap(name, placement, n, backend::byServerId);
        }
        lastEnds.forEach(this::applyEnds); // the new partitions' ends, reported before they were mapped
        return true;
    }

    /** @return the rule that maps this topic's partitions to servers */
    Placement placement() {
        return placement;
    }

    /** Called after an ADD_PARTITIONS through this client: {@code c} now holds {@code local} partitions. */
    void partitionsAdded(Connection c, int local) {
        if (grow(c, local)) {
            notifier.changed();
        }
    }

    /** @return the latest end of partition {@code p} known here */
    long knownEnd(int p) {
        return knownEnd.get(p);
    }

    /** @return true if {@code end} raised the known end of partition {@code p} */
    boolean raiseEnd(int p, long end) {
        while (true) {
            long cur = knownEnd.get(p);
            if (end <= cur) {
                return false;
            }
            if (knownEnd.compareAndSet(p, cur, end)) {
                return true;
            }
        }
    }

    /** @return this topic's handles on its servers and its leases */
    TopicHandles handles() {
        return handles;
    }

    /** Records the ends a re-opened handle on {@code c} answered with. */
    void reopened(Connection c, long[] ends) {
        lastEnds.put(c, ends);
        if (grow(c, ends.length) | applyEnds(c, ends)) {
            notifier.changed();
        }
    }

    /** Marks the topic deleted (a server no longer holds it) and wakes the waiting sessions. */
    DiasporaException deleted(String detail) {
        deleted = true;
        notifier.wakeAll();
        return TopicNames.deleted(name, detail);
    }

    /** @throws TopicNotFoundException if a server said that this topic was deleted, or holds another one now */
    void checkNotDeleted(Connection c) {
        if (deleted) {
            throw TopicNames.deleted(name, "partition server " + c.address);
        }
    }

    boolean isClosed() {
        return closed.get();
    }

    // ------------------------------------------------------------------ TopicBackend

    @Override
    public String name() {
        return name;
    }

    @Override
    public List<PartitionInfo> partitions() {
        return map.partitions();
    }

    @Override
    public Metadata components() {
        return components;
    }

    @Override
    public int numPartitions() {
        return map.size;
    }

    @Override
    public PartitionBounds bounds(int p) {
        PartitionMap m = map;
        Connection c = m.serverOf(p);
        ByteBuf a = handles.callOnHandle(c, Protocol.BOUNDS,
                h -> new PartitionRequests.Bounds(h, m.localOf(p)).encode(backend.alloc()));
        try {
            Answers.BoundsAnswer bounds = Answers.BoundsAnswer.decode(a);
            PartitionBounds b = new PartitionBounds(bounds.first(), bounds.next());
            raiseEnd(p, b.next());
            return b;
        } finally {
            a.release();
        }
    }

    @Override
    public List<LostRange> lostRanges(int p) {
        PartitionMap m = map;
        Connection c = m.serverOf(p);
        ByteBuf a = handles.callOnHandle(c, Protocol.LOST_RANGES,
                h -> new PartitionRequests.LostRanges(h, m.localOf(p)).encode(backend.alloc()));
        try {
            return Answers.LostRangeList.decode(a).ranges();
        } finally {
            a.release();
        }
    }

    @Override
    public long idForTime(int p, Instant time) {
        PartitionMap m = map;
        Connection c = m.serverOf(p);
        ByteBuf a = handles.callOnHandle(c, Protocol.ID_FOR_TIME, h -> new PartitionRequests.IdForTime(h,
                m.localOf(p), time.getEpochSecond(), time.getNano()).encode(backend.alloc()));
        try {
            return Answers.LongValue.decode(a).value();
        } finally {
            a.release();
        }
    }

    @Override
    public BatchAppender appender(AppenderConfig config) {
        checkOpen();
        return new NettyAppender(this, config);
    }

    @Override
    public ReadSession openSession(SessionConfig config) {
        checkOpen();
        handles.subscribeAll(map.servers().keySet()); // the ends of the partitions are pushed from now on
        return new NettyReadSession(this, config);
    }

    @Override
    public Set<String> consumerNames() {
        Set<String> out = new TreeSet<>();
        for (Connection c : map.servers().keySet()) {
            ByteBuf a = handles.callOnHandle(c, Protocol.CONSUMER_NAMES,
                    h -> new ConsumerRequests.ConsumerNames(h).encode(backend.alloc()));
            try {
                out.addAll(Answers.Names.decode(a, Protocol.MAX_COUNT, "consumer name").names());
            } finally {
                a.release();
            }
        }
        return out;
    }

    @Override
    public Map<Integer, Long> committed(String consumer) {
        Map<Integer, Long> out = new TreeMap<>();
        for (Map.Entry<Connection, int[]> e : map.servers().entrySet()) {
            Connection c = e.getKey();
            ByteBuf a = handles.callOnHandle(c, Protocol.COMMITTED,
                    h -> new ConsumerRequests.Committed(h, consumer).encode(backend.alloc()));
            try {
                Answers.Positions.decode(a).positions().forEach((local, pos) -> {
                    if (local >= 0 && local < e.getValue().length) {
                        out.put(e.getValue()[local], pos);
                    }
                });
            } finally {
                a.release();
            }
        }
        return out;
    }

    @Override
    public void storePositions(String consumer, Map<Integer, Long> positions) {
        commit(consumer, positions);
    }

    @Override
    public void commit(String consumer, Map<Integer, Long> positions) {
        Map<Connection, Map<Integer, Long>> split = new HashMap<>();
        PartitionMap m = map;
        positions.forEach((p, pos) -> split.computeIfAbsent(m.serverOf(checkPartition(p)), k -> new TreeMap<>())
                .put(m.localOf(p), pos));
        List<CompletableFuture<ByteBuf>> calls = new ArrayList<>();
        List<Connection> order = new ArrayList<>();
        try {
            for (Map.Entry<Connection, Map<Integer, Long>> e : split.entrySet()) {
                Connection c = e.getKey();
                TopicHandles.Handle h = handles.handleOf(c);
                ByteBuf req = new ConsumerRequests.Commit(h.id(), consumer, e.getValue()).encode(backend.alloc());
                calls.add(c.call(Protocol.COMMIT, req, List.of(), h.generation()));
                order.add(c);
            }
        } catch (RuntimeException e) { // another server is down: the answers of those sent are nobody's
            releaseLater(calls, 0);
            throw e;
        }
        for (int i = 0; i < calls.size(); i++) {
            try {
                order.get(i).await(calls.get(i), Protocol.COMMIT).release();
            } catch (RuntimeException e) {
                releaseLater(calls, i + 1);
                throw e;
            }
        }
    }

    /** Releases the answers of calls from {@code from} on, whenever they come (their caller gave up). */
    static void releaseLater(List<CompletableFuture<ByteBuf>> calls, int from) {
        for (int k = from; k < calls.size(); k++) {
            calls.get(k).thenAccept(ByteBuf::release);
        }
    }

    private int checkPartition(int p) {
        int numPartitions = map.size;
        if (p < 0 || p >= numPartitions) {
            throw new IllegalArgumentException("partition " + p + " of topic '" + name + "' does not exist (it has "
                    + numPartitions + ")");
        }
        return p;
    }

    /** Groups coordinated by the server of partition 0 (see {@link NettyGroups}). */
    @Override
    public dev.diaspora.stream.spi.GroupMembership groups() {
        return groups;
    }

    /**
     * @return the lease, a {@link dev.diaspora.stream.spi.Lease} that is no longer {@code held()} once lost (see
     *     {@link TopicHandles#checkLeases}), or null
     */
    @Override
    public AutoCloseable tryLease(String consumer, int p) {
        return handles.tryLease(map.serverOf(checkPartition(p)), consumer, p);
    }

    // ------------------------------------------------------------------ LocalTopic reads

    @Override
    public IncomingBatch read(int p, long fromId, int maxEvents, long maxBytes) {
        return reads.read(map, p, fromId, maxEvents, maxBytes);
    }

    /** A READ (READ_INLINE with {@code maxInline} &gt; 0) for {@link ReadAhead}; null at the end. */
    RemoteReads.Answered read(int p, long fromId, int maxEvents, long maxBytes, int maxInline) {
        return reads.read(map, p, fromId, maxEvents, maxBytes, maxInline);
    }

    /** @return a READ sent ahead for {@link ReadAhead}, or null (see {@link RemoteReads#sendRead}) */
    RemoteReads.PendingRead sendRead(int p, long fromId, int maxEvents, long maxBytes, int maxInline) {
        return deleted || closed.get() ? null : reads.sendRead(map, p, fromId, maxEvents, maxBytes, maxInline);
    }

    /** @return the answer of a read sent ahead (null at the end), waiting for it */
    RemoteReads.Answered awaitRead(RemoteReads.PendingRead r) {
        return reads.awaitRead(r);
    }

    @Override
    public void readData(List<DataRequest> requests) {
        PartitionMap m = map;
        for (DataRequest r : requests) {
            checkPartition(r.partition());
        }
        reads.readData(m, requests);
    }

    @Override
    public ChangeNotifier notifier() {
        return notifier;
    }

    Connection serverOf(int p) {
        return map.serverOf(checkPartition(p));
    }

    int localOf(int p) {
        return map.localOf(p);
    }

    NettyBackend backend() {
        return backend;
    }

    private void checkOpen() {
        if (closed.get()) {
            throw new IllegalStateException("topic '" + name + "' is closed");
        }
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        handles.closeAll();
        notifier.wakeAll();
        backend.closed(this);
    }

    @Override
    public String toString() {
        return "netty topic '" + name + "'";
    }

    /**
     * A listed server of the topic's placement does not have it: another client is still creating it (creation goes
     * server by server) or deleting it, or that server lost its files. Retriable: {@code NettyBackend.openTopic} tries
     * again for a while, which covers the first two.
     */
    static IncompleteTopicException incomplete(String topic, Connection c) {
        return new IncompleteTopicException("Topic '" + topic + "' is placed partly on partition server " + c.address
                + " (id " + c.serverId() + "), which does not have it: another client is still creating or deleting"
                + " it, or that server lost its data. Try again; if it stays so, delete the topic and create it again");
    }

    /** See {@link #incomplete}. */
    static final class IncompleteTopicException extends DiasporaException {
        private static final long serialVersionUID = 1L;

        IncompleteTopicException(String message) {
            super(message, null, true);
        }
    }
}
