package dev.diaspora.stream.netty;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diaspora.stream.ConsumerConflictException;
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
import dev.diaspora.stream.netty.protocol.ReadAnswer;
import dev.diaspora.stream.netty.protocol.TopicRequests;
import dev.diaspora.stream.spi.Appender;
import dev.diaspora.stream.spi.AppenderConfig;
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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntFunction;

/**
 * A topic opened through the {@code netty} driver. It is a {@link LocalTopic} whose calls are requests to the
 * partition servers, so consumers get the same {@link LocalReadSession} semantics as the files driver (leases held
 * by the server for this connection, stored positions, start positions). Tailing needs no polling: the servers push
 * each partition's end (NOTIFY), this topic keeps the latest known end per partition and answers a read at the end
 * locally, and a push wakes the waiting sessions.
 *
 * <p>Thread safety: thread-safe.
 */
final class NettyTopic implements TopicBackend, LocalTopic {
    /** How long reads of a partition whose server failed wait before trying that server again. */
    private static final long READ_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

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
    private final Map<Connection, int[]> handles = new ConcurrentHashMap<>();
    private final Object handlesLock = new Object();
    /** Leases of this topic's sessions, taken again when their connection is re-established; guarded by itself. */
    private final List<Lease> leases = new ArrayList<>();
    /** Per global partition: when a read may go to its server again after failing (0: any time). */
    private final LongChunks retryReadAt;
    private final AtomicBoolean reopening = new AtomicBoolean();
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
        Placement pl;
        try {
            pl = Placement.of(name, stored);
            java.util.function.Function<String, Connection> byId = id -> {
                Connection c = backend.byServerId(id);
                return c != null && handleOf.containsKey(c) ? c : null;
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
            closeHandles(handleOf);
            throw e;
        }
        this.placement = pl;
        this.stored = stored;
        ObjectNode user = stored.deepCopy();
        user.remove(NettyBackend.PLACEMENT);
        this.components = Metadata.of(user);
        this.knownEnd = new LongChunks(map.size);
        this.retryReadAt = new LongChunks(map.size);
        this.groups = new NettyGroups(this, map.serverOf(0));
        for (Map.Entry<Connection, Integer> e : handleOf.entrySet()) {
            Connection c = e.getKey();
            if (localCounts.containsKey(c.serverId())) {
                lastEnds.put(c, endsOf.get(c));
                applyEnds(c, endsOf.get(c));
                handles.put(c, new int[] {e.getValue(), c.generation()});
                c.listen(e.getValue(), this::onEnds);
            } else {
                closeHandle(c, e.getValue());
            }
        }
    }

    private void closeHandles(Map<Connection, Integer> handleOf) {
        handleOf.forEach(this::closeHandle);
    }

    private void closeHandle(Connection c, int h) {
        c.unlisten(h);
        c.call(Protocol.CLOSE_TOPIC, new TopicRequests.CloseTopic(h).encode(backend.alloc())).thenAccept(ByteBuf::release);
    }

    private void onEnds(Connection c, long[] ends) {
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
            retryReadAt.ensure(n);
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

    private boolean raiseEnd(int p, long end) {
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

    /** @return true if this topic's handle on {@code c} is usable without a reconnect */
    private boolean current(Connection c) {
        int[] h = handles.get(c);
        return h != null && h[1] == c.generation() && c.isActive();
    }

    /**
     * @return this topic's handle on {@code c}, reconnecting and re-opening it (and re-taking the leases of this
     *         topic's sessions on that server) after a lost connection
     * @throws DiasporaException (retriable) when that is needed on an event-loop thread, which must not wait; a
     *         background thread then does it
     */
    int handle(Connection c) {
        return handleOf(c).id();
    }

    /**
     * Sends a request on this topic's handle on {@code c} and waits for its answer (the caller releases it). The
     * request is built by {@code build} for the handle; if the connection is re-established between taking the
     * handle and sending, it is built again for the new handle (a server never sees the handle of an earlier
     * connection).
     */
    ByteBuf callOnHandle(Connection c, byte type, IntFunction<ByteBuf> build) {
        for (int attempt = 1;; attempt++) {
            Handle h = handleOf(c); // before building: it may throw
            try {
                return c.await(c.call(type, build.apply(h.id()), List.of(), h.generation()), type);
            } catch (Connection.StaleHandleException e) {
                if (attempt == 3) {
                    throw e;
                }
            }
        }
    }

    /** This topic's handle on a connection and the connection's generation it belongs to. */
    record Handle(int id, int generation) {
    }

    /** @return like {@link #handle(Connection)}, with the generation of the connection the handle belongs to */
    Handle handleOf(Connection c) {
        checkNotDeleted(c);
        int[] cur = handles.get(c);
        if (cur != null && cur[1] == c.generation() && c.isActive()) {
            return new Handle(cur[0], cur[1]);
        }
        if (c.inEventLoop()) {
            return handleNowOf(c);
        }
        synchronized (handlesLock) {
            c.connect();
            int[] h = handles.get(c);
            if (h != null && h[1] == c.generation()) {
                return new Handle(h[0], h[1]);
            }
            if (h != null) {
                c.unlisten(h[0]);
            }
            ByteBuf a;
            try {
                a = c.callSync(Protocol.OPEN_TOPIC, new TopicRequests.OpenTopic(name).encode(backend.alloc()));
            } catch (TopicNotFoundException e) { // deleted while we were away
                deleted = true;
                notifier.wakeAll();
                throw TopicNames.deleted(name, "partition server " + c.address + " no longer has it");
            }
            try {
                Answers.OpenTopicAnswer open = Answers.OpenTopicAnswer.decode(a);
                int nh = open.handle();
                JsonNode now = Metadata.of(open.components()).json();
                if (!now.equals(stored)) { // deleted and re-created while we were away (a server restart)
                    closeHandle(c, nh);
                    deleted = true;
                    notifier.wakeAll();
                    throw TopicNames.deleted(name, "partition server " + c.address + " now holds another topic of"
                            + " that name");
                }
                long[] ends = open.ends();
                lastEnds.put(c, ends);
                if (grow(c, ends.length) | applyEnds(c, ends)) {
                    notifier.changed();
                }
                c.listen(nh, this::onEnds);
                if (h != null) {
                    leaseAgain(c, nh);
                }
                int generation = c.generation();
                handles.put(c, new int[] {nh, generation});
                return new Handle(nh, generation);
            } finally {
                a.release();
            }
        }
    }

    /**
     * @return this topic's handle on {@code c} if it is usable now; never waits
     * @throws DiasporaException (retriable) if the connection is lost: a background thread then reconnects
     */
    int handleNow(Connection c) {
        return handleNowOf(c).id();
    }

    /** @return like {@link #handleNow(Connection)}, with the generation of the connection the handle belongs to */
    Handle handleNowOf(Connection c) {
        checkNotDeleted(c);
        int[] cur = handles.get(c);
        if (cur != null && cur[1] == c.generation() && c.isActive()) {
            return new Handle(cur[0], cur[1]);
        }
        reopenInBackground(c);
        throw c.closedError();
    }

    /** @throws TopicNotFoundException if a server said that this topic was deleted, or holds another one now */
    private void checkNotDeleted(Connection c) {
        if (deleted) {
            throw TopicNames.deleted(name, "partition server " + c.address);
        }
    }

    private void reopenInBackground(Connection c) {
        if (closed.get() || !reopening.compareAndSet(false, true)) {
            return;
        }
        Thread t = new Thread(() -> {
            try {
                handle(c);
            } catch (RuntimeException e) {
                // the server is still unreachable: the next call tries again and reports it
            } finally {
                reopening.set(false);
            }
        }, "diaspora-netty-reconnect-" + c.address);
        t.setDaemon(true);
        t.start();
    }

    /** Takes the leases of this topic's open sessions on {@code c} again, on its new connection (handle nh). */
    private void leaseAgain(Connection c, int nh) {
        List<Lease> mine;
        synchronized (leases) {
            mine = new ArrayList<>(leases);
        }
        for (Lease l : mine) {
            if (l.connection != c || l.closed) {
                continue;
            }
            long id = lease(c, nh, l.consumer, l.partition);
            synchronized (l) {
                if (id == 0) {
                    l.lost = true; // another consumer of the name took it while the connection was down
                } else {
                    l.id = id;
                    l.generation = c.generation();
                }
            }
        }
    }

    private long lease(Connection c, int handle, String consumer, int p) {
        ByteBuf a = c.callSync(Protocol.LEASE, new ConsumerRequests.Lease(handle, consumer, map.localOf(p))
                .encode(backend.alloc()));
        try {
            return Answers.LongValue.decode(a).value();
        } finally {
            a.release();
        }
    }

    /**
     * Fails if a lease of {@code consumer} on one of {@code partitions} was lost: its server restarted or the
     * connection dropped, and another consumer of the name took the partition before this one reconnected.
     */
    void checkLeases(String consumer, Set<Integer> partitions) {
        synchronized (leases) {
            for (Lease l : leases) {
                if (l.lost && !l.closed && l.consumer.equals(consumer) && partitions.contains(l.partition)) {
                    throw new ConsumerConflictException("Consumer '" + consumer + "' of topic '" + name + "' lost "
                            + "partition " + l.partition + ": the connection to partition server " + l.connection
                            + " was lost and another consumer of that name took the partition before this one "
                            + "reconnected. Close this consumer (and open it again to share the partitions anew)");
                }
            }
        }
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
        ByteBuf a = callOnHandle(c, Protocol.BOUNDS,
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
        ByteBuf a = callOnHandle(c, Protocol.LOST_RANGES,
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
        ByteBuf a = callOnHandle(c, Protocol.ID_FOR_TIME, h -> new PartitionRequests.IdForTime(h, m.localOf(p),
                time.getEpochSecond(), time.getNano()).encode(backend.alloc()));
        try {
            return Answers.LongValue.decode(a).value();
        } finally {
            a.release();
        }
    }

    @Override
    public Appender appender(AppenderConfig config) {
        checkOpen();
        return new NettyAppender(this, config);
    }

    @Override
    public ReadSession openSession(SessionConfig config) {
        checkOpen();
        return new NettyReadSession(this, config);
    }

    @Override
    public Set<String> consumerNames() {
        Set<String> out = new TreeSet<>();
        for (Connection c : map.servers().keySet()) {
            ByteBuf a = callOnHandle(c, Protocol.CONSUMER_NAMES,
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
            ByteBuf a = callOnHandle(c, Protocol.COMMITTED,
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
                Handle h = handleOf(c);
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
     *     {@link #checkLeases}), or null
     */
    @Override
    public AutoCloseable tryLease(String consumer, int p) {
        Connection c = map.serverOf(checkPartition(p));
        Lease l;
        synchronized (handlesLock) { // no re-lease of this topic's leases runs meanwhile
            int handle = handle(c);
            long id = lease(c, handle, consumer, p);
            if (id == 0) {
                return null;
            }
            l = new Lease(c, consumer, p, id, c.generation());
            synchronized (leases) {
                leases.add(l);
            }
        }
        return l;
    }

    /** A lease held for one session; re-taken with the new connection after a reconnect. */
    private final class Lease implements dev.diaspora.stream.spi.Lease {
        final Connection connection;
        final String consumer;
        final int partition;
        long id; // guarded by this
        int generation; // guarded by this
        volatile boolean lost;
        volatile boolean closed;

        Lease(Connection connection, String consumer, int partition, long id, int generation) {
            this.connection = connection;
            this.consumer = consumer;
            this.partition = partition;
            this.id = id;
            this.generation = generation;
        }

        /** @return false once closed, or lost: another consumer of the name took it while the connection was down */
        @Override
        public boolean held() {
            return !closed && !lost;
        }

        @Override
        public void close() {
            closed = true;
            synchronized (leases) {
                leases.remove(this);
            }
            long held;
            synchronized (this) {
                // after a reconnect without re-lease the server has dropped the lease already
                held = lost || generation != connection.generation() ? 0 : id;
            }
            if (held != 0) {
                connection.call(Protocol.RELEASE, new ConsumerRequests.Release(held).encode(backend.alloc())).whenComplete((b, e) -> {
                    if (b != null) {
                        b.release();
                    }
                });
            }
        }
    }

    // ------------------------------------------------------------------ LocalTopic reads

    @Override
    public IncomingBatch read(int p, long fromId, int maxEvents, long maxBytes) {
        PartitionMap m = map;
        Connection c = m.serverOf(p);
        checkNotDeleted(c);
        long retryAt = retryReadAt.get(p);
        if (retryAt != 0 && System.nanoTime() - retryAt < 0) {
            return null; // its server failed a moment ago: let the session serve the other partitions meanwhile
        }
        if (fromId >= knownEnd.get(p) && current(c)) {
            return null; // the server pushes the end when it moves (a lost connection pushes nothing: ask)
        }
        ByteBuf a;
        try {
            a = callOnHandle(c, Protocol.READ, h -> readRequest(h, m.localOf(p), fromId, maxEvents, maxBytes));
            retryReadAt.set(p, 0);
        } catch (DiasporaException e) {
            if (e.isRetriable()) {
                retryReadAt.set(p, System.nanoTime() + READ_RETRY_NANOS);
            }
            throw e;
        }
        return decodeRead(p, c, a);
    }

    /**
     * Sends a READ without waiting for its answer, for {@link ReadAhead}: only if the partition is known to hold
     * events from {@code fromId} and this topic's handle on its server is usable as is (a read ahead never
     * reconnects).
     *
     * @return the read in flight, or null if none was sent
     */
    PendingRead sendRead(int p, long fromId, int maxEvents, long maxBytes) {
        PartitionMap m = map;
        if (deleted || closed.get() || p < 0 || p >= m.size || fromId >= knownEnd.get(p)) {
            return null;
        }
        Connection c = m.serverOf(p);
        int[] h = handles.get(c);
        if (h == null || h[1] != c.generation() || !c.isActive()) {
            return null;
        }
        CompletableFuture<ByteBuf> f = c.call(Protocol.READ, readRequest(h[0], m.localOf(p), fromId, maxEvents,
                maxBytes), List.of(), h[1]);
        return new PendingRead(p, fromId, maxEvents, maxBytes, c, f);
    }

    /**
     * @return the batch of a read sent by {@link #sendRead} (null at the end), waiting for its answer
     * @throws DiasporaException as the READ failed
     */
    IncomingBatch awaitRead(PendingRead r) {
        return decodeRead(r.partition(), r.connection(), r.connection().await(r.answer(), Protocol.READ));
    }

    /**
     * A READ in flight (see {@link #sendRead}): of partition {@code partition} from {@code from}, with the limits it
     * was sent with.
     */
    record PendingRead(int partition, long from, int maxEvents, long maxBytes, Connection connection,
            CompletableFuture<ByteBuf> answer) {
        /** Drops the read: its answer is released when it arrives. */
        void discard() {
            answer.thenAccept(ByteBuf::release);
        }
    }

    private ByteBuf readRequest(int handle, int local, long fromId, int maxEvents, long maxBytes) {
        return new PartitionRequests.Read(handle, local, fromId, maxEvents, Math.max(1, maxBytes))
                .encode(backend.alloc());
    }

    /** Decodes and releases READ answer {@code a} of partition {@code p} from {@code c}; raises the known end. */
    private IncomingBatch decodeRead(int p, Connection c, ByteBuf a) {
        try {
            ReadAnswer r = ReadAnswer.decode(a, p, c.address);
            raiseEnd(p, r.end());
            return r.batch();
        } finally {
            a.release();
        }
    }

    @Override
    public void readData(List<DataRequest> requests) {
        PartitionMap m = map;
        for (DataRequest r : requests) {
            checkPartition(r.partition());
        }
        RemoteReads.readData(this, m, requests);
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
        synchronized (handlesLock) {
            handles.forEach((c, h) -> {
                if (h[1] == c.generation()) {
                    closeHandle(c, h[0]);
                }
            });
            handles.clear();
        }
        notifier.wakeAll();
        backend.closed(this);
    }

    @Override
    public String toString() {
        return "netty topic '" + name + "'";
    }
}
