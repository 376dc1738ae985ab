package dev.diaspora.stream.ctl;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A thread bridging one FIFO and one topic for the {@code fifo} daemon. Subclasses open the FIFO (which blocks until
 * the other side opens it), move lines, and release their producer or consumer in {@link #release()}.
 *
 * <p>Stopping sets a flag, then repeatedly wakes the thread: {@link Fifos#wake} completes a blocked open, closing
 * the current channel ends a blocked read or write.
 *
 * <p>Thread safety: {@link #stop} and {@link #release} are called by the daemon's main thread; the rest runs on the
 * worker's thread.
 */
abstract class FifoWorker implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(FifoWorker.class);

    final Path path;
    final boolean created;
    volatile boolean stopping;
    private volatile FileChannel current;
    private Thread thread;

    /**
     * @param path the FIFO
     * @param created true if the daemon made it (and deletes it at shutdown)
     */
    FifoWorker(Path path, boolean created) {
        this.path = path;
        this.created = created;
    }

    void start() {
        thread = new Thread(this, "diaspora-ctl-fifo-" + path.getFileName());
        thread.setDaemon(true);
        thread.start();
    }

    /** Records the channel the worker blocks on, so that {@link #stop} can close it. */
    FileChannel track(FileChannel ch) {
        current = ch;
        return ch;
    }

    /** Stops the thread, waiting at most {@code timeout}. */
    void stop(Duration timeout) throws InterruptedException {
        stopping = true;
        long deadline = System.nanoTime() + timeout.toNanos();
        while (thread.isAlive() && System.nanoTime() < deadline) {
            Fifos.wake(path);
            FileChannel ch = current;
            if (ch != null) {
                try {
                    ch.close();
                } catch (IOException e) {
                    LOG.debug("closing {}: {}", path, e.toString());
                }
            }
            thread.join(100);
        }
        if (thread.isAlive()) {
            LOG.warn("The worker of FIFO {} did not stop within {}", path, timeout);
        }
    }

    /** Flushes and closes the producer or consumer; called after {@link #stop}. */
    abstract void release();
}
