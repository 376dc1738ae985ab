package dev.diaspora.stream.ctl;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;

/**
 * Named pipes: {@code mkfifo} (run as a process: the JDK cannot make one), the FIFO test, and the wake-up that
 * releases a thread blocked opening a FIFO.
 *
 * <p>Thread safety: stateless.
 */
final class Fifos {
    private static final int S_IFMT = 0170000;
    private static final int S_IFIFO = 0010000;

    private Fifos() {
    }

    /** Runs {@code mkfifo PATH} (mode 0666 minus the umask). */
    static void make(Path path) throws IOException {
        Process p = new ProcessBuilder("mkfifo", "--", path.toString()).redirectErrorStream(true).start();
        String output;
        try {
            output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("mkfifo " + path + " did not finish");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running mkfifo " + path, e);
        }
        if (p.exitValue() != 0) {
            throw new IOException("mkfifo " + path + " failed: " + DiasporaCtl.oneLine(output));
        }
    }

    /** @return true if {@code path} is a FIFO (not following symbolic links) */
    static boolean isFifo(Path path) {
        try {
            Object mode = Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            return mode instanceof Integer m && (m & S_IFMT) == S_IFIFO;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * Opens and closes {@code path} read-write. On Linux that open never blocks, and it completes every open of the
     * FIFO that another thread is blocked in, whichever direction: the way to wake a worker at shutdown.
     */
    static void wake(Path path) {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            assert ch.isOpen();
        } catch (IOException | RuntimeException e) {
            // the FIFO is gone or not ours to open: nobody can be blocked on it then
        }
    }
}
