package dev.diaspora.stream.files.storage;

import dev.diaspora.stream.CorruptDataException;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.EventsLostException;
import dev.diaspora.stream.LostRange;
import dev.diaspora.stream.PartitionBounds;
import dev.diaspora.stream.PositionExpiredException;
import dev.diaspora.stream.spi.Retention;
import dev.diaspora.stream.spi.DataRequest;
import dev.diaspora.stream.spi.IncomingBatch;
import dev.diaspora.stream.spi.OutgoingBatch;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.function.Supplier;
import java.util.function.LongSupplier;
import java.util.zip.CRC32C;

/**
 * One partition of the files driver: a segmented, append-only log in its own directory, shared by any number of
 * processes. See FORMAT.md for the files and the recovery rules.
 *
 * <p>Readers never lock and never change a file: the index record is the commit point, and a reader stops at the
 * committed end. Appenders take the partition's append lock ({@link FileLocks}), re-read the end of the index (another
 * process may have appended or rolled), cut a torn tail, and append.
 *
 * <p>Exposed for the netty partition server, which hosts partitions on this engine; not otherwise API.
 *
 * <p>Thread safety: thread-safe. Reads run concurrently with each other and with appends; appends from every thread
 * and process are serialized by the append lock.
 */
public final class PartitionLog implements AutoCloseable {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(PartitionLog.class);
    /** The name of the partition's lock file. */
    public static final String LOCK_FILE = "lock";

    private final Path dir;
    private final String topic;
    private final int partition;
    private volatile LogConfig config; // segment size and age may change (Driver.alterTopic); durability does not
    private final SegmentChain chain;
    private final Object appendLockInit = new Object();
    private FileLocks.Shared appendLock; // guarded by appendLockInit
    private volatile LogAppender appender; // created and used under the append lock
    private final LockKeeper.Keep keep = new LockKeeper.Keep(this); // the exclusive-writer mode's state
    private final DataReader dataReader = new DataReader(this);
    private final RecordReader reader = new RecordReader(this);
    private volatile boolean closed;
    private volatile Supplier<? extends DiasporaException> appendGuard; // see appendGuard(...)
    private volatile LongSupplier positionsFloor = () -> -1;

    private PartitionLog(Path dir, String topic, int partition, LogConfig config, Segment[] segments) {
        this.dir = dir;
        this.topic = topic;
        this.partition = partition;
        this.config = config;
        this.chain = new SegmentChain(this, dir, topic, partition, segments);
    }

    /**
     * Creates an empty partition directory's files: the lock file and the first segment (base 0).
     *
     * @param partitionDir an existing, empty directory
     */
    public static void create(Path partitionDir, int partition) throws IOException {
        Files.createFile(partitionDir.resolve(LOCK_FILE));
        write(partitionDir.resolve(Segment.fileName(0, Segment.suffix(Segment.DATA))),
                FileHeaderDescriptor.encode(FileHeaderDescriptor.KIND_DATA, 0, partition));
        write(partitionDir.resolve(Segment.fileName(0, Segment.suffix(Segment.META))),
                FileHeaderDescriptor.encode(FileHeaderDescriptor.KIND_META, 0, partition));
        write(partitionDir.resolve(Segment.fileName(0, Segment.suffix(Segment.INDEX))),
                FileHeaderDescriptor.encode(FileHeaderDescriptor.KIND_INDEX, 0, partition));
    }

    private static void write(Path file, ByteBuffer content) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            FileIo.writeFully(ch, content, 0);
        }
    }

    /**
     * Opens a partition: lists its segments and checks that no index segment is missing ({@link SegmentListing}).
     *
     * @throws DiasporaException naming the file and the fix if the directory is not a valid partition
     */
    public static PartitionLog open(Path partitionDir, String topic, int partition, LogConfig config) {
        long[] bases = SegmentListing.indexBases(partitionDir, topic, partition);
        Segment[] segs = new Segment[bases.length];
        for (int i = 0; i < bases.length; i++) {
            segs[i] = new Segment(partitionDir, bases[i], topic, partition);
        }
        return new PartitionLog(partitionDir, topic, partition, config, segs);
    }

    /** @return the partition directory */
    public Path dir() {
        return dir;
    }

    /** @return the partition index */
    public int partition() {
        return partition;
    }

    /** @return how the log writes now */
    LogConfig config() {
        return config;
    }

    /**
     * Changes the segment size and age (the topic's options were altered): the next append rolls by them.
     *
     * @throws IllegalArgumentException if {@code changed} has another durability, which is fixed at creation
     */
    public void config(LogConfig changed) {
        if (changed.fsync() != config.fsync()) {
            throw new IllegalArgumentException(where() + ": durability cannot change");
        }
        config = changed;
    }

    String where() {
        return "topic '" + topic + "' partition " + partition;
    }

    /**
     * Sets where the writer finds the largest position stored by the partition's consumers (-1 if none): the floor
     * of the next EventID when the id reservation cannot tell (FORMAT.md 9.1).
     */
    public void positionsFloor(LongSupplier floor) {
        this.positionsFloor = floor;
    }

    LongSupplier positionsFloor() {
        return positionsFloor;
    }

    GapLinks gaps() {
        return chain.gaps();
    }

    // ------------------------------------------------------------------ segments

    Segment addSegment(long base) {
        return chain.addSegment(base);
    }

    /** @return the newest segment, after following rolls and lost-range links made by any process */
    Segment newestSegment(CRC32C crc) throws IOException {
        return chain.newestSegment(crc);
    }

    /** @return the timestamp of the last committed event before segment {@code s}, or {@code Long.MIN_VALUE} */
    long lastTimestampBefore(Segment s, CRC32C crc) throws IOException {
        return chain.lastTimestampBefore(s, crc);
    }

    /** @return the timestamp of the last committed event before {@code id}, for time lookup across a lost range */
    long timestampBefore(long id, CRC32C crc) throws IOException {
        return chain.timestampBefore(id, crc);
    }

    /**
     * @return the segment holding event {@code id}, or null if {@code id} is at or after the committed end
     * @throws EventsLostException if {@code id} lies in a lost range
     * @throws CorruptDataException if {@code id} falls in a hole left by a missing segment
     */
    Segment segmentFor(long id, CRC32C crc) throws IOException {
        return chain.segmentFor(id, crc);
    }

    /**
     * @return the ranges of EventIDs that hold no event between the first retained id and the end: lost ranges that
     *     a writer skipped (FORMAT.md 7.2), and holes left by removed segments
     */
    public List<LostRange> lostRanges() {
        return chain.lostRanges();
    }

    // ------------------------------------------------------------------ reads

    /** @return the first retained and next EventID */
    public PartitionBounds bounds() {
        try {
            CRC32C crc = new CRC32C();
            chain.pruneRemoved();
            Segment s = newestSegment(crc);
            return new PartitionBounds(chain.segments()[0].base, s.base + s.tail(crc).count());
        } catch (IOException e) {
            throw ioFailure("read the bounds of", e);
        }
    }

    /**
     * Reads up to {@code maxEvents} committed records from {@code fromId} (at least one if any, whatever its size),
     * within one segment: the index records, then the metadata of all of them in one positional read, each checked
     * against its CRC. The batch stops before the first damaged record; if that is the first one, this throws.
     *
     * @return the batch (locations are the EventIDs), or null at the committed end
     * @throws CorruptDataException if the record at {@code fromId} is damaged
     * @throws EventsLostException if {@code fromId} lies in a lost range (its last id says where the log goes on)
     */
    public IncomingBatch read(long fromId, int maxEvents, long maxBytes) {
        Segment[] segs = chain.segments();
        if (segs.length < 3 || fromId < segs[2].base) {
            // reading one of the two oldest segments: has retention removed the oldest? (frees its descriptors)
            chain.pruneRemoved();
        }
        try {
            return reader.readRecords(fromId, maxEvents, maxBytes);
        } catch (CorruptDataException | EventsLostException | PositionExpiredException e) {
            throw e;
        } catch (DiasporaException e) {
            throw expiredOr(fromId, e); // a segment removed while it was read: expired, not broken
        }
    }

    /**
     * @return a {@link PositionExpiredException} if retention removed {@code id} meanwhile (the chain is pruned
     *     first), else {@code e}
     */
    private DiasporaException expiredOr(long id, DiasporaException e) {
        try {
            chain.pruneRemoved();
        } catch (RuntimeException x) {
            return e;
        }
        long first = chain.segments()[0].base;
        return id < first ? new PositionExpiredException(partition, id, first, "topic '" + topic + "'") : e;
    }

    /**
     * Fills data requests of this partition (sorted by EventID): see {@link DataReader}. A damaged or cut event fails
     * its request with {@link CorruptDataException}; other requests are unaffected.
     */
    public void readData(List<DataRequest> requests) {
        dataReader.read(requests);
        for (DataRequest r : requests) {
            DiasporaException e = r.error();
            if (e != null && !(e instanceof CorruptDataException) && !(e instanceof PositionExpiredException)) {
                DiasporaException x = expiredOr(r.eventId(), e);
                if (x != e) {
                    r.replaceFailure(x); // retriable: the consumer reads again and meets the expired position
                }
            }
        }
    }

    /**
     * Where event {@code id}'s data lies, with its block checksums (the index and metadata records are verified; the
     * data is not read).
     *
     * @throws DiasporaException if the event does not exist, its data size is not {@code dataSize}, or its records
     *     are damaged ({@link CorruptDataException})
     */
    public StoredData storedData(long id, long dataSize) {
        return reader.storedData(id, dataSize);
    }

    /** @return the first EventID stored at or after {@code nanos} (since the epoch), or the next EventID */
    public long idForTime(long nanos) {
        return reader.idForTime(nanos);
    }

    /**
     * For a tail watcher: true if the newest index grew or another process rolled to a new segment since the last
     * call. Confined to one thread.
     */
    public boolean pollGrowth() {
        if (closed) {
            return false;
        }
        try {
            return chain.pollGrowth();
        } catch (IOException | RuntimeException e) {
            return false; // the reader that wakes up reports problems; the watcher only watches
        }
    }

    /** For a tail watcher: true if writing or creating the partition's file {@code name} can commit events. */
    public static boolean isCommitFile(String name) {
        return name.endsWith(Segment.suffix(Segment.INDEX)) || name.endsWith(GapLinks.SUFFIX);
    }

    // ------------------------------------------------------------------ retention

    /**
     * Removes whole segments that retention no longer keeps, oldest first, never the newest: see
     * {@link SegmentRetention#apply}.
     *
     * @return the number of segments removed
     */
    public int applyRetention(Retention retention, long nowNanos) {
        if (!retention.any() || closed) {
            return 0;
        }
        return SegmentRetention.apply(this, chain, retention, nowNanos);
    }

    /** @return true once {@link #close} began */
    boolean isClosed() {
        return closed;
    }

    // ------------------------------------------------------------------ appends

    /**
     * Appends batches in order, under the partition's append lock, assigning consecutive EventIDs. Blocks on I/O and
     * on other processes' appends: call it from an I/O thread. The producers' buffers are read with absolute
     * operations and duplicates only, and are not referenced after this returns.
     */
    public AppendResult append(List<OutgoingBatch> batches) {
        return append(batches, false);
    }

    /**
     * {@link #append(List)}, optionally keeping the partition's file lock afterwards (only when the append succeeded):
     * the caller's next append then skips the re-reading of the log's end, the incarnation check and the reservation
     * read (FORMAT.md section 9, steps 0 to 3), which hold while no other process could take the lock and no other
     * holder in this JVM took it in between. The caller must end the keep soon with {@link #releaseKeptLock}, and
     * before it waits for any other lock (two processes keeping one lock each and waiting for the other's would
     * deadlock).
     */
    public AppendResult append(List<OutgoingBatch> batches, boolean keepLock) {
        FileLocks.Shared lock;
        try {
            lock = appendLock();
        } catch (IOException e) {
            Supplier<? extends DiasporaException> guard = appendGuard; // the topic may be gone: say so if it is
            DiasporaException refused = guard == null ? null : guard.get();
            return new AppendResult(new long[0], 0, refused != null ? refused : new DiasporaException(where()
                    + ": cannot open the lock file "
                    + dir.resolve(LOCK_FILE) + ": " + e + ". Check that the directory is writable", e));
        }
        try {
            lock.lock();
        } catch (IOException e) {
            return new AppendResult(new long[0], 0, new DiasporaException(where() + ": cannot lock "
                    + dir.resolve(LOCK_FILE) + ": " + e + ". The file system must support POSIX locks", e));
        }
        boolean keep = false;
        try {
            if (closed) {
                return new AppendResult(new long[0], 0, new DiasporaException(where() + " is closed"));
            }
            long epoch = lock.epoch();
            long generation = lock.generation();
            LogAppender a = appender;
            boolean continued = a != null && a.continues(epoch, generation);
            if (!continued) { // the incarnation check: unchanged since this appender's last append if continued
                Supplier<? extends DiasporaException> guard = appendGuard;
                DiasporaException refused = guard == null ? null : guard.get();
                if (refused != null) {
                    return new AppendResult(new long[0], 0, refused);
                }
            }
            if (a == null) {
                a = new LogAppender(this);
                appender = a;
            }
            AppendResult r = a.append(batches, continued, epoch, generation);
            keep = keepLock && r.error() == null;
            return r;
        } finally {
            if (keep) {
                lock.unlockKeepingFileLock();
            } else {
                try {
                    lock.unlock();
                } catch (IOException e) {
                    // the lock dies with the channel at the latest; nothing more to do here
                }
            }
        }
    }

    /**
     * {@link #append(List)} in the exclusive-writer mode (FORMAT.md section 9, "Exclusive writer"), for a process that
     * owns the partition's files: the file lock stays held after the append, idle or not, so that the next append
     * skips re-reading the log's end, until another process waits for the lock (then the partition appends as
     * {@link #append(List)} does for a while), the lock has been idle for a while, or the log closes. Where no
     * waiter can be seen (not Linux) it is {@link #append(List)}.
     */
    public AppendResult appendExclusive(List<OutgoingBatch> batches) {
        boolean keeping = keep.allowed();
        AppendResult r = append(batches, keeping);
        if (keeping && r.error() == null && !keep.kept()) {
            releaseKeptLock();
        }
        return r;
    }

    /**
     * Ends a keep of {@link #append(List, boolean)} the exclusive-writer way: the lock goes on being kept, watched
     * as {@link #appendExclusive} keeps it, when the mode may keep it now; otherwise it is released.
     */
    public void keepExclusivelyOrRelease() {
        if (!(keep.allowed() && keep.kept())) {
            releaseKeptLock();
        }
    }

    /** Releases the file lock kept by {@link #append(List, boolean)}, if still kept. */
    public void releaseKeptLock() {
        FileLocks.Shared lock;
        synchronized (appendLockInit) {
            lock = appendLock;
        }
        if (lock == null) {
            return;
        }
        try {
            lock.releaseKeptFileLock();
        } catch (IOException e) {
            // the lock dies with the channel at the latest; nothing more to do here
        }
    }

    /**
     * Sets the check every append runs once it holds the append lock, before it writes: a non-null answer refuses the
     * whole append with that error. The files driver checks that the topic is still the incarnation it opened (one
     * {@code stat}); deleting a topic takes every partition's append lock first, so appends and deletes are ordered.
     */
    public void appendGuard(Supplier<? extends DiasporaException> guard) {
        this.appendGuard = guard;
    }

    private FileLocks.Shared appendLock() throws IOException {
        synchronized (appendLockInit) {
            if (appendLock == null) {
                appendLock = FileLocks.openShared(dir.resolve(LOCK_FILE));
            }
            return appendLock;
        }
    }

    /** Under the append lock: a clean close lowers the id reservation to the (forced) log end. */
    private void lowerReservation(LogAppender a) {
        try {
            FileLocks.Shared lock = appendLock();
            lock.lock();
            try {
                a.closeClean();
            } finally {
                lock.unlock();
            }
        } catch (IOException e) {
            // the reservation stays high: after a machine restart the next writer skips the reserved ids
        }
    }

    // ------------------------------------------------------------------ errors and lifecycle

    CorruptDataException corrupt(long id, String problem) {
        return new CorruptDataException(where() + " event " + id + ": " + problem + ". The stored event is damaged;"
                + " skip it with consumer.seek(" + partition + ", StartAt.id(" + (id + 1) + ")) or restore the file"
                + " from a backup");
    }

    DiasporaException ioFailure(String what, IOException e) {
        if (closed) {
            return new DiasporaException(where() + " is closed", e);
        }
        return new DiasporaException(where() + ": cannot " + what + " the partition in " + dir + ": " + e, e);
    }

    /**
     * Closes every channel this log opened (in this process). Idempotent. Call it once no append is running (the
     * driver joins its I/O thread first).
     */
    @Override
    public void close() {
        keep.forget(); // the exclusive-writer keeper lets go of it
        releaseKeptLock(); // the I/O thread released it when it stopped; this is for any other caller that kept it
        LogAppender a0 = appender;
        if (a0 != null && !closed) {
            lowerReservation(a0);
        }
        closed = true;
        FileLocks.Shared lock;
        synchronized (appendLockInit) {
            lock = appendLock;
            appendLock = null;
        }
        LogAppender a = appender;
        if (a != null) {
            a.close();
        }
        if (lock != null) {
            try {
                lock.close();
            } catch (IOException e) {
                // the channel is gone either way
            }
        }
        for (Segment s : chain.segments()) {
            s.close();
        }
    }
}
