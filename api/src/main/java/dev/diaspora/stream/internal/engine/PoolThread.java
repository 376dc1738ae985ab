package dev.diaspora.stream.internal.engine;

/**
 * A daemon thread of a library pool. The producer never blocks one for back-pressure (that would deadlock a pool
 * whose completions need the same threads); it fails fast instead. Not API.
 */
public final class PoolThread extends Thread {
    /** Creates a daemon thread. */
    public PoolThread(Runnable body, String name) {
        super(body, name);
        setDaemon(true);
    }

    /** @return true if the current thread belongs to a library pool */
    public static boolean current() {
        return Thread.currentThread() instanceof PoolThread;
    }
}
