package dev.diaspora.stream.internal.engine;

import dev.diaspora.stream.BackgroundErrorHandler;
import dev.diaspora.stream.ThreadPool;
import java.util.PriorityQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * N daemon threads over one priority queue: higher priority first, FIFO among ties (a sequence number breaks ties).
 * Not API.
 */
public final class PriorityThreadPool implements ThreadPool {
    private static final AtomicInteger POOLS = new AtomicInteger();

    private static final class Task implements Comparable<Task> {
        final Runnable work;
        final int priority;
        final long seq;

        Task(Runnable work, int priority, long seq) {
            this.work = work;
            this.priority = priority;
            this.seq = seq;
        }

        @Override
        public int compareTo(Task o) {
            int c = Integer.compare(o.priority, priority); // higher first
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }

    private final Object lock = new Object();
    private final PriorityQueue<Task> queue = new PriorityQueue<>();
    private final Thread[] threads;
    private long seq; // guarded by lock
    private boolean closed; // guarded by lock
    private final BackgroundErrorHandler errors;

    /** Starts {@code n} daemon threads named {@code <prefix>-<pool>-<i>}; failed tasks are logged. */
    public PriorityThreadPool(int n, String prefix) {
        this(n, prefix, BackgroundErrors.LOGGING);
    }

    /** Starts {@code n} daemon threads named {@code <prefix>-<pool>-<i>}; failed tasks go to {@code errors}. */
    PriorityThreadPool(int n, String prefix, BackgroundErrorHandler errors) {
        this.errors = errors;
        if (n < 1) {
            throw new IllegalArgumentException("thread count must be >= 1, got " + n);
        }
        int pool = POOLS.incrementAndGet();
        threads = new Thread[n];
        for (int i = 0; i < n; i++) {
            threads[i] = new PoolThread(this::runLoop, prefix + "-" + pool + "-" + i);
            threads[i].start();
        }
    }

    @Override
    public int threadCount() {
        return threads.length;
    }

    @Override
    public void pushWork(Runnable work, int priority) {
        java.util.Objects.requireNonNull(work, "work");
        synchronized (lock) {
            if (closed) {
                throw new RejectedExecutionException("thread pool is closed");
            }
            queue.add(new Task(work, priority, seq++));
            lock.notify();
        }
    }

    @Override
    public long size() {
        synchronized (lock) {
            return queue.size();
        }
    }

    private void runLoop() {
        while (true) {
            Task t;
            synchronized (lock) {
                while (queue.isEmpty() && !closed) {
                    try {
                        lock.wait();
                    } catch (InterruptedException e) {
                        // keep serving until closed; close() drains the queue first
                    }
                }
                t = queue.poll();
                if (t == null) {
                    return; // closed and drained
                }
            }
            try {
                t.work.run();
            } catch (Throwable e) {
                errors.onError("task on " + Thread.currentThread().getName() + " failed", e);
            }
        }
    }

    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            lock.notifyAll();
        }
        for (Thread t : threads) {
            if (t == Thread.currentThread()) {
                continue;
            }
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    @Override
    public String toString() {
        return "ThreadPool[" + threads.length + " threads]";
    }
}
