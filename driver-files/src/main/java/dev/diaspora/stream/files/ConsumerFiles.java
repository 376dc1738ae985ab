package dev.diaspora.stream.files;

import dev.diaspora.stream.CorruptDataException;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.files.storage.DirectoryTrees;
import dev.diaspora.stream.files.storage.FileHeaderDescriptor;
import dev.diaspora.stream.files.storage.FileLocks;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A topic's {@code consumers/} directory: one position file per consumer name ({@code <stem>.pos}) and one lease file
 * per (name, partition) ({@code <stem>.<p>.lease}). The stem is the name percent-encoded to a safe file name
 * ({@link #stem}); a name is never a path.
 *
 * <p>Position file (FORMAT.md, "Consumer position files"): the 64-byte header (kind 4), a name block (the consumer
 * name, so that names survive the encoding), then per partition two 32-byte slots written alternately in place:
 *
 * <pre>
 *  slot: [0,8) sequence u64 (&gt;= 1) | [8,16) position u64 (next id to read) | [16,20) partition u32
 *        | [20,24) zero | [24,28) CRC32C of [0,24) | [28,32) zero
 * </pre>
 *
 * A commit writes the slot that does not hold the highest valid sequence, with that sequence plus one, then forces
 * the file: a torn write spoils only the slot being written, and the other still holds the previous position. The
 * first commit of a partition fills both slots (slot 0, forced, then slot 1), so that a stored position survives one
 * damaged slot, and a partition with bytes but no valid slot is reported as damage instead of read as "no position".
 *
 * <p>Thread safety: thread-safe (files are read and written with positional I/O; the leases through
 * {@link FileLocks}).
 */
final class ConsumerFiles {
    static final int SLOT = 32;
    static final int PARTITION_SLOTS = 2 * SLOT;
    private static final int SLOT_CRC_OFFSET = 24;
    private static final int STEM_MAX = 150;
    private static final Logger LOG = LoggerFactory.getLogger(ConsumerFiles.class);

    private final Path dir;
    private final String topic;

    ConsumerFiles(Path dir, String topic) {
        this.dir = dir;
        this.topic = topic;
    }

    // ------------------------------------------------------------------ names

    /**
     * The file-name stem of a consumer name: every byte of its UTF-8 form outside {@code [A-Za-z0-9_-]} (and
     * {@code '.'} except inside) becomes {@code %XX}; stems longer than 150 characters keep their first 100 and add
     * {@code ~} and 32 hex digits of the name's SHA-256.
     */
    static String stem(String name) {
        byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
        StringBuilder b = new StringBuilder(utf8.length + 8);
        for (int i = 0; i < utf8.length; i++) {
            int c = utf8[i] & 0xFF;
            boolean safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'
                    || c == '-' || (c == '.' && i > 0);
            if (safe) {
                b.append((char) c);
            } else {
                b.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
            }
        }
        if (b.length() <= STEM_MAX) {
            return b.toString();
        }
        int cut = 100;
        while (cut > 0 && (b.charAt(cut - 1) == '%' || (cut > 1 && b.charAt(cut - 2) == '%'))) {
            cut--; // never split a %XX escape
        }
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(utf8);
            StringBuilder hex = new StringBuilder();
            for (int i = 0; i < 16; i++) {
                hex.append(Character.forDigit((h[i] >> 4) & 15, 16)).append(Character.forDigit(h[i] & 15, 16));
            }
            return b.substring(0, cut) + "~" + hex;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** Decodes a stem made by {@link #stem} (not a hashed one); null if it is not a valid encoding. */
    static String decode(String stem) {
        if (stem.indexOf('~') >= 0) {
            return null;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < stem.length(); i++) {
            char c = stem.charAt(i);
            if (c == '%') {
                if (i + 2 >= stem.length()) {
                    return null;
                }
                int hi = Character.digit(stem.charAt(i + 1), 16);
                int lo = Character.digit(stem.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    return null;
                }
                out.write(hi << 4 | lo);
                i += 2;
            } else {
                out.write(c);
            }
        }
        return new String(out.toByteArray(), StandardCharsets.UTF_8);
    }

    /** The header and name block that start a position file: the same bytes for a name in every process. */
    static byte[] head(String name) {
        byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
        int blockLen = (8 + utf8.length + 63) / 64 * 64;
        ByteBuffer b = ByteBuffer.allocate(FileHeaderDescriptor.LENGTH + blockLen).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0, FileHeaderDescriptor.encode(FileHeaderDescriptor.KIND_POSITIONS, 0,
                FileHeaderDescriptor.NO_PARTITION), 0, FileHeaderDescriptor.LENGTH);
        int at = FileHeaderDescriptor.LENGTH;
        b.putInt(at, utf8.length);
        b.put(at + 4, utf8);
        CRC32C crc = new CRC32C();
        crc.update(b.array(), at, 4 + utf8.length);
        b.putInt(at + 4 + utf8.length, (int) crc.getValue());
        return b.array();
    }

    /** @return the name stored in a position file's name block, or null if the block is damaged */
    private static String storedName(FileChannel ch) throws IOException {
        ByteBuffer h = ByteBuffer.allocate(FileHeaderDescriptor.LENGTH + 4).order(ByteOrder.LITTLE_ENDIAN);
        if (readFully(ch, h, 0) < h.capacity()
                || FileHeaderDescriptor.check(h, FileHeaderDescriptor.KIND_POSITIONS, 0,
                        FileHeaderDescriptor.NO_PARTITION) != null) {
            return null;
        }
        int len = h.getInt(FileHeaderDescriptor.LENGTH);
        if (len < 1 || len > 4096) {
            return null;
        }
        ByteBuffer nb = ByteBuffer.allocate(len + 4).order(ByteOrder.LITTLE_ENDIAN);
        if (readFully(ch, nb, FileHeaderDescriptor.LENGTH + 4) < nb.capacity()) {
            return null;
        }
        CRC32C crc = new CRC32C();
        crc.update(h.array(), FileHeaderDescriptor.LENGTH, 4);
        crc.update(nb.array(), 0, len);
        if ((int) crc.getValue() != nb.getInt(len)) {
            return null;
        }
        return new String(nb.array(), 0, len, StandardCharsets.UTF_8);
    }

    // ------------------------------------------------------------------ positions

    Path positionFile(String name) {
        return dir.resolve(stem(name) + ".pos");
    }

    /** @return every consumer name with a position file */
    Set<String> names() {
        Set<String> out = new HashSet<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.pos")) {
            for (Path f : ds) {
                String fn = f.getFileName().toString();
                String name = null;
                try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
                    name = storedName(ch);
                } catch (IOException e) {
                    // unreadable: fall back to the file name
                }
                if (name == null) {
                    name = decode(fn.substring(0, fn.length() - 4));
                }
                if (name != null) {
                    out.add(name);
                }
            }
        } catch (NoSuchFileException e) {
            return out;
        } catch (IOException e) {
            throw new DiasporaException("topic '" + topic + "': cannot list the consumer positions in " + dir + ": "
                    + e, e);
        }
        return out;
    }

    /**
     * @return the stored positions of {@code name} (next id to read), by partition
     * @throws CorruptDataException naming the file, the partition and the fix if a partition's stored position is
     *     damaged beyond the other slot (never a silent reset to the start position)
     */
    Map<Integer, Long> committed(String name) {
        return read(name, false);
    }

    /** @return the stored positions of {@code name}; damaged partitions are left out (for the writer's id floor) */
    Map<Integer, Long> committedLenient(String name) {
        return read(name, true);
    }

    private Map<Integer, Long> read(String name, boolean lenient) {
        Path f = positionFile(name);
        Map<Integer, Long> out = new TreeMap<>();
        byte[] head = head(name);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < head.length) {
                return out; // created but never committed (a crash between creation and the first slot)
            }
            checkHead(ch, head, f, name);
            long slotsLen = size - head.length;
            long rounded = (slotsLen + PARTITION_SLOTS - 1) / PARTITION_SLOTS * PARTITION_SLOTS;
            ByteBuffer slots = ByteBuffer.allocate((int) Math.min(rounded, 1 << 30)).order(ByteOrder.LITTLE_ENDIAN);
            int got = readFully(ch, slots, head.length); // the bytes past the end stay zero: never-written slots
            CRC32C crc = new CRC32C();
            for (int p = 0; p * PARTITION_SLOTS < got; p++) {
                long pos;
                try {
                    pos = choose(slots, p * PARTITION_SLOTS, p, crc, f, name);
                } catch (CorruptDataException e) {
                    if (lenient) {
                        continue;
                    }
                    throw e;
                }
                if (pos >= 0) {
                    out.put(p, pos);
                }
            }
            return out;
        } catch (NoSuchFileException e) {
            return out;
        } catch (IOException e) {
            throw new DiasporaException("topic '" + topic + "': cannot read the positions of consumer '" + name
                    + "' in " + f + ": " + e, e);
        }
    }

    /**
     * @return the largest position any consumer name has stored for partition {@code p}, or -1 (damaged slots and
     *     unreadable files are skipped: this is a floor for the next EventID, not a read)
     */
    long maxPosition(int p) {
        long max = -1;
        for (String n : names()) {
            try {
                Long pos = committedLenient(n).get(p);
                if (pos != null) {
                    max = Math.max(max, pos);
                }
            } catch (RuntimeException e) {
                // a damaged file of one name: the others still count
            }
        }
        return max;
    }

    /**
     * Stores positions of {@code name} durably (forced before returning). A partition with no valid slot (never
     * written, or both damaged) gets its position in slot 0 (sequence 1), forced, and then the same position in slot
     * 1 (sequence 2): once a commit has returned, both slots hold a valid position, so one damaged slot never loses
     * it, and a partition with no valid slot but some bytes is damage, not a fresh file (FORMAT.md 8.2). Later
     * commits write the slot that does not hold the newest position.
     */
    void commit(String name, Map<Integer, Long> positions) {
        if (positions.isEmpty()) {
            return;
        }
        Path f = positionFile(name);
        byte[] head = head(name);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            boolean created = ch.size() < head.length;
            if (created) {
                writeFully(ch, ByteBuffer.wrap(head), 0); // identical bytes in every process: racing writers agree
            } else {
                checkHead(ch, head, f, name);
            }
            CRC32C crc = new CRC32C();
            ByteBuffer both = ByteBuffer.allocate(PARTITION_SLOTS).order(ByteOrder.LITTLE_ENDIAN);
            ByteBuffer s = ByteBuffer.allocate(SLOT).order(ByteOrder.LITTLE_ENDIAN);
            List<Integer> fresh = null;
            for (Map.Entry<Integer, Long> e : positions.entrySet()) {
                int p = e.getKey();
                long at = head.length + (long) p * PARTITION_SLOTS;
                both.clear();
                int got = readFully(ch, both, at);
                Arrays.fill(both.array(), got, PARTITION_SLOTS, (byte) 0);
                long[] cur = chooseLenient(both, p, crc);
                if (cur[2] < 0) {
                    fresh = fresh == null ? new ArrayList<>() : fresh;
                    fresh.add(p);
                }
                int slot = cur[2] == 0 ? 1 : 0; // write the slot that does not hold the newest position
                writeFully(ch, slot(s, cur[0] + 1, e.getValue(), p, crc), at + (long) slot * SLOT);
            }
            ch.force(false);
            if (fresh != null) { // the copy in slot 1, after slot 0 is on the device
                for (int p : fresh) {
                    writeFully(ch, slot(s, 2, positions.get(p), p, crc),
                            head.length + (long) p * PARTITION_SLOTS + SLOT);
                }
                ch.force(false);
            }
            if (created) {
                DirectoryTrees.forceDirectory(dir); // the new file's name must survive a power loss too
            }
        } catch (IOException e) {
            throw new DiasporaException("topic '" + topic + "': cannot store the positions of consumer '" + name
                    + "' in " + f + ": " + e + ". Check that the directory is writable and has free space", e, true);
        }
    }

    private static ByteBuffer slot(ByteBuffer s, long seq, long position, int p, CRC32C crc) {
        s.clear();
        s.putLong(0, seq);
        s.putLong(8, position);
        s.putInt(16, p);
        s.putInt(20, 0);
        crc.reset();
        crc.update(s.array(), 0, SLOT_CRC_OFFSET);
        s.putInt(SLOT_CRC_OFFSET, (int) crc.getValue());
        s.putInt(28, 0);
        return s;
    }

    private void checkHead(FileChannel ch, byte[] head, Path f, String name) throws IOException {
        ByteBuffer got = ByteBuffer.allocate(head.length);
        readFully(ch, got, 0);
        if (!Arrays.equals(got.array(), head)) {
            throw new CorruptDataException("topic '" + topic + "': the position file " + f + " of consumer '" + name
                    + "' has a damaged header or belongs to another name; delete it to start the name over (its"
                    + " partitions then start at the consumer's startAt)");
        }
    }

    /**
     * The stored position of partition {@code p} (FORMAT.md 8.2): the valid slot with the higher sequence; a damaged
     * other slot is logged at WARN (a commit torn by a crash, or a flipped bit: the previous position is used).
     *
     * @return the position, or -1 if the partition has none (both slots all zero: never written)
     * @throws CorruptDataException if no slot is valid but one holds bytes
     */
    private long choose(ByteBuffer b, int at, int p, CRC32C crc, Path f, String name) {
        long[] best = chooseLenient(b.slice(at, PARTITION_SLOTS).order(ByteOrder.LITTLE_ENDIAN), p, crc);
        boolean empty0 = empty(b, at);
        boolean empty1 = empty(b, at + SLOT);
        if (best[2] < 0) {
            if (empty0 && empty1) {
                return -1; // never written
            }
            throw new CorruptDataException("topic '" + topic + "': the stored position of consumer '" + name
                    + "' on partition " + p + " in " + f + " is damaged (" + (empty0 || empty1 ? "its only written slot" : "both slots")
                    + " fail their checksum: a flipped bit or a damaged disk) and cannot be trusted. Set it again"
                    + " with 'diaspora-ctl consumer reset -t " + topic + " -n " + name + " --to <earliest|latest|id:N"
                    + "|time:T>' or topic.resetPositions(\"" + name + "\", StartAt...), while no consumer of that name"
                    + " is running");
        }
        int other = (int) (1 - best[2]);
        if (!empty(b, at + other * SLOT) && !valid(b, at + other * SLOT, p, crc)) {
            LOG.warn("topic '{}': slot {} of consumer '{}', partition {} in {} is damaged (a commit torn by a crash,"
                    + " or a flipped bit); using the other slot's position {} (events after it may be delivered"
                    + " again). The next commit of the name rewrites it", topic, other, name, p, f,
                    best[1]);
        }
        return best[1];
    }

    private static boolean valid(ByteBuffer b, int at, int p, CRC32C crc) {
        crc.reset();
        crc.update(b.duplicate().position(at).limit(at + SLOT_CRC_OFFSET));
        return b.getLong(at) >= 1 && b.getInt(at + 16) == p && (int) crc.getValue() == b.getInt(at + SLOT_CRC_OFFSET);
    }

    private static long[] chooseLenient(ByteBuffer both, int p, CRC32C crc) {
        long[] best = {0, -1, -1};
        for (int k = 0; k < 2; k++) {
            int at = k * SLOT;
            crc.reset();
            crc.update(both.duplicate().position(at).limit(at + SLOT_CRC_OFFSET));
            long seq = both.getLong(at);
            if (seq >= 1 && both.getInt(at + 16) == p && (int) crc.getValue() == both.getInt(at + SLOT_CRC_OFFSET)
                    && seq > best[0]) {
                best[0] = seq;
                best[1] = both.getLong(at + 8);
                best[2] = k;
            }
        }
        return best;
    }

    private static boolean empty(ByteBuffer b, int at) {
        for (int i = 0; i < SLOT; i++) {
            if (b.get(at + i) != 0) {
                return false;
            }
        }
        return true;
    }

    // ------------------------------------------------------------------ leases

    /** @return the lease of ({@code name}, {@code p}), or null if another live session (any process) holds it */
    AutoCloseable tryLease(String name, int p) {
        Path f = dir.resolve(stem(name) + "." + p + ".lease");
        try {
            return FileLocks.tryExclusive(f);
        } catch (IOException e) {
            throw new DiasporaException("topic '" + topic + "': cannot take the lease " + f + " of consumer '" + name
                    + "': " + e + ". The file system must support POSIX locks", e);
        }
    }

    private static int readFully(FileChannel ch, ByteBuffer dst, long pos) throws IOException {
        int start = dst.position();
        while (dst.hasRemaining()) {
            int n = ch.read(dst, pos);
            if (n < 0) {
                break;
            }
            pos += n;
        }
        return dst.position() - start;
    }

    private static void writeFully(FileChannel ch, ByteBuffer src, long pos) throws IOException {
        while (src.hasRemaining()) {
            pos += ch.write(src, pos);
        }
    }
}
