package dev.diaspora.stream.netty;

import dev.diaspora.stream.DiasporaException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The file that keeps one partition's {@link ProducerTable} across server restarts: {@code
 * <root>/producer-state/<topic>/<partition>} (README, "Exactly-once appends"). Before each append the server writes
 * an INTENT record (producer id, sequence, count, the partition's log end before the append); appends of a partition
 * run one at a time, so the batch of an intent is stored exactly when the log end after it (the next intent's, or the
 * log end at open for the last one) has moved by at least its count, and its first id is that end minus its count.
 * The log itself is the commit point: no second write per batch. A compaction rewrites the file (temporary file,
 * force, atomic rename) as STORED records of the batches remembered.
 *
 * <pre>
 *   record, 48 bytes, big-endian:
 *   [0,4) kind u32: 1 INTENT, 2 STORED | [4,8) count u32 | [8,16) producer id | [16,24) sequence
 *   [24,32) INTENT: log end before the append; STORED: first EventID | [32,40) time, ms since the epoch
 *   [40,44) zero | [44,48) CRC32C of [0,44)
 * </pre>
 *
 * A record whose CRC does not match, or a short last record (a write cut by a crash), ends the file: it is cut there.
 *
 * <p>Thread safety: not thread-safe; used under its partition's {@link PartitionAppends} lock.
 */
final class ProducerJournal implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ProducerJournal.class);
    static final int RECORD = 48;
    static final int INTENT = 1;
    static final int STORED = 2;
    /** Records beyond the remembered batches before the file is compacted. */
    static final int COMPACT_SLACK = 4096;

    private final Path file;
    private final CRC32C crc = new CRC32C();
    private final ByteBuffer buf = ByteBuffer.allocate(RECORD);
    private FileChannel channel;
    private long records;

    private ProducerJournal(Path file) {
        this.file = file;
    }

    /**
     * Opens (or creates) the journal of a partition and rebuilds its table.
     *
     * @param logEnd the partition's log end now (the first id its next event would get)
     */
    static ProducerJournal open(Path file, long logEnd, ProducerTable into) {
        ProducerJournal j = new ProducerJournal(file);
        try {
            Files.createDirectories(file.getParent());
            List<long[]> recs = new ArrayList<>();
            long valid = 0;
            if (Files.exists(file)) {
                ByteBuffer all = ByteBuffer.wrap(Files.readAllBytes(file));
                while (all.remaining() >= RECORD) {
                    long[] r = j.decode(all);
                    if (r == null) {
                        break;
                    }
                    recs.add(r);
                    valid += RECORD;
                }
            }
            rebuild(recs, logEnd, into);
            j.channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            if (j.channel.size() != valid) {
                LOG.warn("{}: cut {} bytes of a torn or damaged tail at byte {} (a write stopped by a crash)", file,
                        j.channel.size() - valid, valid);
                j.channel.truncate(valid);
            }
            j.channel.position(valid);
            j.records = recs.size();
            return j;
        } catch (IOException e) {
            j.close();
            throw new DiasporaException("Cannot open the producer state " + file + ": " + e + ". Check that the"
                    + " server's root is writable", e, true);
        }
    }

    /**
     * Rebuilds the table from records {kind, count, producer id, sequence, at, time}, in file order.
     *
     * @param logEnd the partition's log end now
     */
    static void rebuild(List<long[]> recs, long logEnd, ProducerTable into) {
        for (int i = 0; i < recs.size(); i++) {
            long[] r = recs.get(i);
            int count = (int) r[1];
            if (r[0] == STORED) {
                into.stored(new ProducerTable.Stored(r[2], r[3], r[4], count, r[5]));
                continue;
            }
            long endAfter = i + 1 < recs.size() && recs.get(i + 1)[0] == INTENT ? recs.get(i + 1)[4] : logEnd;
            if (endAfter - r[4] >= count) {
                into.stored(new ProducerTable.Stored(r[2], r[3], endAfter - count, count, r[5]));
            }
        }
    }

    /** @return {kind, count, producer id, sequence, at, time}, or null if the record is damaged */
    private long[] decode(ByteBuffer all) {
        int at = all.position();
        crc.reset();
        crc.update(all.array(), at, 44);
        long[] r = {all.getInt(), all.getInt() & 0xFFFF_FFFFL, all.getLong(), all.getLong(), all.getLong(),
            all.getLong()};
        all.getInt();
        int stored = all.getInt();
        if (stored != (int) crc.getValue() || (r[0] != INTENT && r[0] != STORED)) {
            return null;
        }
        return r;
    }

    private ByteBuffer encode(int kind, int count, long producerId, long sequence, long at, long time) {
        buf.clear();
        buf.putInt(kind).putInt(count).putLong(producerId).putLong(sequence).putLong(at).putLong(time).putInt(0);
        crc.reset();
        crc.update(buf.array(), 0, 44);
        buf.putInt((int) crc.getValue());
        return buf.flip();
    }

    /**
     * Records that a batch is about to be appended at log end {@code logEnd}: written (not forced) before the append.
     *
     * @throws DiasporaException (retriable) if the file cannot be written; the batch must not be appended then
     */
    void intent(long producerId, long sequence, int count, long logEnd, long nowMillis) {
        try {
            ByteBuffer b = encode(INTENT, count, producerId, sequence, logEnd, nowMillis);
            while (b.hasRemaining()) {
                channel.write(b);
            }
            records++;
        } catch (IOException e) {
            throw new DiasporaException("Cannot write the producer state " + file + ": " + e + ". The batch is not"
                    + " stored; free space on the server", e, true);
        }
    }

    /**
     * Rewrites the file as the table's batches when it holds many more records than they are. Only between appends.
     */
    void compactIfLarge(ProducerTable table) {
        if (records < COMPACT_SLACK + (long) table.size() * ProducerTable.WINDOW) {
            return;
        }
        List<ProducerTable.Stored> keep = table.snapshot();
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            for (ProducerTable.Stored s : keep) {
                ByteBuffer b = encode(STORED, s.count(), s.producerId(), s.sequence(), s.firstId(), s.timeMillis());
                while (b.hasRemaining()) {
                    out.write(b);
                }
            }
            out.force(true);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            channel.close();
            channel = FileChannel.open(file, StandardOpenOption.WRITE);
            channel.position(channel.size());
            records = keep.size();
        } catch (IOException e) {
            LOG.warn("{}: compaction failed ({}); the file keeps growing until the next try", file, e.toString());
        }
    }

    @Override
    public void close() {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                // nothing was pending: writes are not buffered here
            }
        }
    }
}
