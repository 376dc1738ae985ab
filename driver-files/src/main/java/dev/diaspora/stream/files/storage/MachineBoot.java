package dev.diaspora.stream.files.storage;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Who wrote an EventID reservation: a hash of the host name and a hash of the kernel's boot id. A writer that finds
 * a reservation made on its own host and boot knows the page cache survived (only a process died), so log records
 * that were written are still there; another boot of the same host means a machine restart, after which records not
 * forced to the device may be gone (FORMAT.md 9.1).
 *
 * <p>On systems without {@code /proc/sys/kernel/random/boot_id} the boot is unknown (0) and never "the same". The
 * system property {@code diaspora.files.bootId}, when set, replaces the kernel's boot id (tests simulate a restart
 * with it).
 *
 * <p>Thread safety: thread-safe (immutable cached values).
 */
final class MachineBoot {
    /** The property that replaces the kernel's boot id. */
    static final String BOOT_ID_PROPERTY = "diaspora.files.bootId";
    private static final long HOST = hash(read("/proc/sys/kernel/hostname", System.getenv("HOSTNAME")));
    private static final long BOOT = hash(read("/proc/sys/kernel/random/boot_id", null));

    private MachineBoot() {
    }

    /** @return the hash of this host's name (0 if unknown) */
    static long host() {
        return HOST;
    }

    /** @return the hash of this boot's id (0 if unknown) */
    static long boot() {
        String override = System.getProperty(BOOT_ID_PROPERTY);
        return override != null ? hash(override) : BOOT;
    }

    private static String read(String file, String fallback) {
        try {
            return Files.readString(Path.of(file), StandardCharsets.US_ASCII).trim();
        } catch (IOException | RuntimeException e) {
            return fallback;
        }
    }

    /** @return a 64-bit FNV-1a hash of {@code s}, never 0 for a non-empty string; 0 for null or empty */
    private static long hash(String s) {
        if (s == null || s.isEmpty()) {
            return 0;
        }
        long h = 0xcbf29ce484222325L;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h = (h ^ (b & 0xFF)) * 0x100000001b3L;
        }
        return h == 0 ? 1 : h;
    }
}
