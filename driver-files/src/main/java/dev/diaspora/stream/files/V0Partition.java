package dev.diaspora.stream.files;

import dev.diaspora.stream.CorruptDataException;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.InvalidMetadataException;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.PartitionBounds;
import dev.diaspora.stream.spi.DataRequest;
import dev.diaspora.stream.files.storage.PieceReader;
import dev.diaspora.stream.spi.IncomingBatch;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads one partition of a v0 topic: {@code index} (32 bytes per event: metadata offset, metadata size including its
 * 8-byte length prefix, data offset, data size, little-endian u64), {@code metadata} (u64 length + JSON text per
 * event) and {@code data} (raw bytes).
 *
 * <p><b>Visibility.</b> The C++ writer appends a batch's metadata, then its data, then its index records. A reader
 * takes the size of {@code index} first and trusts only the whole 32-byte records below it; it takes the sizes of
 * {@code metadata} and {@code data} after that, so on one machine (one page cache) every range a whole record names
 * lies within them. A record whose range does not, whose length prefix disagrees with the index, or whose metadata is
 * not JSON, is damage: the pull fails with a {@link CorruptDataException} naming the partition, the event and the
 * file, and never yields an event made of wrong bytes.
 *
 * <p>Thread safety: thread-safe (positional reads only; channels opened once, under the monitor).
 */
final class V0Partition implements AutoCloseable {
    private final String topic;
    private final int index;
    private final Path dir;
    private FileChannel indexCh; // guarded by this until non-null
    private FileChannel metadataCh;
    private FileChannel dataCh;
    private volatile long lastIndexSize = -1;

    V0Partition(String topic, int index, Path dir) {
        this.topic = topic;
        this.index = index;
        this.dir = dir;
    }

    /** @return true if the three files are open (they exist once a C++ or Java process opened the topic) */
    private synchronized boolean open() {
        if (dataCh != null) {
            return true;
        }
        try {
            FileChannel i = FileChannel.open(dir.resolve(V0Layout.INDEX), StandardOpenOption.READ);
            FileChannel m;
            FileChannel d;
            try {
                m = FileChannel.open(dir.resolve(V0Layout.METADATA), StandardOpenOption.READ);
                try {
                    d = FileChannel.open(dir.resolve(V0Layout.DATA), StandardOpenOption.READ);
                } catch (IOException e) {
                    m.close();
                    throw e;
                }
            } catch (IOException e) {
                i.close();
                throw e;
            }
            indexCh = i;
            metadataCh = m;
            dataCh = d;
            return true;
        } catch (NoSuchFileException e) {
            return false; // nobody opened the topic yet: an empty partition
        } catch (IOException e) {
            throw new DiasporaException(where() + ": cannot open its files in " + dir + ": " + e
                    + ". Check that they are readable", e);
        }
    }

    private String where() {
        return "v0 topic '" + topic + "' partition " + index;
    }

    /** @return the number of whole index records: the events a reader may trust */
    long count() {
        if (!open()) {
            return 0;
        }
        try {
            return indexCh.size() / V0Layout.RECORD;
        } catch (IOException e) {
            throw new DiasporaException(where() + ": cannot read the size of " + dir.resolve(V0Layout.INDEX) + ": "
                    + e, e);
        }
    }

    PartitionBounds bounds() {
        return new PartitionBounds(0, count());
    }

    /** @return true if the index grew (or shrank) since the last call: for the tail watcher */
    boolean pollGrowth() {
        long n;
        try {
            n = open() ? indexCh.size() : 0;
        } catch (IOException e) {
            return false;
        }
        long before = lastIndexSize;
        lastIndexSize = n;
        return before != n && before >= 0;
    }

    /** Reads up to {@code maxEvents} events from {@code fromId}; null at the end; see the class comment. */
    IncomingBatch read(long fromId, int maxEvents, long maxBytes) {
        long n = count();
        if (fromId >= n) {
            return null;
        }
        int want = (int) Math.min(maxEvents, n - fromId);
        long[] rec = new long[want * 4];
        Path indexFile = dir.resolve(V0Layout.INDEX);
        try {
            ByteBuffer ib = ByteBuffer.allocate(want * V0Layout.RECORD).order(ByteOrder.LITTLE_ENDIAN);
            if (readFully(indexCh, ib, fromId * V0Layout.RECORD) < ib.capacity()) {
                return IncomingBatch.failure(index, fromId, damage(fromId, indexFile, "the file shrank while it was"
                        + " read (cut by hand, or the topic was replaced)"));
            }
            ib.flip();
            for (int i = 0; i < rec.length; i++) {
                rec[i] = ib.getLong();
            }
            long mdFileSize = metadataCh.size();
            long dataFileSize = dataCh.size();
            // how many records to take: bounded by maxBytes (at least one), stop at the first bad range
            int count = 0;
            long bytes = 0;
            CorruptDataException error = null;
            for (; count < want; count++) {
                long id = fromId + count;
                long mo = rec[4 * count];
                long ms = rec[4 * count + 1];
                long dof = rec[4 * count + 2];
                long ds = rec[4 * count + 3];
                error = checkRanges(id, mo, ms, dof, ds, mdFileSize, dataFileSize);
                if (error != null) {
                    break;
                }
                long size = ms - 8 + ds;
                if (count > 0 && bytes + size > maxBytes) {
                    break;
                }
                bytes += size;
            }
            if (count == 0) {
                return IncomingBatch.failure(index, fromId, error);
            }
            return metadataBatch(fromId, count, rec, error);
        } catch (IOException e) {
            throw new DiasporaException(where() + ": cannot read " + dir + ": " + e + ". Check the files' permissions"
                    + " and the file system", e);
        }
    }

    private CorruptDataException checkRanges(long id, long mo, long ms, long dof, long ds, long mdFileSize,
            long dataFileSize) {
        Path mdFile = dir.resolve(V0Layout.METADATA);
        Path dataFile = dir.resolve(V0Layout.DATA);
        if (ms < 8 || ms - 8 > Metadata.MAX_SIZE) {
            return damage(id, dir.resolve(V0Layout.INDEX), "its index record gives a metadata size of " + ms
                    + " bytes (a record is an 8-byte length and at most " + Metadata.MAX_SIZE + " bytes of JSON)");
        }
        if (mo < 0 || mo > mdFileSize - ms) {
            return damage(id, mdFile, "its index record places the metadata at [" + Long.toUnsignedString(mo) + ", "
                    + Long.toUnsignedString(mo + ms) + ") but the file holds " + mdFileSize + " bytes (truncated,"
                    + " or the index is damaged)");
        }
        if (dof < 0 || ds < 0 || dof > dataFileSize - ds) {
            return damage(id, dataFile, "its index record places the data at [" + Long.toUnsignedString(dof) + ", "
                    + Long.toUnsignedString(dof + ds) + ") but the file holds " + dataFileSize + " bytes (truncated,"
                    + " or the index is damaged)");
        }
        return null;
    }

    private CorruptDataException damage(long id, Path file, String what) {
        return new CorruptDataException(where() + ", event " + id + " (" + file + "): " + what + ". The event is not"
                + " delivered; seek past it (id " + (id + 1) + ") to read on, or restore the file");
    }

    /** Reads the metadata of {@code count} checked records and strips their length prefixes. */
    private IncomingBatch metadataBatch(long fromId, int count, long[] rec, CorruptDataException after)
            throws IOException {
        Path mdFile = dir.resolve(V0Layout.METADATA);
        long first = rec[0];
        boolean contiguous = true;
        long total = 0;
        for (int i = 0; i < count; i++) {
            contiguous &= rec[4 * i] == first + total;
            total += rec[4 * i + 1];
        }
        byte[] raw = new byte[(int) total];
        if (contiguous) {
            if (readFully(metadataCh, ByteBuffer.wrap(raw), first) < total) {
                return IncomingBatch.failure(index, fromId, damage(fromId, mdFile, "the file shrank while it was"
                        + " read"));
            }
        } else {
            int at = 0;
            for (int i = 0; i < count; i++) {
                int ms = (int) rec[4 * i + 1];
                if (readFully(metadataCh, ByteBuffer.wrap(raw, at, ms), rec[4 * i]) < ms) {
                    return IncomingBatch.failure(index, fromId, damage(fromId + i, mdFile, "the file shrank while"
                            + " it was read"));
                }
                at += ms;
            }
        }
        ByteBuffer view = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        int[] offsets = new int[count + 1];
        long[] ts = new long[count];
        long[] sizes = new long[count];
        long[] locations = new long[count];
        int src = 0;
        int dst = 0;
        int good = 0;
        CorruptDataException error = after;
        for (; good < count; good++) {
            long id = fromId + good;
            int ms = (int) rec[4 * good + 1];
            long prefix = view.getLong(src);
            if (prefix != ms - 8) {
                error = damage(id, mdFile, "the metadata length prefix at offset " + rec[4 * good] + " says "
                        + Long.toUnsignedString(prefix) + " bytes but the index says " + (ms - 8));
                break;
            }
            System.arraycopy(raw, src + 8, raw, dst, ms - 8);
            try {
                Metadata.ofUtf8(ByteBuffer.wrap(raw, dst, ms - 8).slice()).checkSyntax();
            } catch (InvalidMetadataException e) {
                error = damage(id, mdFile, "its metadata at offset " + (rec[4 * good] + 8) + " is not JSON ("
                        + e.getMessage() + ")");
                break;
            }
            src += ms;
            dst += ms - 8;
            offsets[good + 1] = dst;
            sizes[good] = rec[4 * good + 3];
            locations[good] = rec[4 * good + 2];
        }
        if (good == 0) {
            return IncomingBatch.failure(index, fromId, error);
        }
        return new IncomingBatch(index, fromId, good, ByteBuffer.wrap(raw, 0, dst), offsets, ts, sizes, locations,
                null, error);
    }

    /**
     * Reads exactly the selected ranges of each request's event into its target, with one system call for a run of
     * small ranges that follow each other in the file (see {@link PieceReader}).
     */
    void readData(List<DataRequest> requests) {
        if (!open()) {
            for (DataRequest r : requests) {
                if (r.descriptor().size() > 0) {
                    r.fail(damage(r.eventId(), dir.resolve(V0Layout.DATA), "the file is gone"));
                }
            }
            return;
        }
        List<Piece> pieces = new ArrayList<>(requests.size());
        for (DataRequest r : requests) {
            if (r.descriptor().size() > 0) {
                plan(r, pieces);
            }
        }
        try {
            PieceReader.read(dataCh, pieces, new PieceReader.Sink<>() {
                @Override
                public boolean skipped(Piece p) {
                    return p.owner.failed;
                }

                @Override
                public void landed(Piece p, ByteBuffer bytes) {
                    // no checksums in this layout: the bytes are already in the target
                }

                @Override
                public void cut(Piece p) {
                    p.owner.fail(damage(p.owner.request.eventId(), dir.resolve(V0Layout.DATA), "the file ends before"
                            + " the event's data (cut after the event was listed)"));
                }
            });
        } catch (IOException e) {
            for (Piece p : pieces) {
                p.owner.fail(new DiasporaException(where() + ", event " + p.owner.request.eventId() + ": cannot read "
                        + dir.resolve(V0Layout.DATA) + ": " + e, e));
            }
        }
    }

    /** Adds the pieces of one request: its selected ranges in event order, split over the target's segments. */
    private void plan(DataRequest r, List<Piece> pieces) {
        Owner owner = new Owner(r);
        long base = r.descriptor().locationAsLong();
        DataView target = r.target();
        int[] seg = {0};
        int[] inSeg = {0};
        int mark = pieces.size();
        r.descriptor().flatten((off, len) -> {
            long pos = base + off;
            while (len > 0 && !owner.failed) {
                if (seg[0] >= target.segmentCount()) {
                    while (pieces.size() > mark) {
                        pieces.remove(pieces.size() - 1);
                    }
                    owner.fail(new DiasporaException(where() + ", event " + r.eventId() + ": the target view ("
                            + target + ") is smaller than the selection (" + r.descriptor().size() + " bytes)"));
                    return;
                }
                ByteBuffer s = target.segment(seg[0]);
                int room = s.remaining() - inSeg[0];
                if (room <= 0) {
                    seg[0]++;
                    inSeg[0] = 0;
                    continue;
                }
                int k = (int) Math.min(room, Math.min(len, Integer.MAX_VALUE - 8));
                pieces.add(new Piece(owner, pos, k, s.slice(s.position() + inSeg[0], k)));
                inSeg[0] += k;
                pos += k;
                len -= k;
            }
        });
    }

    /** A request being read, failed at most once. */
    private static final class Owner {
        final DataRequest request;
        boolean failed;

        Owner(DataRequest request) {
            this.request = request;
        }

        void fail(DiasporaException e) {
            if (!failed) {
                failed = true;
                request.fail(e);
            }
        }
    }

    /** One selected range of one event's data, landing in one segment of its target. */
    private record Piece(Owner owner, long filePosition, int length, ByteBuffer target)
            implements PieceReader.Piece {
    }

    /** Reads until {@code dst} is full or the file ends. @return the bytes read */
    static int readFully(FileChannel ch, ByteBuffer dst, long pos) throws IOException {
        int total = 0;
        while (dst.hasRemaining()) {
            int n = ch.read(dst, pos + total);
            if (n < 0) {
                break;
            }
            total += n;
        }
        return total;
    }

    @Override
    public synchronized void close() {
        for (FileChannel c : new FileChannel[] {indexCh, metadataCh, dataCh}) {
            if (c != null) {
                try {
                    c.close();
                } catch (IOException e) {
                    // closing a read-only channel loses nothing
                }
            }
        }
    }
}
