package dev.diaspora.stream.files.storage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Test helper: whether this process holds a POSIX lock on a file, from Linux's {@code /proc/locks}. */
public final class ProcLocks {
    private static final Path LOCKS = Path.of("/proc/locks");

    private ProcLocks() {
    }

    /** @return true where {@code /proc/locks} exists (Linux) */
    public static boolean supported() {
        return Files.isReadable(LOCKS);
    }

    /** @return true if this process holds a POSIX lock on {@code file} (by its inode number) */
    public static boolean heldByThisProcess(Path file) throws IOException {
        long ino = ((Number) Files.getAttribute(file, "unix:ino")).longValue();
        String pid = Long.toString(ProcessHandle.current().pid());
        for (String line : Files.readAllLines(LOCKS)) {
            // "1: POSIX  ADVISORY  WRITE 12345 fd:01:1234567 0 EOF"
            String[] f = line.trim().split("\\s+");
            if (f.length >= 6 && f[1].equals("POSIX") && f[4].equals(pid) && f[5].endsWith(":" + ino)) {
                return true;
            }
        }
        return false;
    }
}
