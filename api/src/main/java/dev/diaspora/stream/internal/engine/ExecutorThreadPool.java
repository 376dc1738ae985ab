package dev.diaspora.stream.internal.engine;

import dev.diaspora.stream.ThreadPool;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;

/** A pool over a user's executor; priorities are ignored and closing does not shut the executor down. Not API. */
public final class ExecutorThreadPool implements ThreadPool {
    private final Executor executor;
    private final int threads;
    private final AtomicLong queued = new AtomicLong();
    private volatile boolean closed;

    /** @param threads what {@link #threadCount()} reports, &gt;= 1 */
    public ExecutorThreadPool(Executor executor, int threads) {
        this.executor = Objects.requireNonNull(executor, "executor");
        if (threads < 1) {
            throw new IllegalArgumentException("an executor pool has at least 1 thread, got " + threads);
        }
        this.threads = threads;
    }

    @Override
    public int threadCount() {
        return threads;
    }

    @Override
    public void pushWork(Runnable work, int priority) {
        Objects.requireNonNull(work, "work");
        if (closed) {
            throw new RejectedExecutionException("thread pool is closed");
        }
        queued.incrementAndGet();
        try {
            executor.execute(() -> {
                queued.decrementAndGet();
                work.run();
            });
        } catch (RuntimeException e) {
            queued.decrementAndGet();
            throw e;
        }
    }

    @Override
    public long size() {
        return queued.get();
    }

    @Override
    public void close() {
        closed = true; // the executor is the user's: it is not shut down
    }
}
