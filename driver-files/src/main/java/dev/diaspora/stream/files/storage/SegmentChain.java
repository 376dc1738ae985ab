package dev.diaspora.stream.files.storage;

import dev.diaspora.stream.CorruptDataException;
import dev.diaspora.stream.EventsLostException;
import dev.diaspora.stream.LostRange;
import dev.diaspora.stream.PositionExpiredException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The segments of one {@link PartitionLog}, in EventID order, and how the log goes from one to the next: a roll
 * ({@code <end>.index}, FORMAT.md 7.1) or a lost-range link ({@code <end>.gap}, 7.2). Finds the segment of an id,
 * reports ids of a lost range ({@link EventsLostException}) or of a hole ({@link CorruptDataException}), and watches
 * the newest segment for a tail watcher.
 *
 * <p>Thread safety: thread-safe (the array is replaced under this object's lock and read without it), except
 * {@link #pollGrowth}, which is confined to the watcher thread.
 */
final class SegmentChain {
    private final PartitionLog log;
    private final Path dir;
    private final String topic;
    private final int partition;
    private final GapLinks gaps;
    private volatile Segment[] segments; // sorted by base; replaced under this
    private Segment watchSegment; // watcher thread only
    private long watchSize = -1; // watcher thread only
    private int watchRound; // watcher thread only

    SegmentChain(PartitionLog log, Path dir, String topic, int partition, Segment[] segments) {
        this.log = log;
        this.dir = dir;
        this.topic = topic;
        this.partition = partition;
        this.segments = segments;
        this.gaps = new GapLinks(dir, partition);
    }

    /** @return the segments known so far, sorted by base (never empty) */
    Segment[] segments() {
        return segments;
    }

    GapLinks gaps() {
        return gaps;
    }

    synchronized Segment addSegment(long base) {
        Segment[] segs = segments;
        for (Segment s : segs) {
            if (s.base == base) {
                return s;
            }
        }
        Segment s = new Segment(dir, base, topic, partition);
        Segment[] more = Arrays.copyOf(segs, segs.length + 1);
        more[segs.length] = s;
        Arrays.sort(more, (a, b) -> Long.compare(a.base, b.base));
        segments = more;
        return s;
    }

    /**
     * Forgets the oldest segment if it is {@code s} (retention removed it) and closes its channels: a read through
     * them fails (and is reported as expired), never returns torn data. The newest segment is never removed.
     */
    synchronized void removeOldest(Segment s) {
        Segment[] segs = segments;
        if (segs.length > 1 && segs[0] == s) {
            segments = Arrays.copyOfRange(segs, 1, segs.length);
            s.close();
        }
    }

    /**
     * Forgets the oldest segments whose index file is gone: retention removed them, in this process or another.
     * One {@code stat} per call when nothing was removed.
     */
    void pruneRemoved() {
        while (true) {
            Segment[] segs = segments;
            if (Files.exists(segs[0].path(Segment.INDEX))) {
                return;
            }
            if (segs.length == 1 && !adoptOldestOnDisk(segs[0].base)) {
                return; // nothing newer on disk: the topic's files are gone (reported by the next read)
            }
            removeOldest(segs[0]);
        }
    }

    /**
     * The only segment this process knows was removed (a reader that fell behind while another process rolled and
     * removed): adds the oldest segment on disk after {@code base}.
     *
     * @return true if there is one
     */
    private boolean adoptOldestOnDisk(long base) {
        long oldest = Long.MAX_VALUE;
        try (java.nio.file.DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.index")) {
            for (Path f : ds) {
                String n = f.getFileName().toString();
                if (n.length() == 26) {
                    try {
                        long b = Long.parseLong(n.substring(0, 20));
                        if (b > base && b < oldest) {
                            oldest = b;
                        }
                    } catch (NumberFormatException e) {
                        // not a segment
                    }
                }
            }
        } catch (IOException e) {
            return false;
        }
        if (oldest == Long.MAX_VALUE) {
            return false;
        }
        addSegment(oldest);
        return true;
    }

    /** @return the newest segment, after following rolls made by any process */
    Segment newestSegment(CRC32C crc) throws IOException {
        Segment[] segs = segments;
        Segment s = segs[segs.length - 1];
        while (true) {
            Segment n = successor(s, crc);
            if (n == null) {
                return s;
            }
            s = n;
        }
    }

    /**
     * @return the segment that continues the log after {@code s}: a roll ({@code <end>.index}) or a lost-range link
     *     ({@code <end>.gap}) whose target exists; null if {@code s} is the newest
     */
    private Segment successor(Segment s, CRC32C crc) throws IOException {
        long count = s.tail(crc).count();
        long end = s.base + count;
        if (count > 0 && Files.exists(dir.resolve(Segment.fileName(end, ".index")))) {
            return addSegment(end);
        }
        long target = linkedTarget(end);
        return target < 0 ? null : addSegment(target);
    }

    /** @return the base of the segment a lost-range link at {@code end} leads to, if it exists; else -1 */
    private long linkedTarget(long end) throws IOException {
        GapLinks.Gap g = gaps.find(end);
        if (g == null) {
            return -1;
        }
        if (Files.exists(dir.resolve(Segment.fileName(g.next(), ".index")))) {
            return g.next();
        }
        gaps.forget(end); // being written (or its writer died): a writer completes or replaces it
        return -1;
    }

    private EventsLostException lost(long id, long end, long next) throws IOException {
        GapLinks.Gap g = gaps.find(end);
        return new EventsLostException(partition, id, next - 1, "topic '" + topic + "': "
                + (g != null ? g.why() : "?"));
    }

    /**
     * @return the ranges of EventIDs that hold no event between the first retained id and the end: lost ranges that
     *     a writer skipped (FORMAT.md 7.2), and holes left by removed segments
     */
    List<LostRange> lostRanges() {
        try {
            CRC32C crc = new CRC32C();
            newestSegment(crc);
            Segment[] segs = segments;
            List<LostRange> out = new ArrayList<>();
            for (int i = 0; i + 1 < segs.length; i++) {
                long end = segs[i].base + segs[i].tail(crc).count();
                if (end < segs[i + 1].base) {
                    GapLinks.Gap g = gaps.find(end);
                    out.add(new LostRange(end, segs[i + 1].base - 1, g != null && g.next() == segs[i + 1].base
                            ? g.why() : "the segment files of these events are missing (removed or never restored)"));
                }
            }
            return out;
        } catch (IOException e) {
            throw log.ioFailure("list the lost ranges of", e);
        }
    }

    /** @return the timestamp of the last committed event before segment {@code s}, or {@code Long.MIN_VALUE} */
    long lastTimestampBefore(Segment s, CRC32C crc) throws IOException {
        Segment[] segs = segments;
        for (int i = segs.length - 1; i >= 0; i--) {
            if (segs[i].base < s.base) {
                Segment.Tail t = segs[i].tail(crc);
                if (t.count() > 0) {
                    return t.lastTimestamp();
                }
            }
        }
        return Long.MIN_VALUE;
    }

    /**
     * @return the segment holding event {@code id}, or null if {@code id} is at or after the committed end
     * @throws CorruptDataException if {@code id} falls in a hole left by a missing segment
     */
    Segment segmentFor(long id, CRC32C crc) throws IOException {
        Segment[] segs = segments;
        if (id < segs[0].base) {
            throw new PositionExpiredException(partition, id, segs[0].base, "topic '" + topic + "'");
        }
        int lo = 0;
        int hi = segs.length - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (segs[mid].base <= id) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        Segment s = segs[lo];
        if (lo < segs.length - 1) {
            Segment.Tail t = s.tail(crc);
            if (id < s.base + t.count()) {
                return s;
            }
            if (linkedTarget(s.base + t.count()) == segs[lo + 1].base) {
                throw lost(id, s.base + t.count(), segs[lo + 1].base);
            }
            throw new CorruptDataException(log.where() + " event " + id + ": events [" + (s.base + t.count()) + ", "
                    + segs[lo + 1].base + ") are missing: segment " + s.path(Segment.INDEX) + " ends before the next"
                    + " segment begins (files removed or cut by hand). Skip them with seek(" + partition
                    + ", StartAt.id(" + segs[lo + 1].base + "))");
        }
        while (true) {
            Segment.Tail t = s.tail(crc);
            if (id < s.base + t.count()) {
                return s;
            }
            Segment n = successor(s, crc);
            if (n == null) {
                if (!Files.exists(s.path(Segment.INDEX))) {
                    // retention (in another process) removed this segment and the ones after it that this process
                    // had not seen yet: go on from what remains on disk
                    pruneRemoved();
                    if (segments[0] != s) {
                        return segmentFor(id, crc);
                    }
                }
                return null;
            }
            if (id < n.base) {
                throw lost(id, s.base + t.count(), n.base);
            }
            s = n;
        }
    }

    /** @return the timestamp of the last committed event before id {@code id}, or {@code Long.MIN_VALUE} */
    long timestampBefore(long id, CRC32C crc) throws IOException {
        Segment[] segs = segments;
        for (int i = segs.length - 1; i >= 0; i--) {
            if (segs[i].base <= id) {
                Segment.Tail t = segs[i].tail(crc);
                return t.count() > 0 && id >= segs[i].base + t.count() ? t.lastTimestamp()
                        : lastTimestampBefore(segs[i], crc);
            }
        }
        return Long.MIN_VALUE;
    }

    /**
     * For a tail watcher: true if the newest index grew or another process rolled to a new segment (or skipped to
     * one) since the last call. Confined to one thread. Lost-range links are looked for every 16th call only: they
     * are rare, and a look costs a failed open.
     */
    boolean pollGrowth() throws IOException {
        Segment[] segs = segments;
        Segment s = segs[segs.length - 1];
        long size = s.size(Segment.INDEX);
        boolean grew = s != watchSegment || size != watchSize;
        if (!grew) {
            long n = IndexDescriptor.recordCount(size);
            if ((n > 0 && Files.exists(dir.resolve(Segment.fileName(s.base + n, ".index"))))
                    || ((++watchRound & 15) == 0 && linkedTarget(s.base + n) >= 0)) {
                newestSegment(new CRC32C()); // adopt the new segment so that the next call is quiet
                grew = true;
            }
        }
        watchSegment = segments[segments.length - 1];
        watchSize = watchSegment == s ? size : -1;
        return grew;
    }
}
