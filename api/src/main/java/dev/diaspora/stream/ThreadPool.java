package dev.diaspora.stream;

import dev.diaspora.stream.internal.engine.ExecutorThreadPool;
import dev.diaspora.stream.internal.engine.InlineThreadPool;
import dev.diaspora.stream.internal.engine.PriorityThreadPool;
import java.util.concurrent.Executor;

/**
 * Runs the library's per-event work (a producer's validate, select and serialize pipeline; a consumer's
 * {@code process}). With 0 threads ({@link #inline()}, the default, as in C++) work runs on the caller's thread.
 *
 * <p>{@link #create(int)} (and {@code Driver.makeThreadPool(n)}) makes a priority pool: higher priority first, FIFO
 * among ties. {@link #of(Executor)} wraps an executor and ignores priorities. Pools the library made are closed by
 * their {@link Driver}; pools the user made are closed by the user.
 *
 * <p>Thread safety: thread-safe.
 */
public interface ThreadPool extends Executor, AutoCloseable {
    /** The priority of {@link #execute(Runnable)}: served before everything else. */
    int DEFAULT_PRIORITY = Integer.MAX_VALUE;

    /** @return the number of threads, 0 for inline */
    int threadCount();

    /**
     * Queues work at a priority (higher first, FIFO among ties); runs it at once on the caller's thread if the pool
     * has 0 threads.
     *
     * @throws java.util.concurrent.RejectedExecutionException if the pool is closed
     */
    void pushWork(Runnable work, int priority);

    /** Same as {@code pushWork(work, DEFAULT_PRIORITY)}. */
    @Override
    default void execute(Runnable work) {
        pushWork(work, DEFAULT_PRIORITY);
    }

    /** @return the number of queued tasks not yet started */
    long size();

    /** Stops accepting work, runs what is queued, and joins the threads. Idempotent. */
    @Override
    void close();

    /** @return the pool of 0 threads: work runs on the caller's thread */
    static ThreadPool inline() {
        return InlineThreadPool.INSTANCE;
    }

    /**
     * A priority pool of daemon threads named {@code diaspora-pool-<n>}; 0 threads gives {@link #inline()}.
     *
     * @throws IllegalArgumentException if {@code threads} &lt; 0
     */
    static ThreadPool create(int threads) {
        if (threads < 0) {
            throw new IllegalArgumentException("thread count must be >= 0, got " + threads);
        }
        return threads == 0 ? inline() : new PriorityThreadPool(threads, "diaspora-pool");
    }

    /** Wraps an executor; priorities are ignored; {@code threadCount()} reports {@code threads}. */
    static ThreadPool of(Executor executor, int threads) {
        return new ExecutorThreadPool(executor, threads);
    }

    /** Wraps an executor as a pool of one (unknown) thread; priorities are ignored. */
    static ThreadPool of(Executor executor) {
        return new ExecutorThreadPool(executor, 1);
    }
}
