package dev.diaspora.stream.files.storage;

import dev.diaspora.stream.CorruptDataException;
import dev.diaspora.stream.DiasporaException;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * What {@link PartitionLog#open} finds in a partition directory: the bases of its index segments, after checking that
 * no segment holding events lacks its index and removing what an interrupted retention drop left behind.
 *
 * <p>Other processes change the directory while it is listed: a roll creates the new segment's data and metadata
 * files, then its index (by rename), then appends. A listing can therefore see a new data file but miss its index,
 * and by the time the data file's size is read the segment may hold events. Such a directory is listed again rather
 * than reported as damaged.
 *
 * <p>A data file that holds only its header and has no index, below the newest index, is what a roll that failed
 * before its index (a full disk, an I/O error) left when the log then went on in the older segment: no roll can
 * complete it any more (rolls happen at the newest segment's end), so its files are removed.
 *
 * <p>Thread safety: stateless; safe from any thread.
 */
final class SegmentListing {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(SegmentListing.class);
    /** How often a directory that another process changed meanwhile is listed again before it counts as damaged. */
    private static final int RELISTS = 10;

    /**
     * Test hook: called with the partition directory after each listing, before the listing is checked, so that a
     * test can change the directory exactly there (as another process would). Null in production.
     */
    static volatile Consumer<Path> afterListing;

    private SegmentListing() {
    }

    /**
     * @return the bases of the partition's index segments, ascending (at least one)
     * @throws CorruptDataException naming the file and the fix if a segment with events has no index, or no index
     *     exists at all
     * @throws DiasporaException if the directory cannot be listed
     */
    static long[] indexBases(Path partitionDir, String topic, int partition) {
        String where = "topic '" + topic + "' partition " + partition;
        for (int relisted = 0;; relisted++) {
            TreeMap<Long, Path> indexes = new TreeMap<>();
            TreeMap<Long, Path> datas = new TreeMap<>();
            list(partitionDir, where, indexes, datas);
            Consumer<Path> hook = afterListing;
            if (hook != null) {
                hook.accept(partitionDir);
            }
            if (check(partitionDir, where, indexes, datas, relisted < RELISTS)) {
                return indexes.keySet().stream().mapToLong(Long::longValue).toArray();
            }
        }
    }

    private static void list(Path partitionDir, String where, TreeMap<Long, Path> indexes,
            TreeMap<Long, Path> datas) {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(partitionDir)) {
            for (Path f : ds) {
                String n = f.getFileName().toString();
                if (n.length() == 26 && n.endsWith(".index")) {
                    Long base = parseBase(n);
                    if (base != null) {
                        indexes.put(base, f);
                    }
                } else if (n.length() == 25 && n.endsWith(".data")) {
                    Long base = parseBase(n);
                    if (base != null) {
                        datas.put(base, f);
                    }
                }
            }
        } catch (IOException e) {
            throw new DiasporaException(where + ": cannot list the partition directory " + partitionDir + ": " + e
                    + ". Check that it exists and is readable", e);
        }
    }

    /**
     * @param mayRetry whether a listing that another process's roll overtook may be listed again
     * @return true if the listing is valid, false if the directory must be listed again
     */
    private static boolean check(Path partitionDir, String where, TreeMap<Long, Path> indexes,
            TreeMap<Long, Path> datas, boolean mayRetry) {
        for (var e : datas.entrySet()) {
            if (!indexes.isEmpty() && e.getKey() < indexes.firstKey()) {
                // retention removes the index first (the commit point of a drop), then the metadata and data:
                // these are what an interrupted drop left behind
                removeLeftover(partitionDir, e.getKey(), "an interrupted retention drop");
                continue;
            }
            if (indexes.containsKey(e.getKey())) {
                continue;
            }
            long size;
            try {
                size = Files.size(e.getValue());
            } catch (IOException x) {
                continue; // removed meanwhile
            }
            Path index = partitionDir.resolve(Segment.fileName(e.getKey(), ".index"));
            if (size <= FileHeaderDescriptor.LENGTH) {
                // no events: a roll in progress, or one that failed before its index
                if (!indexes.isEmpty() && e.getKey() < indexes.lastKey()) {
                    if (Files.exists(index)) {
                        if (mayRetry) {
                            return false; // the listing missed an index that exists: list again
                        }
                    } else {
                        // failed, and the log went past it: every later roll is at or after the newest index
                        // (rolls happen at the newest segment's end), so none can complete this one
                        removeLeftover(partitionDir, e.getKey(), "a segment roll that failed before its index");
                    }
                }
                continue;
            }
            if (mayRetry && Files.exists(index)) {
                // another process rolled a segment while the directory was listed: a roll creates the index (by
                // rename) before it writes any event, so the listing missed the index and the size saw later events
                return false;
            }
            throw new CorruptDataException(where + ": the index segment " + index + " is missing, but its data"
                    + " file " + e.getValue() + " holds " + (size - FileHeaderDescriptor.LENGTH) + " bytes of"
                    + " events from EventID " + e.getKey() + ". Restore the index file from a backup, or delete "
                    + Segment.fileName(e.getKey(), ".data") + " and " + Segment.fileName(e.getKey(), ".meta")
                    + " to drop those events");
        }
        if (indexes.isEmpty()) {
            throw new CorruptDataException(where + ": the partition directory " + partitionDir + " holds no index"
                    + " segment (*.index); its files were removed. Restore them from a backup or recreate the topic");
        }
        return true;
    }

    /** Removes the files of the segment at {@code base} that has no index any more, or never had one. */
    private static void removeLeftover(Path partitionDir, long base, String leftBy) {
        for (String suffix : new String[] {".meta", ".data", ".index.tmp"}) {
            try {
                Files.deleteIfExists(partitionDir.resolve(Segment.fileName(base, suffix)));
            } catch (IOException e) {
                LOG.debug("cannot remove {} left by {}: {}", Segment.fileName(base, suffix), leftBy, e.toString());
            }
        }
    }

    private static Long parseBase(String name) {
        for (int i = 0; i < 20; i++) {
            char c = name.charAt(i);
            if (c < '0' || c > '9') {
                return null;
            }
        }
        try {
            return Long.parseLong(name.substring(0, 20));
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
