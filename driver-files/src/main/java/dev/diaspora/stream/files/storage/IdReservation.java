package dev.diaspora.stream.files.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.LongSupplier;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A partition's EventID reservation ({@code reserved}, FORMAT.md 9.1): a forced upper bound on every EventID ever
 * handed out, so that ids are never given twice even when a power loss takes the tail of the log that readers had
 * already seen.
 *
 * <p>Before an append writes records for ids below {@code b}, the writer makes sure the stored bound is at least
 * {@code b}, raising it by a block (64 Ki ids, doubled while raises come less than a second apart, up to 16 Mi) and
 * forcing the file <em>before</em> the records are written: one small {@code fsync} per block. On a clean close the
 * bound is lowered to the log end, after the log is forced. A writer that finds the log ending below the bound decides
 * with {@link #next} where the log continues: after a restart of the machine, at the bound (the lost ids are a gap
 * that readers report); after a process crash on the same boot, where it ends (nothing written was lost), unless a
 * cut tail left consumer positions ahead of it.
 *
 * <p>The file: the 64-byte header (kind 5, base 0, the partition), then two 64-byte slots written alternately in
 * place, as the position files do: {@code [0,8)} sequence, {@code [8,16)} bound, {@code [16,20)} partition,
 * {@code [20,24)} zero, {@code [24,32)} host hash, {@code [32,40)} boot hash ({@link MachineBoot}), {@code [40,60)}
 * zero, {@code [60,64)} CRC32C of {@code [0,60)}.
 *
 * <p>Thread safety: not thread-safe; used by the holder of the partition's append lock only. Owns its channel.
 */
final class IdReservation implements AutoCloseable {
    /** The file name, in the partition directory. */
    static final String FILE = "reserved";
    static final int SLOT = 64;
    private static final int CRC_AT = 60;
    static final long MIN_BLOCK = 1 << 16;
    static final long MAX_BLOCK = 1 << 24;
    private static final long FAST_RAISE_NANOS = 1_000_000_000L;
    private static final Logger LOG = LoggerFactory.getLogger(IdReservation.class);

    private final Path dir;
    private final Path file;
    private final int partition;
    private final String where;
    private final ByteBuffer slots = ByteBuffer.allocateDirect(2 * SLOT).order(ByteOrder.LITTLE_ENDIAN);
    private final ByteBuffer out = ByteBuffer.allocateDirect(SLOT).order(ByteOrder.LITTLE_ENDIAN);
    private final byte[] scratch = new byte[SLOT];
    private final CRC32C crc = new CRC32C();
    private FileChannel ch;
    private boolean headerOk;
    private long block = MIN_BLOCK;
    private long lastRaise;

    // What load() found.
    private boolean valid;
    private String problem; // why it is not valid: null if never written
    private long bound;
    private long seq;
    private int newest = -1;
    private long host;
    private long boot;
    // What next() decided.
    private int reason;
    private String why;

    IdReservation(Path dir, int partition, String where) {
        this.dir = dir;
        this.file = dir.resolve(FILE);
        this.partition = partition;
        this.where = where;
    }

    /** Reads the stored bound (another process may have moved it since). */
    void load() throws IOException {
        valid = false;
        problem = null;
        newest = -1;
        seq = 0;
        if (ch == null) {
            if (!Files.exists(file)) {
                return; // never written: a topic written before reservations existed, or a new partition
            }
            ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        }
        if (!headerOk) {
            ByteBuffer h = ByteBuffer.allocate(FileHeaderDescriptor.LENGTH);
            if (FileIo.readFully(ch, h, 0) < FileHeaderDescriptor.LENGTH) {
                return; // created, header not complete: never written
            }
            String bad = FileHeaderDescriptor.check(h, FileHeaderDescriptor.KIND_RESERVATION, 0, partition);
            if (bad != null) {
                problem = "its header is damaged: " + bad;
                return;
            }
            headerOk = true;
        }
        slots.clear();
        int got = FileIo.readFully(ch, slots, FileHeaderDescriptor.LENGTH);
        boolean anyBytes = false;
        for (int k = 0; k < 2; k++) {
            if ((k + 1) * SLOT > got) {
                anyBytes |= got > k * SLOT;
                continue;
            }
            slots.get(k * SLOT, scratch);
            crc.reset();
            crc.update(scratch, 0, CRC_AT);
            long s = slots.getLong(k * SLOT);
            boolean ok = s >= 1 && slots.getInt(k * SLOT + 16) == partition
                    && (int) crc.getValue() == slots.getInt(k * SLOT + CRC_AT);
            if (ok && s > seq) {
                seq = s;
                newest = k;
                bound = slots.getLong(k * SLOT + 8);
                host = slots.getLong(k * SLOT + 24);
                boot = slots.getLong(k * SLOT + 32);
            } else if (!ok) {
                for (byte b : scratch) {
                    anyBytes |= b != 0;
                }
            }
        }
        valid = newest >= 0;
        if (!valid && anyBytes) {
            problem = "both of its slots fail their checksum";
        }
    }

    /**
     * Decides where the log continues when it ends at {@code end} (after {@link #load}); logs a WARN naming the
     * partition, the skipped range and why when that is beyond {@code end}.
     *
     * @param cut true if the writer just cut a torn or damaged tail
     * @param positions the largest stored consumer position of the partition (-1 if none); asked only when needed
     * @return the EventID of the next event, {@code >= end}
     */
    long next(long end, boolean cut, LongSupplier positions) {
        reason = 0;
        why = null;
        if (!valid) {
            if (problem != null) {
                LOG.warn("{}: the EventID reservation {} is damaged ({}); using the consumers' stored positions"
                        + " instead, and rewriting it", where, file, problem);
            }
            long floor = positions.getAsLong();
            if (floor > end) {
                reason = GapLinks.REASON_NO_RESERVATION;
                return floor;
            }
            return end;
        }
        if (bound <= end) {
            return end;
        }
        long me = MachineBoot.boot();
        if (host == MachineBoot.host() && host != 0 && boot != 0 && me != 0 && boot != me) {
            reason = GapLinks.REASON_RESTART; // ids below the bound may have been read before the machine stopped
            return Math.max(bound, positions.getAsLong());
        }
        if (cut) {
            long floor = positions.getAsLong();
            if (floor > end) {
                reason = GapLinks.REASON_CUT;
                return floor;
            }
        }
        return end; // the same boot: the page cache kept whatever was written, so no id at or after end was read
    }

    /** @return the reason code of the last {@link #next} that skipped ids, or 0 */
    int reason() {
        return reason;
    }

    /** @return the stored bound found by the last {@link #load} (-1 if none is valid) */
    long bound() {
        return valid ? bound : -1;
    }

    /**
     * Makes sure the stored bound is at least {@code idsEnd} (the end of the ids about to be written), raising it by
     * a block and forcing it if not. Call after {@link #load}, before writing any record.
     */
    void cover(long idsEnd) throws IOException {
        if (valid && idsEnd <= bound) {
            return;
        }
        long now = System.nanoTime();
        if (lastRaise != 0 && now - lastRaise < FAST_RAISE_NANOS) {
            block = Math.min(block * 2, MAX_BLOCK);
        } else if (lastRaise != 0 && now - lastRaise > 30 * FAST_RAISE_NANOS) {
            block = MIN_BLOCK;
        }
        lastRaise = now;
        store(idsEnd + block);
    }

    /** Lowers the bound to {@code end} on a clean close; the caller has forced the log up to {@code end}. */
    void lower(long end) throws IOException {
        if (valid && bound > end) {
            store(end);
        }
    }

    private void store(long value) throws IOException {
        if (ch == null) {
            ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        }
        if (!headerOk) { // new, or a damaged header: start the file over (this writer holds the append lock)
            ch.truncate(0);
            FileIo.writeFully(ch, FileHeaderDescriptor.encode(FileHeaderDescriptor.KIND_RESERVATION, 0, partition), 0);
            ch.force(true);
            DirectoryTrees.forceDirectory(dir);
            headerOk = true;
            newest = -1;
            seq = 0;
        }
        int slot = newest == 0 ? 1 : 0;
        out.clear();
        out.putLong(0, seq + 1);
        out.putLong(8, value);
        out.putInt(16, partition);
        out.putInt(20, 0);
        out.putLong(24, MachineBoot.host());
        out.putLong(32, MachineBoot.boot());
        for (int i = 40; i < CRC_AT; i += 4) {
            out.putInt(i, 0);
        }
        out.get(0, scratch);
        crc.reset();
        crc.update(scratch, 0, CRC_AT);
        out.putInt(CRC_AT, (int) crc.getValue());
        FileIo.writeFully(ch, out, FileHeaderDescriptor.LENGTH + (long) slot * SLOT);
        ch.force(false); // on the device before any record that uses these ids is written
        seq++;
        newest = slot;
        bound = value;
        host = MachineBoot.host();
        boot = MachineBoot.boot();
        valid = true;
    }

    @Override
    public void close() {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException e) {
                // every write was forced already
            }
            ch = null;
            headerOk = false;
        }
    }
}
