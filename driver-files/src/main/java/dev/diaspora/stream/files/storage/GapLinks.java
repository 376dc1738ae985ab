package dev.diaspora.stream.files.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lost-range links of a partition (FORMAT.md 7.2): {@code <end>.gap} says that the log, whose segment ends at
 * EventID {@code end}, continues with the segment whose base is {@code next}; ids {@code [end, next)} hold no event
 * (they may have been handed out before a crash lost them). Readers follow a link as they follow a roll, and report
 * a position inside the range as {@link dev.diaspora.stream.EventsLostException}.
 *
 * <p>The file: the 64-byte header (kind 6, base = {@code end}, the partition), then 32 bytes: {@code [0,8)} next,
 * {@code [8,12)} reason (1 machine restart, 2 cut tail below consumer positions, 3 no valid reservation),
 * {@code [12,16)} zero, {@code [16,24)} when it was written (ns since the epoch), {@code [24,28)} CRC32C of
 * {@code [0,24)}, {@code [28,32)} zero. Written to {@code <end>.gap.tmp}, forced, renamed (atomic), directory forced.
 *
 * <p>Thread safety: thread-safe (links found are cached in a concurrent map; writes happen under the append lock).
 */
final class GapLinks {
    static final int REASON_RESTART = 1;
    static final int REASON_CUT = 2;
    static final int REASON_NO_RESERVATION = 3;
    static final String SUFFIX = ".gap";
    private static final int LENGTH = FileHeaderDescriptor.LENGTH + 32;
    private static final Logger LOG = LoggerFactory.getLogger(GapLinks.class);

    /**
     * One link.
     *
     * @param end the first id without an event
     * @param next the base of the segment that continues the log
     * @param reason why the ids were skipped
     */
    record Gap(long end, long next, int reason) {
        /** @return why the range holds no event, for messages */
        String why() {
            switch (reason) {
                case REASON_RESTART:
                    return "the machine stopped (power loss or kernel crash) before the tail of the log was on the"
                            + " device; the writer that came after skipped every id that could have been read";
                case REASON_CUT:
                    return "the tail of the log was cut (a damaged last index write, or a file cut short) below"
                            + " positions consumers had stored; the writer that came after skipped those ids";
                case REASON_NO_RESERVATION:
                    return "the log ended below positions consumers had stored, and its id reservation was missing or"
                            + " damaged; the writer that came after skipped those ids";
                default:
                    return "the writer skipped them (reason " + reason + ")";
            }
        }
    }

    private final Path dir;
    private final int partition;
    private final ConcurrentHashMap<Long, Gap> found = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Long, Boolean> warned = new ConcurrentHashMap<>();

    GapLinks(Path dir, int partition) {
        this.dir = dir;
        this.partition = partition;
    }

    Path path(long end) {
        return dir.resolve(Segment.fileName(end, SUFFIX));
    }

    /** @return the link at {@code end}, or null if there is none (or it is damaged: logged once) */
    Gap find(long end) throws IOException {
        Gap g = found.get(end);
        if (g != null) {
            return g;
        }
        Path file = path(end);
        if (!Files.exists(file)) {
            return null; // the common case, on every append's refresh: one access(2), no exception built
        }
        ByteBuffer b;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            b = ByteBuffer.allocate(LENGTH).order(ByteOrder.LITTLE_ENDIAN);
            if (FileIo.readFully(ch, b, 0) < LENGTH) {
                return damaged(end, "it is shorter than " + LENGTH + " bytes");
            }
        } catch (NoSuchFileException e) {
            return null; // removed since the check
        }
        String bad = FileHeaderDescriptor.check(b, FileHeaderDescriptor.KIND_GAP, end, partition);
        if (bad != null) {
            return damaged(end, bad);
        }
        int at = FileHeaderDescriptor.LENGTH;
        CRC32C crc = new CRC32C();
        crc.update(b.array(), at, 24);
        if ((int) crc.getValue() != b.getInt(at + 24)) {
            return damaged(end, "its record fails its checksum");
        }
        long next = b.getLong(at);
        if (next <= end) {
            return damaged(end, "it links to " + next + ", not beyond its own id");
        }
        g = new Gap(end, next, b.getInt(at + 8));
        found.put(end, g);
        return g;
    }

    /** Forgets a link found before (its target did not exist yet: a writer may replace it). */
    void forget(long end) {
        found.remove(end);
    }

    private Gap damaged(long end, String problem) {
        if (warned.putIfAbsent(end, Boolean.TRUE) == null) {
            LOG.warn("partition {}: ignoring the damaged lost-range link {}: {}. Readers stop at EventID {} until a"
                    + " writer replaces it", partition, path(end), problem, end);
        }
        return null;
    }

    /** Writes (or replaces) the link at {@code end}, forced with its directory. Under the append lock. */
    void write(long end, long next, int reason) throws IOException {
        ByteBuffer b = FileHeaderDescriptor.encode(FileHeaderDescriptor.KIND_GAP, end, partition);
        ByteBuffer all = ByteBuffer.allocate(LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        all.put(0, b, 0, FileHeaderDescriptor.LENGTH);
        int at = FileHeaderDescriptor.LENGTH;
        all.putLong(at, next);
        all.putInt(at + 8, reason);
        all.putLong(at + 16, LogAppender.nowNanos());
        CRC32C crc = new CRC32C();
        crc.update(all.array(), at, 24);
        all.putInt(at + 24, (int) crc.getValue());
        Path tmp = dir.resolve(Segment.fileName(end, SUFFIX + ".tmp"));
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            FileIo.writeFully(ch, all, 0);
            ch.force(false);
        }
        Files.move(tmp, path(end), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        DirectoryTrees.forceDirectory(dir);
        found.remove(end);
        warned.remove(end);
    }
}
