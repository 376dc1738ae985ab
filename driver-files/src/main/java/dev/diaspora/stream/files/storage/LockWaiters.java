package dev.diaspora.stream.files.storage;

import java.io.FileInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * Which files have a process waiting for a POSIX lock on them, from Linux's {@code /proc/locks}: the only way a
 * holder can learn that another process wants its lock (a waiter shows as a line marked {@code ->} after the
 * holder's). Files are named by the key {@code /proc/locks} prints: {@code major:minor:inode}, major and minor in
 * hexadecimal.
 *
 * <p>Thread safety: stateless, thread-safe.
 */
final class LockWaiters {
    private static final Path LOCKS = Path.of("/proc/locks");

    private LockWaiters() {
    }

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
     * Reads {@code /proc/locks} once (one open, a read or two, one close) into {@code buf}, and looks for waiters
     * without making a string unless there is one.
     *
     * @param buf the caller's buffer, reused between calls (one thread at a time); grown when the file is larger
     * @return the keys of the files some process is waiting to lock (an empty set, not allocated, when none)
     * @throws IOException if it cannot be read
     */
    static Set<String> waitedFor(byte[][] buf) throws IOException {
        byte[] b = buf[0];
        int n = 0;
        try (FileInputStream in = new FileInputStream(LOCKS.toFile())) {
            for (int r; (r = in.read(b, n, b.length - n)) > 0; ) {
                n += r;
                if (n == b.length) {
                    b = java.util.Arrays.copyOf(b, b.length * 2);
                    buf[0] = b;
                }
            }
        }
        Set<String> keys = Set.of();
        for (int i = 0; i + 1 < n; i++) {
            if (b[i] == '-' && b[i + 1] == '>') { // "12: -> POSIX  ADVISORY  WRITE 5678 fe:00:1474572 0 EOF"
                int end = i;
                while (end < n && b[end] != '\n') {
                    end++;
                }
                String key = deviceInode(new String(b, i + 2, end - i - 2, StandardCharsets.US_ASCII));
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
