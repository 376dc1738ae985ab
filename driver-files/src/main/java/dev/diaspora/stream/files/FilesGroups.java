package dev.diaspora.stream.files;

import dev.diaspora.stream.ConsumerGroup;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.files.storage.FileLocks;
import dev.diaspora.stream.spi.GroupMember;
import dev.diaspora.stream.spi.GroupMembership;
import dev.diaspora.stream.spi.Lease;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumer groups of the files driver: processes on one host coordinate through files, with no daemon (FORMAT.md,
 * "Consumer groups"). The group of a consumer name is the directory {@code consumers/<stem>.group/}; each member has
 * two files named by its random id:
 *
 * <ul>
 *   <li>{@code <id>.lock}: locked exclusively (OS lock) by the member's process for the member's life; the kernel
 *       releases it when the process dies, so a member whose lock can be taken is dead at once, and whoever takes it
 *       deletes the member's files;</li>
 *   <li>{@code <id>.beat}: 20 bytes rewritten in place at each heartbeat: a sequence number (u64, incremented), the
 *       member's session timeout in milliseconds (u64) and the CRC32C of both (u32);</li>
 *   <li>{@code <id>.held}: the partitions whose lease the member holds, rewritten in place when that changes
 *       ({@link HeldFile}), for {@link #describe} only: the leases themselves stay the OS locks of the lease
 *       files.</li>
 * </ul>
 *
 * A reader judges a member live while its lock is held and its sequence has changed within its session timeout, as
 * measured by the reader's own {@link System#nanoTime()} (the engine's clock: no wall clock is compared across
 * processes). A member seen for the first time counts as live; a stalled process (alive, not heartbeating) drops out
 * of the others' lists after its timeout, but keeps its partition leases (OS locks) until it wakes up and gives them
 * up, storing its positions: the leases still fence every read.
 *
 * <p>Thread safety: {@link #join} is thread-safe; a member is confined to its session's thread.
 */
final class FilesGroups implements GroupMembership {
    private static final Logger LOG = LoggerFactory.getLogger(FilesGroups.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    static final int BEAT_SIZE = 20;

    private final Path consumersDir;
    private final FilesTopic topic;
    private final ConsumerFiles consumers;

    FilesGroups(Path consumersDir, FilesTopic topic, ConsumerFiles consumers) {
        this.consumersDir = consumersDir;
        this.topic = topic;
        this.consumers = consumers;
    }

    @Override
    public GroupMember join(String consumerName, Duration sessionTimeout) {
        Path dir = consumersDir.resolve(ConsumerFiles.stem(consumerName) + ".group");
        try {
            Files.createDirectories(dir);
            String id = String.format("%016x", RANDOM.nextLong());
            AutoCloseable lock = FileLocks.tryExclusive(dir.resolve(id + ".lock"));
            if (lock == null) {
                throw new DiasporaException("cannot join the group of consumer '" + consumerName + "': the fresh"
                        + " member lock " + dir.resolve(id + ".lock") + " is held; try again");
            }
            HeldFile held = HeldFile.create(dir.resolve(id + HeldFile.SUFFIX)); // before the beat: see describe
            FileChannel beat = FileChannel.open(dir.resolve(id + ".beat"), StandardOpenOption.CREATE,
                    StandardOpenOption.READ, StandardOpenOption.WRITE);
            Member m = new Member(consumerName, dir, id, lock, beat, held, sessionTimeout.toMillis());
            m.heartbeat();
            return m;
        } catch (IOException e) {
            throw new DiasporaException("topic '" + topic.name() + "': cannot join the group of consumer '"
                    + consumerName + "' in " + dir + ": " + e + ". The directory must be writable and support POSIX"
                    + " locks", e);
        }
    }

    /**
     * The members of {@code consumerName}'s group whose beat file is whole and whose process holds their member lock,
     * with the partitions their {@code .held} file lists (null for a member without one: a member of a driver version
     * that predates it). A member whose lock is free is dead: its files are removed, as {@code members()} does. One
     * read cannot tell a stalled process (alive, not heartbeating) from a live one: it is listed.
     */
    @Override
    public Optional<ConsumerGroup> describe(String consumerName) {
        Path dir = consumersDir.resolve(ConsumerFiles.stem(consumerName) + ".group");
        List<ConsumerGroup.Member> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.beat")) {
            for (Path f : ds) {
                String fn = f.getFileName().toString();
                String id = fn.substring(0, fn.length() - ".beat".length());
                if (readBeat(f) == null || !Files.exists(dir.resolve(id + ".lock"))
                        || deadProcess(consumerName, dir, id)) {
                    continue; // joining, leaving, or gone
                }
                out.add(new ConsumerGroup.Member(id, HeldFile.read(dir.resolve(id + HeldFile.SUFFIX))));
            }
        } catch (NoSuchFileException e) {
            // no member ever joined
        } catch (IOException e) {
            throw new DiasporaException("topic '" + topic.name() + "': cannot list the members of the group of"
                    + " consumer '" + consumerName + "' in " + dir + ": " + e, e);
        }
        return Optional.of(new ConsumerGroup(consumerName, out));
    }

    /** A member whose lock is free has no live process: delete its files (holding its lock) and say so. */
    private static boolean deadProcess(String name, Path dir, String other) {
        Path lockFile = dir.resolve(other + ".lock");
        AutoCloseable l;
        try {
            if (!Files.exists(lockFile)) {
                return false; // joining: the beat file comes after the lock; or it is leaving
            }
            l = FileLocks.tryExclusive(lockFile);
        } catch (IOException e) {
            return false;
        }
        if (l == null) {
            return false;
        }
        try {
            removeFiles(dir, other);
            LOG.info("consumer '{}': removed member {} of its group, whose process is gone", name, other);
        } catch (IOException e) {
            LOG.debug("consumer '{}': cannot remove the files of dead member {}: {}", name, other, e.toString());
        } finally {
            try {
                l.close();
            } catch (Exception e) {
                LOG.debug("consumer '{}': releasing the lock of dead member {}: {}", name, other, e.toString());
            }
        }
        return true;
    }

    /** Deletes a member's files, the lock last; the caller holds the member's lock. */
    private static void removeFiles(Path dir, String id) throws IOException {
        Files.deleteIfExists(dir.resolve(id + HeldFile.SUFFIX));
        Files.deleteIfExists(dir.resolve(id + ".beat"));
        Files.deleteIfExists(dir.resolve(id + ".lock"));
    }

    private static long[] readBeat(Path f) {
        byte[] bytes = new byte[BEAT_SIZE];
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            int n = 0;
            while (b.hasRemaining()) {
                int r = ch.read(b, n);
                if (r < 0) {
                    break;
                }
                n += r;
            }
            return decodeBeat(bytes, n);
        } catch (IOException e) {
            return null;
        }
    }

    static byte[] encodeBeat(long sequence, long timeoutMillis) {
        ByteBuffer b = ByteBuffer.allocate(BEAT_SIZE);
        b.putLong(sequence).putLong(timeoutMillis);
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, 16);
        b.putInt((int) crc.getValue());
        return b.array();
    }

    /** @return {sequence, timeoutMillis}, or null if the bytes are not a whole, valid beat */
    static long[] decodeBeat(byte[] bytes, int n) {
        if (n < BEAT_SIZE) {
            return null;
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        long seq = b.getLong();
        long timeout = b.getLong();
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, 16);
        if (b.getInt() != (int) crc.getValue()) {
            return null;
        }
        return new long[] {seq, timeout};
    }

    private final class Member implements GroupMember {
        private final String name;
        private final Path dir;
        private final String id;
        private final AutoCloseable lock;
        private final FileChannel beat;
        private final HeldFile held;
        private final long timeoutMillis;
        private long sequence;
        private boolean closed;
        /** Per other member: the last sequence seen and when it changed (nanoTime). */
        private final Map<String, long[]> seen = new HashMap<>();

        Member(String name, Path dir, String id, AutoCloseable lock, FileChannel beat, HeldFile held,
                long timeoutMillis) {
            this.held = held;
            this.name = name;
            this.dir = dir;
            this.id = id;
            this.lock = lock;
            this.beat = beat;
            this.timeoutMillis = timeoutMillis;
        }

        @Override
        public String id() {
            return id;
        }

        @Override
        public void heartbeat() {
            ByteBuffer b = ByteBuffer.wrap(encodeBeat(++sequence, timeoutMillis));
            try {
                long pos = 0;
                while (b.hasRemaining()) {
                    pos += beat.write(b, pos);
                }
            } catch (IOException e) {
                throw new DiasporaException("consumer '" + name + "': cannot write its heartbeat to " + dir + ": " + e,
                        e);
            }
        }

        @Override
        public List<String> members() {
            long now = System.nanoTime();
            List<String> live = new ArrayList<>();
            Set<String> present = new HashSet<>();
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.beat")) {
                for (Path f : ds) {
                    String fn = f.getFileName().toString();
                    String other = fn.substring(0, fn.length() - ".beat".length());
                    present.add(other);
                    if (other.equals(id)) {
                        live.add(id);
                        continue;
                    }
                    long[] b = readBeat(f);
                    if (b == null) {
                        continue; // joining (not written yet) or gone meanwhile
                    }
                    long[] s = seen.get(other);
                    if (s == null || s[0] != b[0]) {
                        seen.put(other, new long[] {b[0], now});
                        s = seen.get(other);
                    }
                    if (now - s[1] > b[1] * 1_000_000L) {
                        continue; // stalled: its sequence has not moved for its session timeout
                    }
                    if (deadProcess(name, dir, other)) {
                        continue;
                    }
                    live.add(other);
                }
            } catch (NoSuchFileException e) {
                live.add(id);
            } catch (IOException e) {
                throw new DiasporaException("consumer '" + name + "': cannot list the members of its group in " + dir
                        + ": " + e, e);
            }
            seen.keySet().retainAll(present);
            if (!live.contains(id)) {
                live.add(id); // its beat file was removed by hand: it is still a member
            }
            Collections.sort(live);
            return live;
        }

        /**
         * Takes the lease, then lists the partition in the member's {@code .held} file; releasing it unlists the
         * partition first, so that no two members list one partition at once (for {@link #describe}).
         */
        @Override
        public Lease tryLease(int p) {
            AutoCloseable l = topic.tryLease(name, p);
            if (l == null) {
                return null;
            }
            held.add(p, name);
            return Lease.of(() -> {
                try {
                    held.remove(p, name);
                } finally {
                    l.close();
                }
            });
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            try {
                beat.close();
                held.close();
                removeFiles(dir, id);
            } catch (IOException e) {
                LOG.warn("consumer '{}': cannot remove its member files in {}: {}", name, dir, e.toString());
            } finally {
                try {
                    lock.close();
                } catch (Exception e) {
                    LOG.warn("consumer '{}': cannot release its member lock in {}: {}", name, dir, e.toString());
                }
            }
        }
    }
}
