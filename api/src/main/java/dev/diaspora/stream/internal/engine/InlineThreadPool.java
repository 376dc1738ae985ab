package dev.diaspora.stream.internal.engine;

import dev.diaspora.stream.ThreadPool;

/** The 0-thread pool: runs work on the caller's thread. Not API. */
public final class InlineThreadPool implements ThreadPool {
    /** The one instance. */
    public static final InlineThreadPool INSTANCE = new InlineThreadPool();

    private InlineThreadPool() {
    }

    @Override
    public int threadCount() {
        return 0;
    }

    @Override
    public void pushWork(Runnable work, int priority) {
        java.util.Objects.requireNonNull(work, "work").run();
    }

    @Override
    public long size() {
        return 0;
    }

    @Override
    public void close() {
    }

    @Override
    public String toString() {
        return "ThreadPool[inline]";
    }
}
