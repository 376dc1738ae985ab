package dev.diaspora.stream.files;

import dev.diaspora.stream.CorruptDataException;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.EventsLostException;
import dev.diaspora.stream.PositionExpiredException;
import dev.diaspora.stream.LostRange;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.PartitionBounds;
import dev.diaspora.stream.PartitionInfo;
import dev.diaspora.stream.TopicNotFoundException;
import dev.diaspora.stream.files.storage.PartitionLog;
import dev.diaspora.stream.files.storage.StoredData;
import dev.diaspora.stream.spi.AppenderConfig;
import dev.diaspora.stream.spi.BatchAppender;
import dev.diaspora.stream.spi.ChangeNotifier;
import dev.diaspora.stream.spi.DataRequest;
import dev.diaspora.stream.spi.IncomingBatch;
import dev.diaspora.stream.spi.LocalTopic;
import dev.diaspora.stream.spi.Partitions;
import dev.diaspora.stream.spi.OutgoingBatch;
import dev.diaspora.stream.spi.ReadSession;
import dev.diaspora.stream.spi.Retention;
import dev.diaspora.stream.spi.SessionConfig;
import dev.diaspora.stream.spi.TopicBackend;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An open topic of the files driver: its partitions' logs, the consumers directory, one I/O thread for appends
 * (started with the first appender) and one tail watcher while read sessions exist. Consumers get the shared
 * {@link dev.diaspora.stream.spi.LocalReadSession} (through {@link FilesReadSession}).
 *
 * <p>Tailing: a local append bumps the notifier of every open handle of the topic in this JVM; appends by other
 * processes are seen through file change events, or by the watcher thread ({@link TailWatcher}) where there are
 * none.
 *
 * <p>Thread safety: thread-safe.
 */
final class FilesTopic implements TopicBackend, LocalTopic, StoredDataSource, DirectAppends, TailWatcher.Watched {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(FilesTopic.class);
    static final String PARTITIONS_DIR = "partitions";
    static final String CONSUMERS_DIR = "consumers";
    /** Open handles of each topic in this JVM (by directory identity), so that local appends wake them all. */
    private static final Map<Object, Set<ChangeNotifier>> PEERS = new ConcurrentHashMap<>();

    private final FilesBackend backend;
    private final String name;
    private final Path dir;
    private volatile TopicConfig config; // topic.json with changes.json laid over it; replaced under lifecycle
    private final TopicIdentity identity;
    private volatile PartitionLog[] logs; // replaced by a longer copy under lifecycle when partitions are added
    private volatile List<PartitionInfo> partitions;
    private volatile long nextChangeCheck; // System.nanoTime() of the next look at changes.json
    private Object changesStamp; // guarded by lifecycle: the changes.json last applied
    private final ConsumerFiles consumers;
    private final FilesGroups groups;
    private final ChangeNotifier notifier = new ChangeNotifier();
    private final Object peerKey;
    private final Object lifecycle = new Object();
    private AppendWorker worker; // guarded by lifecycle
    private RetentionWorker retention; // guarded by lifecycle: started at open if the topic has retention
    private final SessionWatch watch = new SessionWatch(this, notifier);
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile boolean exclusiveWriter; // see DirectAppends.exclusiveWriter

    FilesTopic(FilesBackend backend, String name, Path dir, TopicIdentity identity) {
        this.backend = backend;
        this.name = name;
        this.dir = dir;
        this.identity = identity;
        this.changesStamp = TopicChangesFile.stamp(dir);
        this.config = FilesBackend.effective(dir, name, identity);
        this.consumers = new ConsumerFiles(dir.resolve(CONSUMERS_DIR), name);
        this.logs = openLogs(new PartitionLog[0], config.numPartitions());
        this.partitions = Partitions.plain(logs.length);
        this.nextChangeCheck = System.nanoTime() + TopicChangesFile.CHECK_NANOS;
        this.groups = new FilesGroups(dir.resolve(CONSUMERS_DIR), this, consumers);
        this.peerKey = identity(dir);
        PEERS.computeIfAbsent(peerKey, k -> new CopyOnWriteArraySet<>()).add(notifier);
        // every open handle trims, not only producing ones: a topic only consumed (a partition server whose clients
        // only read, an archiving process) is trimmed too
        Retention r = Retention.of(config.options());
        synchronized (lifecycle) {
            retention = r.any() ? new RetentionWorker(this::logs, r, this::gone) : null;
        }
    }

    /** @return {@code have} followed by the opened logs of partitions {@code have.length..n-1} */
    private PartitionLog[] openLogs(PartitionLog[] have, int n) {
        PartitionLog[] out = java.util.Arrays.copyOf(have, n);
        try {
            for (int p = have.length; p < n; p++) {
                out[p] = PartitionLog.open(partitionDir(p), name, p, config.log());
                out[p].appendGuard(identity::changed);
                int partition = p;
                out[p].positionsFloor(() -> consumers.maxPosition(partition));
            }
        } catch (RuntimeException e) {
            for (int p = have.length; p < n; p++) {
                if (out[p] != null) {
                    out[p].close();
                }
            }
            throw e;
        }
        return out;
    }

    /**
     * Applies a new {@code changes.json} (another process, or this one, added partitions or changed retention or
     * segment options): opens the new partitions' logs, gives every log the new segment size and age, and hands the
     * new retention to the running retention thread. Looks at the file at
     * most every {@link TopicChangesFile#CHECK_NANOS} unless {@code force}; cheap otherwise (one clock read).
     */
    void refreshChanges(boolean force) {
        long now = System.nanoTime();
        if (!force && now - nextChangeCheck < 0) {
            return;
        }
        nextChangeCheck = now + TopicChangesFile.CHECK_NANOS;
        Object stamp = TopicChangesFile.stamp(dir);
        synchronized (lifecycle) {
            if (closed.get() || java.util.Objects.equals(stamp, changesStamp)) {
                return;
            }
            TopicConfig next;
            try {
                next = identity.config().with(TopicChangesFile.read(dir, name, identity.config().id()));
            } catch (RuntimeException e) {
                // damaged or unreadable: keep the configuration in effect, say why once per new file
                LOG.warn("topic '{}': cannot apply {}: {}", name, TopicChangesFile.FILE, e.getMessage());
                changesStamp = stamp;
                return;
            }
            PartitionLog[] have = logs;
            if (next.numPartitions() > have.length) {
                logs = openLogs(have, next.numPartitions());
                partitions = Partitions.plain(next.numPartitions());
            }
            config = next;
            changesStamp = stamp;
            for (PartitionLog log : logs) {
                log.config(next.log()); // segment size and age: the next append rolls by them
            }
            Retention r = Retention.of(next.options());
            if (retention != null) {
                retention.retention(r);
            } else if (r.any()) { // every open handle trims (see the constructor)
                retention = new RetentionWorker(this::logs, r, this::gone);
            }
        }
        notifier.changed(); // tailing sessions look at the new partition count
    }

    /** @return the file whose creation announces a change of this topic (another process added partitions) */
    @Override
    public Path changesFile() {
        return dir.resolve(TopicChangesFile.FILE);
    }

    PartitionLog[] logs() {
        return logs;
    }

    @Override
    public Path partitionDir(int p) {
        return dir.resolve(PARTITIONS_DIR).resolve(partitionDirName(p));
    }

    static String partitionDirName(int p) {
        return String.format("%08d", p);
    }

    private static Object identity(Path dir) {
        try {
            Object k = Files.readAttributes(dir, BasicFileAttributes.class).fileKey();
            return k != null ? k : dir.toRealPath().toString();
        } catch (IOException e) {
            return dir.toAbsolutePath().toString();
        }
    }

    PartitionLog log(int p) {
        return logs[p];
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public List<PartitionInfo> partitions() {
        refreshChanges(false);
        return partitions;
    }

    @Override
    public Metadata components() {
        return config.components();
    }

    @Override
    public int numPartitions() {
        refreshChanges(false);
        return logs.length;
    }

    @Override
    public PartitionBounds bounds(int p) {
        identity.check();
        return logs[p].bounds();
    }

    /** The sizes of the partition directory's files (segments, indexes, reservation), summed; empty if unreadable. */
    @Override
    public java.util.OptionalLong storedBytes(int p) {
        long total = 0;
        try (java.nio.file.DirectoryStream<Path> ds = Files.newDirectoryStream(partitionDir(p))) {
            for (Path f : ds) {
                try {
                    total += Files.readAttributes(f, BasicFileAttributes.class).size();
                } catch (java.nio.file.NoSuchFileException e) {
                    // removed by retention meanwhile
                }
            }
        } catch (IOException e) {
            return java.util.OptionalLong.empty();
        }
        return java.util.OptionalLong.of(total);
    }

    @Override
    public List<LostRange> lostRanges(int p) {
        return logs[p].lostRanges();
    }

    @Override
    public long idForTime(int p, Instant time) {
        identity.check();
        return logs[p].idForTime(time.getEpochSecond() * 1_000_000_000L + time.getNano());
    }

    // ------------------------------------------------------------------ appends

    @Override
    public BatchAppender appender(AppenderConfig config) {
        checkOpen();
        identity.check();
        return new FilesAppender(this, config);
    }

    /** Hands a batch to the I/O thread (started on first use); a closed topic refuses it with a clear error. */
    void submit(FilesAppender appender, int partition, OutgoingBatch batch, CompletableFuture<Long> done) {
        AppendWorker w;
        synchronized (lifecycle) {
            if (closed.get()) {
                done.completeExceptionally(new DiasporaException("topic '" + name
                        + "' is closed; the batch was not appended"));
                return;
            }
            if (worker == null) {
                worker = new AppendWorker(this);
            }
            w = worker;
        }
        w.submit(appender, partition, batch, done);
    }

    @Override
    public boolean directAppends() {
        return !config.log().fsync();
    }

    @Override
    public void exclusiveWriter(boolean on) {
        exclusiveWriter = on;
    }

    /** @return whether the exclusive-writer mode is on ({@link DirectAppends#exclusiveWriter}) */
    boolean exclusiveWriter() {
        return exclusiveWriter;
    }

    @Override
    public long appendNow(int partition, OutgoingBatch batch) {
        checkOpen();
        PartitionLog log = logs[partition];
        dev.diaspora.stream.files.storage.AppendResult r = exclusiveWriter ? log.appendExclusive(List.of(batch))
                : log.append(List.of(batch));
        if (r.committed() == 0) {
            throw r.error();
        }
        appended();
        return r.firstIds()[0];
    }

    /** Called by the I/O thread after it committed events: wakes the tailing readers of every handle in this JVM. */
    void appended() {
        Set<ChangeNotifier> peers = PEERS.get(peerKey);
        if (peers != null) {
            for (ChangeNotifier n : peers) {
                n.changed();
            }
        } else {
            notifier.changed();
        }
    }

    // ------------------------------------------------------------------ reads

    @Override
    public ReadSession openSession(SessionConfig config) {
        checkOpen();
        identity.check();
        return watch.open(this, config, identity::check); // a deleted topic fails the poll, not "no events"
    }

    /** For the tail watcher: partitions another process added are watched too. */
    @Override
    public void refresh(boolean force) {
        refreshChanges(force);
    }

    @Override
    public String topicName() {
        return name;
    }

    @Override
    public boolean commitFile(String file) {
        return PartitionLog.isCommitFile(file);
    }

    @Override
    public int partitionCount() {
        return logs.length;
    }

    @Override
    public boolean pollGrowth(int p) {
        return logs[p].pollGrowth();
    }

    @Override
    public IncomingBatch read(int p, long fromId, int maxEvents, long maxBytes) {
        try {
            return logs[p].read(fromId, maxEvents, maxBytes);
        } catch (CorruptDataException e) {
            identity.check(); // files of a deleted topic vanish under the reader: say so, not "damaged"
            // the damaged record stays this partition's position; the engine fails its pulls until a seek (S4)
            return IncomingBatch.failure(p, fromId, e);
        } catch (EventsLostException | PositionExpiredException e) {
            // ids a crash lost: the session moves past them (LocalReadSession) and the engine reports them;
            // ids retention removed: the session follows the consumer's onExpiredPosition policy
            return IncomingBatch.failure(p, fromId, e);
        }
    }

    @Override
    public void readData(List<DataRequest> requests) {
        DataRequest.byPartition(requests, (p, run) -> logs[p].readData(run));
    }

    @Override
    public StoredData storedData(int partition, long id, long dataSize) {
        checkOpen();
        return logs[partition].storedData(id, dataSize);
    }

    @Override
    public ChangeNotifier notifier() {
        return notifier;
    }

    // ------------------------------------------------------------------ positions and leases

    @Override
    public Set<String> consumerNames() {
        identity.check();
        return consumers.names();
    }

    @Override
    public Map<Integer, Long> committed(String name) {
        identity.check();
        return consumers.committed(name);
    }

    @Override
    public void commit(String name, Map<Integer, Long> positions) {
        identity.check(); // positions of a deleted topic must not land in the one re-created under its name
        consumers.commit(name, positions);
    }

    @Override
    public void storePositions(String name, Map<Integer, Long> positions) {
        identity.check();
        consumers.commit(name, positions);
    }

    @Override
    public AutoCloseable tryLease(String name, int p) {
        checkOpen();
        identity.check();
        return consumers.tryLease(name, p);
    }

    /** Groups of processes on this host, coordinated through files (see {@link FilesGroups}). */
    @Override
    public dev.diaspora.stream.spi.GroupMembership groups() {
        return groups;
    }

    // ------------------------------------------------------------------ lifecycle

    /** @return null if the topic is still the one this handle opened, else the error to report */
    TopicNotFoundException gone() {
        return identity.changed();
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
        AppendWorker w;
        RetentionWorker rw;
        synchronized (lifecycle) { // closed is set: no new worker starts after this
            w = worker;
            rw = retention;
        }
        if (rw != null) {
            rw.close();
        }
        if (w != null) {
            w.close(); // appends what was handed over, then stops
        }
        watch.close();
        Set<ChangeNotifier> peers = PEERS.get(peerKey);
        if (peers != null) {
            peers.remove(notifier);
            PEERS.computeIfPresent(peerKey, (k, v) -> v.isEmpty() ? null : v);
        }
        notifier.wakeAll();
        DiasporaException first = null;
        for (PartitionLog l : logs) {
            try {
                l.close();
            } catch (RuntimeException e) {
                first = first == null ? new DiasporaException("topic '" + name + "': closing failed: " + e, e) : first;
            }
        }
        identity.close();
        backend.closed(this);
        if (first != null) {
            throw first;
        }
    }

    @Override
    public String toString() {
        return "FilesTopic[" + name + " in " + dir + "]";
    }
}
