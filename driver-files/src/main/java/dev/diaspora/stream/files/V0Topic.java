package dev.diaspora.stream.files;

import dev.diaspora.stream.CorruptDataException;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.PartitionBounds;
import dev.diaspora.stream.PartitionInfo;
import dev.diaspora.stream.spi.AppenderConfig;
import dev.diaspora.stream.spi.BatchAppender;
import dev.diaspora.stream.spi.ChangeNotifier;
import dev.diaspora.stream.spi.DataRequest;
import dev.diaspora.stream.spi.IncomingBatch;
import dev.diaspora.stream.spi.LocalTopic;
import dev.diaspora.stream.spi.OutgoingBatch;
import dev.diaspora.stream.spi.ReadSession;
import dev.diaspora.stream.spi.SessionConfig;
import dev.diaspora.stream.spi.TopicBackend;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An open topic in the C++ layout ({@link V0Layout}). Reads go through the shared {@link FilesReadSession}
 * (start positions, leases, tailing); positions and leases are those of the files driver ({@link ConsumerFiles}),
 * kept in {@code .diaspora-java/consumers/} beside the partitions, where C++ never looks. Appends run on one I/O
 * thread per handle ({@code diaspora-files-v0-io-<n>}) through the JVM's {@link V0Writer} of the topic.
 *
 * <p>EventIDs are positions in the index, as in C++. The v0 layout stores no time: every event's timestamp is 0
 * (the epoch) and {@code startAt(time)} is not supported.
 *
 * <p>Thread safety: thread-safe.
 */
final class V0Topic implements TopicBackend, LocalTopic, TailWatcher.Watched {
    private static final AtomicInteger THREADS = new AtomicInteger();
    private static final String IO_THREAD = "diaspora-files-v0-io-";

    private final V0Backend backend;
    private final String name;
    private final Path dir;
    private final Metadata components;
    private final V0Partition[] parts;
    private final List<PartitionInfo> partitions;
    private final Path consumersDir;
    private final ConsumerFiles consumers;
    private final ChangeNotifier notifier = new ChangeNotifier();
    private final Object lifecycle = new Object();
    private ExecutorService io; // guarded by lifecycle
    private final SessionWatch watch = new SessionWatch(this, notifier);
    private final AtomicBoolean closed = new AtomicBoolean();

    V0Topic(V0Backend backend, String name, Path dir) {
        this.backend = backend;
        this.name = name;
        this.dir = dir;
        this.components = V0Layout.components(dir, name);
        int n = V0Layout.numPartitions(dir, name);
        this.parts = new V0Partition[n];
        List<PartitionInfo> ps = new ArrayList<>();
        for (int p = 0; p < n; p++) {
            parts[p] = new V0Partition(name, p, V0Layout.partitionDir(dir, p));
            ps.add(new PartitionInfo(p, Metadata.EMPTY));
        }
        this.partitions = List.copyOf(ps);
        this.consumersDir = dir.resolve(V0Layout.JAVA_DIR).resolve(FilesTopic.CONSUMERS_DIR);
        this.consumers = new ConsumerFiles(consumersDir, name);
    }

    /** Creates {@code .diaspora-java/consumers} on first use, so that only reading leaves the topic as it was. */
    private void consumersDir() {
        try {
            Files.createDirectories(consumersDir);
        } catch (IOException e) {
            throw new DiasporaException("v0 topic '" + name + "': cannot create " + consumersDir + " for consumer"
                    + " positions and leases: " + e + ". The topic directory must be writable by consumers", e);
        }
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
        return parts.length;
    }

    @Override
    public PartitionBounds bounds(int p) {
        checkOpen();
        return parts[p].bounds();
    }

    @Override
    public long idForTime(int p, Instant time) {
        throw new UnsupportedOperationException("v0 topic '" + name + "': the C++ layout stores no timestamps, so"
                + " startAt(time) cannot be served; start at an EventID, EARLIEST or LATEST instead");
    }

    // ------------------------------------------------------------------ appends

    @Override
    public BatchAppender appender(AppenderConfig config) {
        checkOpen();
        V0Writer writer = V0Writer.acquire(dir, name);
        ExecutorService executor;
        synchronized (lifecycle) {
            if (io == null) {
                io = Executors.newSingleThreadExecutor(r -> {
                    Thread t = new Thread(r, IO_THREAD + THREADS.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
            }
            executor = io;
        }
        return new V0Appender(writer, executor);
    }

    /** One producer's appender: batches go to the handle's I/O thread in call order. */
    private final class V0Appender implements BatchAppender {
        private final V0Writer writer;
        private final ExecutorService executor;
        private final Set<Integer> failed = java.util.concurrent.ConcurrentHashMap.newKeySet();
        private final AtomicBoolean released = new AtomicBoolean();

        V0Appender(V0Writer writer, ExecutorService executor) {
            this.writer = writer;
            this.executor = executor;
        }

        @Override
        public void append(int partition, OutgoingBatch batch, CompletableFuture<Long> f) {
            try {
                executor.execute(() -> {
                    if (failed.contains(partition)) { // STRICT: nothing after a failed batch of this partition
                        f.completeExceptionally(new DiasporaException("v0 topic '" + name + "' partition "
                                + partition + ": not appended because an earlier batch of the same producer failed"));
                        return;
                    }
                    try {
                        f.complete(writer.append(partition, List.of(batch))[0]);
                        notifier.changed();
                    } catch (RuntimeException e) {
                        failed.add(partition);
                        f.completeExceptionally(e);
                    }
                });
            } catch (java.util.concurrent.RejectedExecutionException e) {
                f.completeExceptionally(new DiasporaException("v0 topic '" + name + "' is closed; the batch was not"
                        + " appended"));
            }
        }

        @Override
        public void close() {
            if (released.compareAndSet(false, true)) {
                writer.release();
            }
        }
    }

    // ------------------------------------------------------------------ reads

    @Override
    public ReadSession openSession(SessionConfig config) {
        checkOpen();
        consumersDir();
        return watch.open(this, config, () -> { });
    }

    @Override
    public int partitionCount() {
        return parts.length;
    }

    @Override
    public String topicName() {
        return name;
    }

    @Override
    public Path partitionDir(int p) {
        return V0Layout.partitionDir(dir, p);
    }

    @Override
    public boolean commitFile(String file) {
        return file.equals(V0Layout.INDEX);
    }

    @Override
    public boolean pollGrowth(int p) {
        return parts[p].pollGrowth();
    }

    @Override
    public IncomingBatch read(int p, long fromId, int maxEvents, long maxBytes) {
        try {
            return parts[p].read(fromId, maxEvents, maxBytes);
        } catch (CorruptDataException e) {
            return IncomingBatch.failure(p, fromId, e);
        }
    }

    @Override
    public void readData(List<DataRequest> requests) {
        DataRequest.byPartition(requests, (p, run) -> parts[p].readData(run));
    }

    @Override
    public ChangeNotifier notifier() {
        return notifier;
    }

    // ------------------------------------------------------------------ positions and leases

    @Override
    public Set<String> consumerNames() {
        return consumers.names();
    }

    @Override
    public Map<Integer, Long> committed(String consumer) {
        return consumers.committed(consumer);
    }

    @Override
    public void commit(String consumer, Map<Integer, Long> positions) {
        consumers.commit(consumer, positions);
    }

    @Override
    public void storePositions(String consumer, Map<Integer, Long> positions) {
        consumersDir();
        consumers.commit(consumer, positions);
    }

    @Override
    public AutoCloseable tryLease(String consumer, int p) {
        checkOpen();
        return consumers.tryLease(consumer, p);
    }

    // ------------------------------------------------------------------ lifecycle

    private void checkOpen() {
        if (closed.get()) {
            throw new IllegalStateException("v0 topic '" + name + "' is closed");
        }
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        ExecutorService e;
        synchronized (lifecycle) {
            e = io;
        }
        e = e != null && Thread.currentThread().getName().startsWith(IO_THREAD) ? shutdownOnly(e) : e;
        if (e != null) {
            e.shutdown(); // appends what was handed over
            try {
                if (!e.awaitTermination(1, TimeUnit.MINUTES)) {
                    throw new DiasporaException("v0 topic '" + name + "': appends still running after 1 minute at"
                            + " close; check the file system");
                }
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            }
        }
        watch.close();
        notifier.wakeAll();
        for (V0Partition p : parts) {
            p.close();
        }
        backend.closed(this);
    }

    /** Closed from a push continuation on the I/O thread: it cannot wait for itself; it ends once its queue is done. */
    private static ExecutorService shutdownOnly(ExecutorService e) {
        e.shutdown();
        return null;
    }

    @Override
    public String toString() {
        return "V0Topic[" + name + " in " + dir + "]";
    }
}
