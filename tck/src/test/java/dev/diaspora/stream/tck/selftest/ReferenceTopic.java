package dev.diaspora.stream.tck.selftest;

import dev.diaspora.stream.DataView;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.PartitionBounds;
import dev.diaspora.stream.PartitionInfo;
import dev.diaspora.stream.StartAt;
import dev.diaspora.stream.spi.Appender;
import dev.diaspora.stream.spi.AppenderConfig;
import dev.diaspora.stream.spi.BatchAppender;
import dev.diaspora.stream.spi.ChangeNotifier;
import dev.diaspora.stream.spi.DataRequest;
import dev.diaspora.stream.spi.IncomingBatch;
import dev.diaspora.stream.spi.LocalReadSession;
import dev.diaspora.stream.spi.LocalTopic;
import dev.diaspora.stream.spi.OutgoingBatch;
import dev.diaspora.stream.spi.ReadSession;
import dev.diaspora.stream.spi.RecordAppender;
import dev.diaspora.stream.spi.SessionConfig;
import dev.diaspora.stream.spi.TopicBackend;
import dev.diaspora.stream.spi.Partitions;
import dev.diaspora.stream.spi.Retention;
import dev.diaspora.stream.spi.StorageClock;
import dev.diaspora.stream.spi.TopicNames;
import dev.diaspora.stream.PositionExpiredException;
import java.nio.ByteBuffer;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;

/**
 * One open topic of the reference driver: appends copy metadata and data under the partition's lock and complete at
 * once; reads go through {@link LocalReadSession}. Faults are injected at the marked places.
 */
final class ReferenceTopic implements TopicBackend, LocalTopic {
    /** The backward_timestamps fault: the time of event 0 (in 2030), later events a millisecond earlier each. */
    private static final long BACKWARD_BASE_NANOS = 1_900_000_000L * 1_000_000_000L;

    private final ReferenceStore store;
    private final ReferenceStore.Topic topic;
    private final Fault fault;
    private final boolean recordMode;
    private volatile List<PartitionInfo> partitions;

    ReferenceTopic(ReferenceStore store, ReferenceStore.Topic topic, Fault fault, boolean recordMode) {
        this.recordMode = recordMode;
        this.store = store;
        this.topic = topic;
        this.fault = fault;
        this.partitions = Partitions.plain(topic.partitions.length);
    }

    private Retention retention() {
        return Retention.of(topic.options);
    }

    @Override
    public String name() {
        return topic.name;
    }

    @Override
    public List<PartitionInfo> partitions() {
        List<PartitionInfo> ps = partitions;
        if (ps.size() != topic.partitions.length && fault != Fault.STALE_PARTITIONS) {
            ps = Partitions.plain(topic.partitions.length);
            partitions = ps;
        }
        return ps;
    }

    @Override
    public Metadata components() {
        return topic.components;
    }

    @Override
    public int numPartitions() {
        return topic.partitions.length;
    }

    @Override
    public PartitionBounds bounds(int p) {
        checkLive();
        ReferenceStore.Partition part = topic.partitions[p];
        synchronized (part) {
            part.retain(retention(), fault == Fault.IGNORE_RETENTION);
            return new PartitionBounds(part.first, fault == Fault.WRONG_BOUNDS ? part.next + 1 : part.next);
        }
    }

    @Override
    public long idForTime(int p, Instant time) {
        checkLive();
        long nanos = Math.addExact(Math.multiplyExact(time.getEpochSecond(), 1_000_000_000L), time.getNano());
        ReferenceStore.Partition part = topic.partitions[p];
        synchronized (part) {
            if (fault == Fault.WRONG_TIME_LOOKUP) {
                return part.first;
            }
            for (ReferenceStore.Record r : part.records) { // timestamps are non-decreasing; a scan is enough here
                if (r.timestampNanos() >= nanos) {
                    return r.id();
                }
            }
            return part.next;
        }
    }

    @Override
    public Appender appender(AppenderConfig config) {
        if (!recordMode) {
            return (BatchAppender) (partition, batch, done) -> BatchAppender.completeWith(done,
                    append(partition, batch));
        }
        // as a driver whose client batches by itself (Kafka): one event per send, an id per callback
        return new RecordAppender() {
            @Override
            public void send(int partition, ByteBuffer metadata, DataView data, AppendCallback callback) {
                byte[] md = new byte[metadata.remaining()];
                metadata.get(metadata.position(), md);
                OutgoingBatch one = new OutgoingBatch(1, md, new int[] {0, md.length}, new DataView[] {data}, null,
                        config.producerId(), 0);
                CompletableFuture<Long> f = ReferenceTopic.this.append(partition, one);
                if (f.isCompletedExceptionally()) {
                    callback.onComplete(-1, f.handle((v, t) -> t).join());
                } else {
                    callback.onComplete(f.join(), null);
                }
            }

            @Override
            public CompletableFuture<Void> flush() {
                return CompletableFuture.completedFuture(null); // every send completed within its call
            }
        };
    }

    private CompletableFuture<Long> append(int p, OutgoingBatch batch) {
        if (!live()) {
            return CompletableFuture.failedFuture(TopicNames.deleted(topic.name, "reference driver"));
        }
        ReferenceStore.Partition[] all = topic.partitions;
        ReferenceStore.Partition part = all[fault == Fault.WRONG_PARTITION ? (p + 1) % all.length : p];
        int n = batch.count();
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        if (fault == Fault.REORDER && n >= 2) {
            order[0] = 1;
            order[1] = 0;
        }
        long first;
        synchronized (part) {
            first = part.next;
            for (int i = 0; i < n; i++) {
                int src = order[i];
                byte[] md = new byte[batch.metadataSize(src)];
                batch.copyMetadata(src, md, 0);
                byte[] data = batch.data(src).toByteArray();
                long now = StorageClock.nowNanos();
                long ts = batch.hasTimestamps() ? batch.timestampNanos(src) : Math.max(part.lastTimestamp, now);
                part.lastTimestamp = Math.max(part.lastTimestamp, ts);
                long id = part.next++;
                if (fault == Fault.BACKWARD_TIMESTAMPS) {
                    ts = BACKWARD_BASE_NANOS - id * 1_000_000L;
                }
                if (fault == Fault.DROP_EVENT && store.appended.incrementAndGet() % 7 == 0) {
                    continue; // the id is spent, the event is lost, and the append still succeeds
                }
                part.records.add(new ReferenceStore.Record(id, md, data, ts));
            }
            part.retain(retention(), fault == Fault.IGNORE_RETENTION);
        }
        if (!live()) { // deleted during the append: the events went with the old topic
            return CompletableFuture.failedFuture(TopicNames.deleted(topic.name, "reference driver"));
        }
        if (fault != Fault.NO_TAILING && fault != Fault.NO_NOTIFY) {
            topic.notifier.changed();
        }
        return CompletableFuture.completedFuture(first);
    }

    /** @return false if this handle's topic was deleted (never under the detached_handle fault) */
    private boolean live() {
        return fault == Fault.DETACHED_HANDLE || !topic.deleted;
    }

    private void checkLive() {
        if (!live()) {
            throw TopicNames.deleted(topic.name, "reference driver");
        }
    }


    @Override
    public ReadSession openSession(SessionConfig config) {
        checkLive();
        if (fault == Fault.IGNORE_TARGETS || fault == Fault.IGNORE_START_ID
                && config.startAt().kind() == StartAt.Kind.ID) {
            boolean startFault = fault == Fault.IGNORE_START_ID; // else ignore_targets
            config = new SessionConfig(config.consumerName(), startFault ? config.targets() : null,
                    startFault ? StartAt.EARLIEST : config.startAt(), config.listener(), config.sessionTimeout(),
                    config.heartbeatInterval(), config.onExpiredPosition());
        }
        if (fault == Fault.IGNORE_SEEK) {
            return new LocalReadSession(this, config) {
                @Override
                public long seek(int p, StartAt position) {
                    return position(p); // the fault: the partition stays where it is
                }
            };
        }
        return new LocalReadSession(fault == Fault.NO_TAILING ? new SnapshotView() : this, config);
    }

    @Override
    public IncomingBatch read(int p, long fromId, int maxEvents, long maxBytes) {
        return read(p, fromId, maxEvents, maxBytes, Long.MAX_VALUE);
    }

    private IncomingBatch read(int p, long fromId, int maxEvents, long maxBytes, long visibleEnd) {
        checkLive();
        ReferenceStore.Partition part = topic.partitions[p];
        List<ReferenceStore.Record> got = new ArrayList<>();
        synchronized (part) {
            part.retain(retention(), fault == Fault.IGNORE_RETENTION);
            if (fromId < part.first && fault != Fault.SILENT_EXPIRY) {
                return IncomingBatch.failure(p, fromId, new PositionExpiredException(p, fromId, part.first,
                        "reference driver"));
            }
            long bytes = 0;
            for (int i = part.indexOf(fromId); i < part.records.size() && got.size() < maxEvents; i++) {
                ReferenceStore.Record r = part.records.get(i);
                if (r.id() >= visibleEnd || (!got.isEmpty() && r.id() != got.get(got.size() - 1).id() + 1)) {
                    break;
                }
                bytes += r.metadata().length + r.data().length;
                if (!got.isEmpty() && bytes > maxBytes) {
                    break;
                }
                got.add(r);
            }
        }
        if (got.isEmpty()) {
            return null;
        }
        if (fault == Fault.DUPLICATE) {
            got.add(0, got.get(0));
        }
        int n = got.size();
        int[] offsets = new int[n + 1];
        for (int i = 0; i < n; i++) {
            offsets[i + 1] = offsets[i] + got.get(i).metadata().length;
        }
        byte[] md = new byte[offsets[n]];
        long[] ts = new long[n];
        long[] sizes = new long[n];
        long[] locations = new long[n];
        for (int i = 0; i < n; i++) {
            ReferenceStore.Record r = got.get(i);
            System.arraycopy(r.metadata(), 0, md, offsets[i], r.metadata().length);
            if (fault == Fault.WRONG_METADATA) {
                corruptFirstDigit(md, offsets[i], offsets[i + 1]);
            }
            ts[i] = r.timestampNanos();
            sizes[i] = r.data().length;
            locations[i] = r.id();
        }
        return new IncomingBatch(p, got.get(0).id(), n, ByteBuffer.wrap(md), offsets, ts, sizes, locations, null);
    }

    private static void corruptFirstDigit(byte[] md, int from, int to) {
        for (int i = from; i < to; i++) {
            if (md[i] >= '0' && md[i] <= '9') {
                md[i] = (byte) ('0' + (md[i] - '0' + 1) % 10);
                return;
            }
        }
    }

    /** The late_write fault: the targets the last {@code readData} filled, overwritten at the next call. */
    private final List<DataView> lateTargets = new java.util.ArrayList<>();

    @Override
    public void readData(List<DataRequest> requests) {
        if (fault == Fault.LATE_WRITE) {
            synchronized (lateTargets) {
                for (DataView t : lateTargets) {
                    t.write(0, ByteBuffer.wrap(new byte[(int) t.size()])); // zeros over delivered data
                }
                lateTargets.clear();
                for (DataRequest req : requests) {
                    lateTargets.add(req.target());
                }
            }
        }
        for (DataRequest req : requests) {
            ReferenceStore.Partition part = topic.partitions[req.partition()];
            ReferenceStore.Record rec;
            synchronized (part) {
                int i = part.indexOf(req.eventId());
                rec = i < part.records.size() && part.records.get(i).id() == req.eventId() ? part.records.get(i) : null;
            }
            if (rec == null) {
                req.fail(new DiasporaException("partition " + req.partition() + " has no event " + req.eventId()));
                continue;
            }
            if (fault == Fault.UNSELECTED_BYTES) {
                req.target().write(0, ByteBuffer.wrap(rec.data()));
            } else if (fault == Fault.LOST_DATA && rec.data().length > 1024) {
                continue; // the target stays as allocated
            } else {
                req.fillFrom(ByteBuffer.wrap(rec.data()));
            }
        }
    }

    @Override
    public Map<Integer, Long> committed(String name) {
        checkLive();
        synchronized (topic.committed) {
            Map<Integer, Long> m = topic.committed.get(name);
            return m == null ? Map.of() : Map.copyOf(m);
        }
    }

    @Override
    public void commit(String name, Map<Integer, Long> positions) {
        if (fault == Fault.IGNORE_ACKS) {
            return;
        }
        store(name, positions);
    }

    @Override
    public void storePositions(String name, Map<Integer, Long> positions) {
        if (fault == Fault.IGNORE_RESET) {
            checkLive();
            return;
        }
        store(name, positions);
    }

    private void store(String name, Map<Integer, Long> positions) {
        checkLive();
        synchronized (topic.committed) {
            topic.committed.computeIfAbsent(name, k -> new HashMap<>()).putAll(positions);
        }
    }

    @Override
    public Set<String> consumerNames() {
        checkLive();
        synchronized (topic.committed) {
            Set<String> out = new TreeSet<>();
            topic.committed.forEach((k, v) -> {
                if (!v.isEmpty() && fault != Fault.NO_CONSUMER_NAMES) {
                    out.add(k);
                }
            });
            return out;
        }
    }

    @Override
    public AutoCloseable tryLease(String name, int p) {
        if (fault == Fault.NO_LEASES) {
            return () -> { };
        }
        Object token = new Object();
        if (!tryLease(name, p, token)) {
            return null;
        }
        return () -> release(name, p, token);
    }

    /**
     * Takes the lease of ({@code name}, {@code p}) for {@code token} if it is free or its holder is a group member
     * that is no longer live ({@link ReferenceGroups#stale}).
     */
    boolean tryLease(String name, int p, Object token) {
        String key = name + '\u0000' + p;
        synchronized (topic.leases) {
            Object cur = topic.leases.get(key);
            if (cur != null && !topic.groups.stale(cur)) {
                return false;
            }
            topic.leases.put(key, token);
            return true;
        }
    }

    /** @return whether {@code token} still holds the lease of ({@code name}, {@code p}) */
    boolean holds(String name, int p, Object token) {
        synchronized (topic.leases) {
            return topic.leases.get(name + '\u0000' + p) == token;
        }
    }

    /** Releases the lease of ({@code name}, {@code p}) if {@code token} still holds it. */
    void release(String name, int p, Object token) {
        synchronized (topic.leases) {
            topic.leases.remove(name + '\u0000' + p, token);
        }
    }

    @Override
    public ChangeNotifier notifier() {
        return topic.notifier;
    }

    @Override
    public void close() {
        // nothing held per handle
    }

    /**
     * The no_tailing fault: a session that sees only the events that existed when it opened, because it refreshes
     * its view of each partition's end only when the (never signalled) notifier changes.
     */
    @Override
    public dev.diaspora.stream.spi.GroupMembership groups() {
        return fault == Fault.NEVER_REBALANCES ? null : topic.groups.through(this, fault);
    }

    private final class SnapshotView implements LocalTopic {
        private long[] ends = new long[0];
        private long version;

        SnapshotView() {
            refresh();
        }

        private synchronized void refresh() {
            version = topic.notifier.version();
            ends = new long[topic.partitions.length];
            for (int p = 0; p < ends.length; p++) {
                ends[p] = bounds(p).next();
            }
        }

        private synchronized long end(int p) {
            if (topic.notifier.version() != version) {
                refresh();
            }
            return ends[p];
        }

        @Override
        public int numPartitions() {
            return ReferenceTopic.this.numPartitions();
        }

        @Override
        public PartitionBounds bounds(int p) {
            return ReferenceTopic.this.bounds(p);
        }

        @Override
        public IncomingBatch read(int p, long fromId, int maxEvents, long maxBytes) {
            return ReferenceTopic.this.read(p, fromId, maxEvents, maxBytes, end(p));
        }

        @Override
        public long idForTime(int p, Instant time) {
            return ReferenceTopic.this.idForTime(p, time);
        }

        @Override
        public void readData(List<DataRequest> requests) {
            ReferenceTopic.this.readData(requests);
        }

        @Override
        public Map<Integer, Long> committed(String name) {
            return ReferenceTopic.this.committed(name);
        }

        @Override
        public void commit(String name, Map<Integer, Long> positions) {
            ReferenceTopic.this.commit(name, positions);
        }

        @Override
        public AutoCloseable tryLease(String name, int p) {
            return ReferenceTopic.this.tryLease(name, p);
        }

        @Override
        public ChangeNotifier notifier() {
            return ReferenceTopic.this.notifier();
        }
    }
}
