package dev.diaspora.stream.files.storage;

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
     * Reads {@code /proc/locks} once (one open, a read or two, one close).
     *
     * @return the keys of the files some process is waiting to lock
     * @throws IOException if it cannot be read
     */
    static Set<String> waitedFor() throws IOException {
        Set<String> keys = new HashSet<>();
        String all = new String(Files.readAllBytes(LOCKS), StandardCharsets.US_ASCII);
        int at = 0;
        while (at < all.length()) {
            int end = all.indexOf('\n', at);
            if (end < 0) {
                end = all.length();
            }
            // "12: -> POSIX  ADVISORY  WRITE 5678 fe:00:1474572 0 EOF": a waiter behind lock 12
            int arrow = all.indexOf("->", at);
            if (arrow >= 0 && arrow < end) {
                String key = deviceInode(all.substring(arrow + 2, end));
                if (key != null) {
                    keys.add(key);
                }
            }
            at = end + 1;
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
