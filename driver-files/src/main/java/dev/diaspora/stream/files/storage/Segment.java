package dev.diaspora.stream.files.storage;

import dev.diaspora.stream.CorruptDataException;
import dev.diaspora.stream.DiasporaException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.BiFunction;
import java.util.zip.CRC32C;

/**
 * One segment of a partition: the {@code .index}, {@code .meta} and {@code .data} files that share a base EventID.
 * Read channels are opened on first use and shared by every reader of the partition in this process (positional
 * reads only); the appender opens its own read-write channels on the newest segment.
 *
 * <p>{@link #tail} computes how many index records are committed (FORMAT.md, "Recovery"); it never changes a file.
 *
 * <p>Thread safety: thread-safe; the writer channels are used only by the holder of the partition's append lock.
 */
final class Segment {
    static final int INDEX = 0;
    static final int META = 1;
    static final int DATA = 2;
    private static final String[] SUFFIX = {".index", ".meta", ".data"};
    private static final int[] KIND = {FileHeaderDescriptor.KIND_INDEX, FileHeaderDescriptor.KIND_META,
        FileHeaderDescriptor.KIND_DATA};
    private static final int SCAN_CHUNK = 1024;

    /**
     * What the index of a segment commits.
     *
     * @param count committed records
     * @param records whole records in the file (committed or not)
     * @param indexSize the index file size this was computed from
     * @param metaEnd end of the last committed record's metadata (64 if none)
     * @param dataEnd end of the last committed record's data (64 if none)
     * @param lastTimestamp the last committed record's timestamp, or {@code Long.MIN_VALUE}
     */
    record Tail(long count, long records, long indexSize, long metaEnd, long dataEnd, long lastTimestamp) {
    }

    final long base;
    final int partition;
    final String topic;
    private final Path[] paths = new Path[3];
    private final FileChannel[] readers = new FileChannel[3]; // guarded by this
    private final boolean[] headerOk = new boolean[3]; // guarded by this
    private int blockSize; // guarded by this: the data checksum block the checked headers declare, 0 before
    private final FileChannel[] writers = new FileChannel[3]; // append-lock holder only
    private Tail tail; // guarded by this
    private boolean closed; // guarded by this

    Segment(Path dir, long base, String topic, int partition) {
        this.base = base;
        this.topic = topic;
        this.partition = partition;
        for (int k = 0; k < 3; k++) {
            paths[k] = dir.resolve(fileName(base, SUFFIX[k]));
        }
    }

    /** @return the file name of a segment file: the base id on 20 digits and the suffix */
    static String fileName(long base, String suffix) {
        if (base < 0) {
            return String.format("%020d", base) + suffix; // never a segment base; kept as the format gives it
        }
        String digits = Long.toString(base);
        StringBuilder b = new StringBuilder(20 + suffix.length());
        for (int i = digits.length(); i < 20; i++) {
            b.append('0');
        }
        return b.append(digits).append(suffix).toString();
    }

    static String suffix(int kind) {
        return SUFFIX[kind];
    }

    Path path(int kind) {
        return paths[kind];
    }

    String where() {
        return "topic '" + topic + "' partition " + partition;
    }

    /** @return the shared read channel of one of the files, opened on first use */
    synchronized FileChannel reader(int kind) throws IOException {
        if (closed) {
            throw new ClosedChannelException();
        }
        FileChannel ch = readers[kind];
        if (ch == null || !ch.isOpen()) { // reopened if an interrupt closed it
            try {
                ch = FileChannel.open(paths[kind], StandardOpenOption.READ);
                BiFunction<Path, FileChannel, FileChannel> wrap = readerWrapper;
                if (wrap != null) {
                    ch = wrap.apply(paths[kind], ch);
                }
            } catch (NoSuchFileException e) {
                throw new DiasporaException(where() + ": segment file " + paths[kind] + " is missing; was the topic"
                        + " deleted or its files removed by hand? Reopen the topic, or restore the file", e);
            }
            readers[kind] = ch;
        }
        return ch;
    }

    /** @return the current size of one of the files */
    long size(int kind) throws IOException {
        return reader(kind).size();
    }

    /**
     * Checks the header of one file once it is complete.
     *
     * @return false if the file is shorter than a header (a cut file, treated as empty), true if the header is good
     * @throws CorruptDataException if a complete header is damaged or of another format
     */
    synchronized boolean checkHeader(int kind) throws IOException {
        if (headerOk[kind]) {
            return true;
        }
        FileChannel ch = reader(kind);
        if (ch.size() < FileHeaderDescriptor.LENGTH) {
            return false;
        }
        ByteBuffer h = ByteBuffer.allocate(FileHeaderDescriptor.LENGTH);
        if (FileIo.readFully(ch, h, 0) < FileHeaderDescriptor.LENGTH) {
            return false;
        }
        String problem = FileHeaderDescriptor.check(h, KIND[kind], base, partition);
        if (problem != null && problem.endsWith(FileHeaderDescriptor.UPGRADE)) {
            throw new CorruptDataException(where() + ": cannot use " + paths[kind] + ": " + problem);
        }
        if (problem != null) {
            throw new CorruptDataException(where() + ": cannot use " + paths[kind] + ": " + problem
                    + ". Restore the file from a backup, or remove the segment's three files to drop its events");
        }
        int declared = FileHeaderDescriptor.declaredBlockSize(h);
        if (blockSize != 0 && declared != blockSize) {
            throw new CorruptDataException(where() + ": cannot use " + paths[kind] + ": its header declares a data"
                    + " block size of " + declared + " but the segment's other files declare " + blockSize + " (files"
                    + " of different format versions in one segment: copied together by hand?). Restore the file"
                    + " from a backup, or remove the segment's three files to drop its events");
        }
        blockSize = declared;
        headerOk[kind] = true;
        return true;
    }

    /**
     * @return the data checksum block size of this segment's events, as its headers declare it (FORMAT.md: 65536 in
     *     format version 1, 4096 in version 2); checks the headers on first use. A segment with no complete header
     *     holds no readable event: it answers the block size of the version this code writes.
     * @throws CorruptDataException if a complete header is damaged or of another format
     */
    synchronized int blockSize() throws IOException {
        for (int k = 0; k < 3 && blockSize == 0; k++) {
            checkHeader(k);
        }
        return blockSize != 0 ? blockSize : FileHeaderDescriptor.DATA_BLOCK_SIZE;
    }

    /**
     * @return a new header for one of this segment's files (the appender rewrites a header cut short): in the format
     *     the segment's other headers declare, so that a segment never mixes versions; the format of new segments if
     *     none is readable
     */
    synchronized ByteBuffer freshHeader(int kind) {
        for (int k = 0; k < 3 && blockSize == 0; k++) {
            if (k != kind) {
                try {
                    checkHeader(k);
                } catch (IOException | RuntimeException e) {
                    // damaged too: reads of this segment report it; the rewritten header follows the default
                }
            }
        }
        int version = blockSize != 0 ? FileHeaderDescriptor.versionOf(blockSize) : FileHeaderDescriptor.segmentVersion;
        return FileHeaderDescriptor.encode(KIND[kind], base, partition, version);
    }

    /** Forgets that a header was checked (after the appender rewrote it). */
    synchronized void headerRewritten(int kind) {
        headerOk[kind] = false;
        if (!headerOk[0] && !headerOk[1] && !headerOk[2]) {
            blockSize = 0;
        }
    }

    /** Reads {@code n} index records from record {@code first} into a new heap buffer (fewer at the end of file). */
    ByteBuffer readRecords(long first, int n) throws IOException {
        return readRecords(first, n, null);
    }

    /**
     * As {@link #readRecords(long, int)}, into {@code reuse} when it is a heap buffer large enough (a reader's buffer
     * from an earlier call), else into a new one.
     *
     * @return the buffer read into, records from index 0 to its limit
     */
    ByteBuffer readRecords(long first, int n, ByteBuffer reuse) throws IOException {
        int size = n * IndexDescriptor.RECORD_SIZE;
        ByteBuffer b = reuse != null && reuse.capacity() >= size ? reuse.clear().limit(size)
                : ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        int got = FileIo.readFully(reader(INDEX), b, IndexDescriptor.recordOffset(first));
        b.clear();
        b.limit(got - got % IndexDescriptor.RECORD_SIZE);
        return b;
    }

    /**
     * Computes (or returns the cached) committed tail of the index. The rule (FORMAT.md, "Recovery"): the last
     * record that is valid (checksum, consistent fields, extents inside the files) marks the last index write; the
     * committed records end at the first invalid record of that write, or after it. Records before a previously
     * computed tail stay committed.
     */
    synchronized Tail tail(CRC32C crc) throws IOException {
        FileChannel ix = reader(INDEX);
        long size = ix.size();
        Tail t = tail;
        if (t != null && size == t.indexSize && t.count == t.records) {
            return t; // nothing appended, nothing torn: the common case costs one fstat
        }
        if (!checkHeader(INDEX)) {
            tail = new Tail(0, 0, size, FileHeaderDescriptor.LENGTH, FileHeaderDescriptor.LENGTH, Long.MIN_VALUE);
            return tail;
        }
        int bs = blockSize();
        long n = IndexDescriptor.recordCount(size);
        long lower = t == null ? 0 : Math.min(t.count, n);
        long metaSize = -1;
        long dataSize = -1;
        long last = -1; // the last valid record
        ByteBuffer lastRec = null;
        long hi = n;
        int chunk = 1;
        while (hi > lower && last < 0) {
            long lo = Math.max(lower, hi - chunk);
            ByteBuffer recs = readRecords(lo, (int) (hi - lo));
            if (metaSize < 0) { // sizes after reading the records: every record we saw has its bytes written
                metaSize = checkHeader(META) ? size(META) : 0;
                dataSize = checkHeader(DATA) ? size(DATA) : 0;
            }
            for (long i = lo + recs.limit() / IndexDescriptor.RECORD_SIZE - 1; i >= lo; i--) {
                int at = (int) (i - lo) * IndexDescriptor.RECORD_SIZE;
                if (IndexDescriptor.isValid(recs, at, i, metaSize, dataSize, bs, crc)) {
                    last = i;
                    lastRec = recs.slice(at, IndexDescriptor.RECORD_SIZE).order(ByteOrder.LITTLE_ENDIAN);
                    break;
                }
            }
            hi = lo;
            chunk = Math.min(chunk * 64, SCAN_CHUNK);
        }
        long count;
        ByteBuffer endRec = null;
        if (last < 0) {
            count = lower;
        } else {
            long writeStart = last - Integer.toUnsignedLong(IndexDescriptor.writeIndex(lastRec, 0));
            count = last + 1;
            endRec = lastRec;
            for (long from = Math.max(writeStart, lower); from < last && count == last + 1; from += SCAN_CHUNK) {
                int k = (int) Math.min(SCAN_CHUNK, last - from);
                ByteBuffer recs = readRecords(from, k);
                for (int j = 0; j < k; j++) {
                    int at = j * IndexDescriptor.RECORD_SIZE;
                    if (at >= recs.limit()
                            || !IndexDescriptor.isValid(recs, at, from + j, metaSize, dataSize, bs, crc)) {
                        count = from + j; // torn inside the last write: commit stops here
                        endRec = null;
                        break;
                    }
                }
            }
        }
        if (count == 0) {
            tail = new Tail(0, n, size, FileHeaderDescriptor.LENGTH, FileHeaderDescriptor.LENGTH, Long.MIN_VALUE);
        } else {
            if (endRec == null) {
                endRec = readRecords(count - 1, 1);
            }
            tail = new Tail(count, n, size,
                    IndexDescriptor.metaPosition(endRec, 0) + Integer.toUnsignedLong(IndexDescriptor.metaLength(endRec, 0)),
                    IndexDescriptor.dataPosition(endRec, 0) + IndexDescriptor.dataLength(endRec, 0),
                    IndexDescriptor.timestamp(endRec, 0));
        }
        return tail;
    }

    /** Records the tail the appender just committed (it knows it exactly, so readers need not recompute it). */
    synchronized void committed(Tail t) {
        tail = t;
    }

    /** Forgets the cached tail, so that the next {@link #tail} reads the files again. */
    synchronized void forgetTail() {
        tail = null;
    }

    /**
     * Test seam: when set, wraps every channel the appender writes segment files through as it is opened, including
     * the files a roll creates (tests inject I/O errors with it, such as an EIO halfway through a write). Null in
     * production; never set outside tests.
     */
    static volatile BiFunction<Path, FileChannel, FileChannel> writerWrapper;

    /**
     * Test seam: when set, wraps every shared read channel as it is opened (tests count the bytes reads ask of the
     * operating system with it). Null in production; never set outside tests.
     */
    static volatile BiFunction<Path, FileChannel, FileChannel> readerWrapper;

    /** @return a channel on {@code file} opened with {@code options}, through the {@link #writerWrapper} seam */
    static FileChannel openForWriting(Path file, StandardOpenOption... options) throws IOException {
        FileChannel ch = FileChannel.open(file, options);
        BiFunction<Path, FileChannel, FileChannel> wrap = writerWrapper;
        return wrap != null ? wrap.apply(file, ch) : ch;
    }

    /** @return the appender's read-write channel on one of the files (append-lock holder only) */
    FileChannel writer(int kind) throws IOException {
        FileChannel ch = writers[kind];
        if (ch == null || !ch.isOpen()) {
            ch = openForWriting(paths[kind], StandardOpenOption.READ, StandardOpenOption.WRITE);
            writers[kind] = ch;
        }
        return ch;
    }

    /** Closes the appender's channels (the segment is no longer the newest, or the log closes). */
    void closeWriters() {
        for (int k = 0; k < 3; k++) {
            closeQuietly(writers[k]);
            writers[k] = null;
        }
    }

    /** Closes every channel. */
    synchronized void close() {
        closed = true;
        for (int k = 0; k < 3; k++) {
            closeQuietly(readers[k]);
            readers[k] = null;
        }
        closeWriters();
    }

    private static void closeQuietly(FileChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException e) {
                // nothing was written through a read channel; writer channels are forced before this when needed
            }
        }
    }

    @Override
    public String toString() {
        return "Segment[" + base + " of " + where() + "]";
    }
}
