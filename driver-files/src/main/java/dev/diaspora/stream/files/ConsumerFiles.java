package dev.diaspora.stream.files;

import dev.diaspora.stream.CorruptDataException;
import dev.diaspora.stream.DiasporaException;
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
import java.util.Arrays;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.zip.CRC32C;

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
 * the file: a torn write spoils only the slot being written, and the other still holds the previous position.
 *
 * <p>Thread safety: thread-safe (files are read and written with positional I/O; the leases through
 * {@link FileLocks}).
 */
final class ConsumerFiles {
    static final int SLOT = 32;
    static final int PARTITION_SLOTS = 2 * SLOT;
    private static final int SLOT_CRC_OFFSET = 24;
    private static final int STEM_MAX = 150;

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

    /** @return the stored positions of {@code name} (next id to read), by partition */
    Map<Integer, Long> committed(String name) {
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
                long pos = choose(slots, p * PARTITION_SLOTS, p, crc, f, name)[1];
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

    /** Stores positions of {@code name} durably (forced before returning). */
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
            for (Map.Entry<Integer, Long> e : positions.entrySet()) {
                int p = e.getKey();
                long at = head.length + (long) p * PARTITION_SLOTS;
                both.clear();
                int got = readFully(ch, both, at);
                Arrays.fill(both.array(), got, PARTITION_SLOTS, (byte) 0);
                long[] cur = chooseLenient(both, p, crc);
                int slot = cur[2] == 0 ? 1 : 0; // write the slot that does not hold the newest position
                ByteBuffer s = ByteBuffer.allocate(SLOT).order(ByteOrder.LITTLE_ENDIAN);
                s.putLong(0, cur[0] + 1);
                s.putLong(8, e.getValue());
                s.putInt(16, p);
                crc.reset();
                crc.update(s.array(), 0, SLOT_CRC_OFFSET);
                s.putInt(SLOT_CRC_OFFSET, (int) crc.getValue());
                writeFully(ch, s, at + (long) slot * SLOT);
            }
            ch.force(false);
            if (created) {
                forceDirectory(dir); // the new file's name must survive a power loss too
            }
        } catch (IOException e) {
            throw new DiasporaException("topic '" + topic + "': cannot store the positions of consumer '" + name
                    + "' in " + f + ": " + e + ". Check that the directory is writable and has free space", e, true);
        }
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
     * @return {sequence, position, slot index} of the valid slot with the highest sequence, or {0, -1, -1} if none
     * @throws CorruptDataException if both slots hold something and neither is valid
     */
    private long[] choose(ByteBuffer b, int at, int p, CRC32C crc, Path f, String name) {
        long[] best = chooseLenient(b.slice(at, PARTITION_SLOTS).order(ByteOrder.LITTLE_ENDIAN), p, crc);
        if (best[2] < 0 && !empty(b, at) && !empty(b, at + SLOT)) {
            throw new CorruptDataException("topic '" + topic + "': both position slots of consumer '" + name
                    + "', partition " + p + " in " + f + " are damaged; set a position with"
                    + " topic.resetPositions(\"" + name + "\", ...)");
        }
        return best;
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

    private static void forceDirectory(Path d) {
        try (FileChannel ch = FileChannel.open(d, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // not every platform can open a directory; the file itself was forced
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
