package dev.diaspora.stream.files.storage;

import dev.diaspora.stream.PositionExpiredException;
import dev.diaspora.stream.spi.Retention;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Retention of one {@link PartitionLog}: removes the whole segments that {@code retention.ms} and
 * {@code retention.bytes} no longer keep (FORMAT.md, "Retention").
 *
 * <p>Thread safety: stateless; runs beside appends and reads of the partition, without its append lock.
 */
final class SegmentRetention {
    private static final Logger LOG = LoggerFactory.getLogger(SegmentRetention.class);

    private SegmentRetention() {
    }

    /**
     * Removes whole segments of {@code log}, oldest first, never the newest: those whose newest event is older than
     * {@code retention.ms} at {@code nowNanos}, and those whose removal leaves at least {@code retention.bytes} in the
     * partition. The index file goes first (the commit point: the segment no longer exists for any reader or writer,
     * and {@code bounds()} reports the next base), then the metadata and data files. A reader in any process that has
     * the removed files open finishes its read (POSIX unlink keeps open files readable); a later read below the new
     * first id fails with {@link PositionExpiredException}. A failure is logged and retried by the next pass.
     *
     * @return the number of segments removed
     */
    static int apply(PartitionLog log, SegmentChain chain, Retention retention, long nowNanos) {
        try {
            CRC32C crc = new CRC32C();
            chain.pruneRemoved();
            log.newestSegment(crc);
            Segment[] segs = chain.segments();
            int newest = segs.length - 1;
            long[] sizes = new long[segs.length];
            long total = 0;
            if (retention.retentionBytes() > 0) {
                for (int i = 0; i < segs.length; i++) {
                    sizes[i] = fileSize(segs[i].path(Segment.INDEX)) + fileSize(segs[i].path(Segment.META))
                            + fileSize(segs[i].path(Segment.DATA));
                    total += sizes[i];
                }
            }
            long oldest = retention.retentionMs() > 0 ? nowNanos - retention.retentionMs() * 1_000_000L
                    : Long.MIN_VALUE;
            int drop = 0;
            while (drop < newest) {
                boolean old = retention.retentionMs() > 0 && segs[drop].tail(crc).lastTimestamp() < oldest;
                boolean big = retention.retentionBytes() > 0 && total - sizes[drop] >= retention.retentionBytes();
                if (!old && !big) {
                    break;
                }
                total -= sizes[drop];
                drop++;
            }
            for (int i = 0; i < drop; i++) {
                remove(log, chain, segs[i]);
            }
            return drop;
        } catch (IOException | RuntimeException e) {
            if (!log.isClosed()) {
                LOG.warn("{}: retention could not remove old segments in {} (it tries again): {}", log.where(),
                        log.dir(), e.toString());
            }
            return 0;
        }
    }

    private static void remove(PartitionLog log, SegmentChain chain, Segment s) throws IOException {
        Files.deleteIfExists(s.path(Segment.INDEX));
        if (log.config().fsync()) {
            DirectoryTrees.forceDirectory(log.dir());
        }
        Files.deleteIfExists(s.path(Segment.META));
        Files.deleteIfExists(s.path(Segment.DATA));
        chain.removeOldest(s);
        LOG.debug("{}: retention removed segment {}", log.where(), s.path(Segment.INDEX));
    }

    private static long fileSize(Path f) {
        try {
            return Files.size(f);
        } catch (IOException e) {
            return 0; // removed meanwhile
        }
    }
}
