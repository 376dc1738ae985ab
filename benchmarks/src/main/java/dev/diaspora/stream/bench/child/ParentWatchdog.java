package dev.diaspora.stream.bench.child;

import java.io.IOException;

/**
 * For the child JVMs the benchmark programs start: halts the child as soon as its standard input closes, which
 * happens when the parent ends or is killed, so that no child outlives its measure.
 *
 * <p>Thread safety: {@link #start()} may be called from any thread, once per JVM.
 */
public final class ParentWatchdog {
    private ParentWatchdog() {
    }

    /** Starts a daemon thread that reads standard input to its end, then halts the JVM. */
    public static void start() {
        Thread watchdog = new Thread(() -> {
            try {
                while (System.in.read() >= 0) {
                    // the parent holds the pipe open while it lives
                }
            } catch (IOException e) {
                // closed
            }
            Runtime.getRuntime().halt(0);
        }, "parent-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
    }
}
