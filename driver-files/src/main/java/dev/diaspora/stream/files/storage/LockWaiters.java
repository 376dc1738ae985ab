package dev.diaspora.stream.files.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.Set;

/**
 * Which files have a process waiting for a POSIX lock on them, from Linux's {@code /proc/locks}: the only way a
 * holder can learn that another process wants its lock (a waiter shows as a line marked {@code ->} after the
 * holder's). Files are named by the key {@code /proc/locks} prints: {@code major:minor:inode}, major and minor in
 * hexadecimal.
 *
 * <p>Thread safety: the static methods are thread-safe; an instance (a kept descriptor of {@code /proc/locks} and its
 * buffer) is used by one thread at a time, the keeper's.
 */
final class LockWaiters implements AutoCloseable {
    private static final Path LOCKS = Path.of("/proc/locks");
    private FileChannel channel; // /proc/locks, kept open between reads
    private ByteBuffer buf = ByteBuffer.allocateDirect(16 << 10);

    /** @return true where {@code /proc/locks} can be read (Linux) */
    static boolean supported() {
        return Files.isReadable(LOCKS);
    }

    /**
     * @return the key of {@code file} as {@code /proc/locks} names it, or null where the platform gives no device
     *     and inode numbers
     */
    static String keyOf(Path file) {
        try {
            long dev = ((Number) Files.getAttribute(file, "unix:dev")).longValue();
            long ino = ((Number) Files.getAttribute(file, "unix:ino")).longValue();
            // st_dev in the user-space encoding of glibc's major()/minor()
            long major = ((dev >>> 8) & 0xfff) | ((dev >>> 32) & ~0xfffL);
            long minor = (dev & 0xff) | ((dev >>> 12) & ~0xffL);
            return String.format("%02x:%02x:%d", major, minor, ino);
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException | ClassCastException e) {
            return null;
        }
    }

    /**
     * Reads {@code /proc/locks} once and looks for waiters without making a string unless there is one. The file is
     * opened at the first read and kept open: a read at offset 0 of a kept descriptor makes the kernel generate the
     * table afresh, and costs about a third of an open, read and close (4.4 against 11.7 us of CPU here), which the
     * keeper pays every {@link LockKeeper#CHECK_NANOS} while it keeps a lock. One thread at a time.
     *
     * @return the keys of the files some process is waiting to lock (an empty set, not allocated, when none)
     * @throws IOException if it cannot be read (the descriptor is closed then; the next read opens it again)
     */
    Set<String> waitedFor() throws IOException {
        int n;
        try {
            if (channel == null) {
                channel = FileChannel.open(LOCKS, StandardOpenOption.READ);
            }
            while (true) {
                buf.clear();
                long pos = 0;
                for (int r; buf.hasRemaining() && (r = channel.read(buf, pos)) > 0; ) {
                    pos += r;
                }
                if (buf.hasRemaining()) {
                    n = (int) pos;
                    break;
                }
                buf = ByteBuffer.allocateDirect(buf.capacity() * 2); // the table outgrew the buffer: read it whole
            }
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
        Set<String> keys = Set.of();
        for (int i = 0; i + 1 < n; i++) {
            if (buf.get(i) == '-' && buf.get(i + 1) == '>') { // "12: -> POSIX  ADVISORY  WRITE 5678 fe:00:1474572 0 EOF"
                int end = i;
                while (end < n && buf.get(end) != '\n') {
                    end++;
                }
                byte[] line = new byte[end - i - 2];
                buf.get(i + 2, line);
                String key = deviceInode(new String(line, StandardCharsets.US_ASCII));
                if (key != null) {
                    if (keys.isEmpty()) {
                        keys = new HashSet<>();
                    }
                    keys.add(key);
                }
                i = end;
            }
        }
        return keys;
    }

    /** Closes the kept descriptor (the keeper's thread ends); a later read opens it again. */
    @Override
    public void close() {
        FileChannel c = channel;
        channel = null;
        if (c != null) {
            try {
                c.close();
            } catch (IOException e) {
                // nothing to release beyond the descriptor, which close gives back in any case
            }
        }
    }

    /** @return the first field of {@code line} with two colons (the {@code major:minor:inode} key), or null */
    private static String deviceInode(String line) {
        for (String f : line.trim().split("\\s+")) {
            int c = f.indexOf(':');
            if (c > 0 && f.indexOf(':', c + 1) > c + 1) {
                return f;
            }
        }
        return null;
    }
}
