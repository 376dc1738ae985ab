package dev.diaspora.stream.files;

import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.TopicNotFoundException;
import dev.diaspora.stream.files.storage.AppendResult;
import dev.diaspora.stream.files.storage.PartitionLog;
import dev.diaspora.stream.spi.OutgoingBatch;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The I/O thread of one open topic ({@code diaspora-files-io-<n>}, a daemon): takes the batches appenders hand over,
 * appends them partition by partition (all queued batches of a partition under one acquisition of its lock),
 * completes their futures in order, outside every lock, and only then wakes the topic's tailing readers. Producers
 * never block on I/O: {@link #submit} only queues. After a round the thread polls the queue for
 * {@value #LINGER_NANOS} ns before it parks, so a producer that flushes batch after batch needs no wake-up of it;
 * an idle topic's thread is parked (no CPU). Between rounds it keeps the file lock of the partition it appended to
 * (FORMAT.md section 9: at most {@value #MAX_KEEP_NANOS} ns at a time, never while parked or waiting for another
 * lock), so that such a producer's appends skip re-reading the log's end.
 *
 * <p>STRICT ordering: batches of one (appender, partition) are appended in call order; when one fails, every batch of
 * that appender and partition already handed over fails too, so nothing is reordered by a retry.
 *
 * <p>Thread safety: thread-safe.
 */
final class AppendWorker implements Runnable {
    private static final AtomicInteger THREADS = new AtomicInteger();
    private static final int MAX_DRAIN = 1024;
    /** How long the thread polls for the next batch after a round before it parks (see {@link #awaitNext}). */
    static final long LINGER_NANOS = 50_000;
    /**
     * How long the thread keeps one partition's file lock across rounds at most (see {@link #keep}): the longest
     * another process's append or a delete of the topic waits for it beyond today's append it is in.
     */
    static final long MAX_KEEP_NANOS = 2_000_000;

    /** A batch waiting for the I/O thread. */
    private static final class Pending {
        final FilesAppender appender;
        final int partition;
        final OutgoingBatch batch;
        final CompletableFuture<Long> future;
        final long seq;

        Pending(FilesAppender appender, int partition, OutgoingBatch batch, CompletableFuture<Long> future, long seq) {
            this.appender = appender;
            this.partition = partition;
            this.batch = batch;
            this.future = future;
            this.seq = seq;
        }
    }

    private static final Pending STOP = new Pending(null, -1, null, null, 0);

    private final FilesTopic topic;
    private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private final Thread thread;
    private boolean stopping; // guarded by this
    // the I/O thread's scratch lists for one partition's round, reused (cleared after each round)
    private final List<Pending> go = new ArrayList<>();
    private final List<OutgoingBatch> batches = new ArrayList<>();
    private final List<Pending> refused = new ArrayList<>();
    // the partition whose file lock this thread kept after its last append, or -1; confined to the I/O thread
    private int keptPartition = -1;
    private long keptSince;

    AppendWorker(FilesTopic topic) {
        this.topic = topic;
        this.thread = new Thread(this, "diaspora-files-io-" + THREADS.incrementAndGet());
        thread.setDaemon(true);
        thread.start();
    }

    /** Queues a batch, to complete {@code done}; never blocks. */
    void submit(FilesAppender appender, int partition, OutgoingBatch batch, CompletableFuture<Long> done) {
        synchronized (this) { // one order for sequence numbers and the queue; no submit after STOP
            if (!stopping) {
                queue.add(new Pending(appender, partition, batch, done, appender.nextSequence(partition)));
                return;
            }
        }
        done.completeExceptionally(new DiasporaException("topic '" + topic.name()
                + "' is closed; the batch was not appended"));
    }

    @Override
    public void run() {
        List<Pending> drained = new ArrayList<>();
        boolean stop = false;
        while (!stop) {
            Pending first = awaitNext();
            if (first == null) {
                continue; // interrupted: nobody interrupts this thread; an interrupt would close the lock channel
            }
            drained.add(first);
            queue.drainTo(drained, MAX_DRAIN - 1);
            if (drained.get(drained.size() - 1) == STOP) {
                drained.remove(drained.size() - 1);
                stop = true;
            }
            try {
                process(drained);
            } catch (Throwable t) {
                for (Pending x : drained) {
                    x.future.completeExceptionally(t instanceof DiasporaException ? t
                            : new DiasporaException("topic '" + topic.name() + "': the I/O thread failed: " + t, t));
                }
            }
            drained.clear();
            if (keptPartition >= 0 && System.nanoTime() - keptSince >= MAX_KEEP_NANOS) {
                releaseKept(); // let other processes' appends and deletes in; the next round takes it again
            }
        }
        releaseKept();
    }

    /**
     * Ends this thread's keep of a partition's file lock, if any: releases it, or in the exclusive-writer mode hands
     * it to the JVM's lock keeper, which releases it when another process waits for it or it is idle (FORMAT.md
     * section 9).
     */
    private void releaseKept() {
        if (keptPartition >= 0) {
            int p = keptPartition;
            keptPartition = -1;
            if (topic.exclusiveWriter()) {
                topic.log(p).keepExclusivelyOrRelease();
            } else {
                topic.log(p).releaseKeptLock();
            }
        }
    }

    /**
     * @return the next batch: after a round, the queue is polled for up to {@link #LINGER_NANOS} (spinning, yielding
     *     now and then) before the thread parks, so that a producer that flushes batch after batch hands the next one
     *     over without waking this thread (a futex wake on its side, a scheduler round trip on this one); null if
     *     interrupted
     */
    private Pending awaitNext() {
        Pending x = queue.poll();
        if (x != null) {
            return x;
        }
        long deadline = System.nanoTime() + LINGER_NANOS;
        for (int spins = 1; ; spins++) {
            x = queue.poll();
            if (x != null) {
                return x;
            }
            if ((spins & 63) == 0) {
                if (System.nanoTime() - deadline >= 0) {
                    break;
                }
                Thread.yield(); // a shared, loaded machine: let a runnable thread have the core
            } else {
                Thread.onSpinWait();
            }
        }
        releaseKept(); // idle: never keep the lock while parked
        try {
            return queue.take();
        } catch (InterruptedException e) {
            return null;
        }
    }

    private void process(List<Pending> drained) {
        int p0 = drained.get(0).partition;
        boolean one = true;
        for (int i = 1; i < drained.size() && one; i++) {
            one = drained.get(i).partition == p0;
        }
        if (one) { // the common case: one partition, no grouping
            processPartition(p0, drained);
            return;
        }
        Map<Integer, List<Pending>> byPartition = new LinkedHashMap<>();
        for (Pending x : drained) {
            byPartition.computeIfAbsent(x.partition, k -> new ArrayList<>()).add(x);
        }
        for (Map.Entry<Integer, List<Pending>> e : byPartition.entrySet()) {
            processPartition(e.getKey(), e.getValue());
        }
    }

    /**
     * Records whether the last append of {@code p} kept its file lock: it does after a success, so that the next
     * round (a producer flushing batch after batch) appends without re-reading the log's end (see {@link
     * PartitionLog#append(List, boolean)}). The keep ends when the thread goes idle, moves to another partition, or
     * has kept the lock {@link #MAX_KEEP_NANOS}.
     */
    private void keep(int p, boolean kept) {
        if (!kept) {
            keptPartition = -1; // a failed append released it
            return;
        }
        if (keptPartition != p) {
            keptPartition = p;
            keptSince = System.nanoTime();
        }
    }

    /** Appends one partition's batches of a round, in order, then completes their futures. */
    private void processPartition(int p, List<Pending> batchesOfP) {
        List<Pending> go = this.go;
        List<OutgoingBatch> batches = this.batches;
        List<Pending> refused = this.refused;
        go.clear();
        batches.clear();
        refused.clear();
        try {
            for (Pending x : batchesOfP) {
                if (x.appender.failedBefore(p, x.seq)) {
                    refused.add(x);
                } else {
                    go.add(x);
                    batches.add(x.batch);
                }
            }
            if (keptPartition >= 0 && keptPartition != p) {
                releaseKept(); // never wait for a lock while keeping another one
            }
            AppendResult r;
            if (batches.isEmpty()) {
                r = new AppendResult(new long[0], 0, null);
            } else {
                r = topic.log(p).append(batches, true);
                keep(p, r.error() == null);
            }
            // the producers first, then the readers: waking the tailing readers (a notifyAll, and their threads
            // competing for the cores) must not stand between a stored batch and its producer's answer
            for (int i = 0; i < r.committed(); i++) {
                go.get(i).future.complete(r.firstIds()[i]);
            }
            if (r.committed() > 0) {
                topic.appended();
            }
            for (int i = r.committed(); i < go.size(); i++) {
                Pending x = go.get(i);
                x.appender.failed(p, r.error());
                x.future.completeExceptionally(i == r.committed() || r.error() instanceof TopicNotFoundException
                        ? r.error() : new DiasporaException("partition " + p + ": not appended because an earlier batch failed: "
                                + r.error().getMessage(), r.error(), r.error().isRetriable()));
            }
            TopicNotFoundException gone = refused.isEmpty() ? null : topic.gone(); // one stat, failure path only
            for (Pending x : refused) {
                DiasporaException first = x.appender.failure(p);
                x.future.completeExceptionally(gone != null ? gone : new DiasporaException("partition " + p
                        + ": not appended because an earlier batch of the same producer failed (STRICT ordering)"
                        + (first == null ? "" : ": " + first.getMessage()), first,
                        first != null && first.isRetriable()));
            }
        } finally {
            go.clear(); // the batches (and the producers' buffers they reference) are not kept past their round
            batches.clear();
            refused.clear();
        }
    }

    /**
     * Appends what is queued, stops the thread and waits for it. Idempotent. Called on the I/O thread itself (a push
     * continuation that closes the topic or driver), it does not wait: the thread ends after the current round.
     */
    void close() {
        synchronized (this) {
            if (stopping) {
                return;
            }
            stopping = true;
            queue.add(STOP);
        }
        if (Thread.currentThread() == thread) {
            return;
        }
        TailWatcher.joinUninterruptibly(thread);
    }
}
