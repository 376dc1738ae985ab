package dev.diaspora.stream.netty;

import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.files.DirectAppends;
import dev.diaspora.stream.spi.BatchAppender;
import dev.diaspora.stream.spi.Clock;
import dev.diaspora.stream.spi.LocalTopic;
import dev.diaspora.stream.spi.OutgoingBatch;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The appends of one partition of a {@link ServerTopic}, from every connection, one batch at a time in arrival
 * order: each batch is first looked up in the partition's {@link ProducerTable} (a retry of a stored batch is
 * answered with its first id and not stored again), then recorded in the {@link ProducerJournal} and appended. One
 * at a time is what lets the journal tell after a crash which recorded batches the log holds (README, "Exactly-once
 * appends", for what it costs).
 *
 * <p>A small batch (at most {@link #DIRECT_MAX_BYTES}) of a topic whose appends are not forced to the device is
 * stored on the thread that runs the queue, usually the connection's event loop, which then writes the answer itself:
 * no hand-off to the files I/O thread and back (README, "Exactly-once appends"). Larger batches, and every batch of a
 * {@code fsync} topic, go through the files appender. {@link #SLOW_STREAK} small batches in a row whose writes each
 * took {@link #SLOW_DIRECT_NANOS} or more (the kernel throttling writers of a slow or full device) send the
 * partition's batches to the files appender for {@link #DIRECT_PAUSE_NANOS}; one slow write alone does not (a
 * collection pause or a lost time slice, after which the next write is fast again, since every batch through the
 * files appender costs two thread hand-offs). So a slow device holds up one event loop twice a second at most, not
 * every connection it serves at every append.
 *
 * <p>Thread safety: thread-safe; the table and journal are guarded by {@code this}.
 */
final class PartitionAppends implements AutoCloseable {
    /** Producers remembered per partition. */
    static final int MAX_PRODUCERS = 4096;
    /** A producer silent this long is forgotten: 24 hours, far above the client's delivery timeout. */
    static final long EXPIRY_MILLIS = 24L * 3600 * 1000;
    /**
     * The largest batch (metadata and data bytes) stored on the queue's own thread: a page-cache write of this size
     * takes microseconds, far less than two thread hand-offs.
     */
    static final long DIRECT_MAX_BYTES = 64 << 10;
    /**
     * A write on the queue's thread taking this long (10 ms; a page-cache write takes microseconds) is slow: the
     * device throttles writers, or the machine is so loaded that the thread lost the CPU; either way the event loop
     * should not be the thread that waits.
     */
    static final long SLOW_DIRECT_NANOS = 10_000_000L;
    /** Slow writes in a row that pause the writes on the queue's thread. */
    static final int SLOW_STREAK = 2;
    /** At most one warning about slow writes per this many nanoseconds (60 s) in a process; the others are DEBUG. */
    private static final long WARN_EVERY_NANOS = 60_000_000_000L;
    private static final java.util.concurrent.atomic.AtomicLong LAST_WARN = new java.util.concurrent.atomic.AtomicLong(
            System.nanoTime() - WARN_EVERY_NANOS);
    /** How long the batches of a partition go to the files appender after a slow write (1 s). */
    static final long DIRECT_PAUSE_NANOS = 1_000_000_000L;
    private static final Logger LOG = LoggerFactory.getLogger(PartitionAppends.class);

    private final LocalTopic local;
    /** The topic's appends on the calling thread, or null when every batch goes to the files appender. */
    private final DirectAppends direct;
    private final int partition;
    private final LongSupplier clock;
    /** Measures the writes on the queue's own thread. */
    private final Clock ticks;
    /** Until when ({@link #ticks}) small batches go to the files appender; read and written by the queue runner. */
    private long directPausedUntil;
    private boolean directPaused; // with directPausedUntil: only the queue runner (busy) uses them
    private int slowWrites; // slow direct writes in a row; only the queue runner uses it
    private final ProducerTable table = new ProducerTable(MAX_PRODUCERS, EXPIRY_MILLIS); // guarded by this
    private final ProducerJournal journal; // guarded by this
    private final ArrayDeque<Pending> queue = new ArrayDeque<>(); // guarded by this
    private boolean busy; // guarded by this: a batch is being appended
    private boolean closed; // guarded by this
    /**
     * The partition's log end, or -1 when it must be read from the log (after a failed append). Appends of the
     * partition go through this object only, one at a time, so a stored batch moves the end to its first id plus
     * its count: reading the end from the files before every append (index reads, a lock) would cost more than
     * the append's own writes.
     */
    private long logEnd; // guarded by this

    private record Pending(BatchAppender appender, OutgoingBatch batch, CompletableFuture<Long> result) {
    }

    PartitionAppends(LocalTopic local, int partition, Path journalFile, LongSupplier clock) {
        this(local, partition, journalFile, clock, Clock.system());
    }

    PartitionAppends(LocalTopic local, int partition, Path journalFile, LongSupplier clock, Clock ticks) {
        this.local = local;
        this.ticks = ticks;
        this.direct = local instanceof DirectAppends d && d.directAppends() ? d : null;
        this.partition = partition;
        this.clock = clock;
        this.logEnd = local.bounds(partition).next();
        this.journal = ProducerJournal.open(journalFile, logEnd, table);
    }

    /**
     * Appends {@code batch} with {@code appender} after the batches submitted before it, unless the same producer's
     * batch of that sequence was stored already.
     *
     * @return the first EventID of the batch (of its first storing if it is a retry)
     */
    CompletableFuture<Long> submit(BatchAppender appender, OutgoingBatch batch) {
        CompletableFuture<Long> result = new CompletableFuture<>();
        synchronized (this) {
            queue.add(new Pending(appender, batch, result));
            if (busy) {
                return result;
            }
            busy = true;
        }
        runQueue();
        return result;
    }

    /**
     * Runs queued batches until one is appending asynchronously or the queue is empty. Only one thread runs it at a
     * time ({@code busy}); the files appender is called without holding this object's lock, since it may complete
     * an earlier append (which takes the lock in {@link #finish}) on its own thread while it holds its own locks.
     */
    private void runQueue() {
        while (true) {
            Pending next;
            long first;
            synchronized (this) {
                next = queue.poll();
                if (next == null) {
                    busy = false;
                    return;
                }
                OutgoingBatch b = next.batch();
                long now = clock.getAsLong();
                try {
                    if (closed) {
                        throw new DiasporaException("the partition server is closing the topic", null, true);
                    }
                    first = table.lookup(b.producerId(), b.sequence(), b.count(), now);
                    if (first < 0) {
                        journal.compactIfLarge(table);
                        if (logEnd < 0) {
                            logEnd = local.bounds(partition).next();
                        }
                        journal.intent(b.producerId(), b.sequence(), b.count(), logEnd, now);
                    }
                } catch (RuntimeException e) {
                    next.result().completeExceptionally(e);
                    continue;
                }
            }
            if (first >= 0) { // a retry of a stored batch
                next.result().complete(first);
                continue;
            }
            CompletableFuture<Long> appending = new CompletableFuture<>();
            try {
                if (direct != null && bytes(next.batch()) <= DIRECT_MAX_BYTES && directAllowed()) {
                    long t0 = ticks.nanoTime();
                    appending.complete(direct.appendNow(partition, next.batch()));
                    directTook(t0, next.batch());
                } else {
                    next.appender().append(partition, next.batch(), appending);
                }
            } catch (RuntimeException e) {
                appending.completeExceptionally(e);
            }
            if (!appending.isDone()) {
                Pending p = next;
                appending.whenComplete((id, err) -> {
                    finish(p, id, err);
                    runQueue();
                });
                return;
            }
            Throwable err = appending.handle((v, e) -> e).join();
            finish(next, err == null ? appending.join() : null, err);
        }
    }

    /** @return whether the next small batch may be written on this thread (no slow write in the last pause) */
    private boolean directAllowed() {
        if (directPaused && ticks.nanoTime() - directPausedUntil >= 0) {
            directPaused = false;
        }
        return !directPaused;
    }

    /**
     * Pauses the writes on this thread when the one of {@code batch} that started at {@code t0} was the
     * {@link #SLOW_STREAK}th slow one in a row.
     */
    private void directTook(long t0, OutgoingBatch batch) {
        long took = ticks.nanoTime() - t0;
        if (took < SLOW_DIRECT_NANOS) {
            slowWrites = 0;
        } else if (++slowWrites >= SLOW_STREAK) {
            slowWrites = 0;
            directPaused = true;
            directPausedUntil = t0 + took + DIRECT_PAUSE_NANOS;
            long last = LAST_WARN.get();
            boolean warn = t0 - last >= WARN_EVERY_NANOS && LAST_WARN.compareAndSet(last, t0);
            String msg = "partition server: writing a {} KiB batch to partition {} took {} ms on a connection's thread,"
                    + " the " + SLOW_STREAK + "th slow write in a row (a slow or full device, or a loaded machine);"
                    + " the partition's batches go through the files I/O thread for the next {} ms"
                    + (warn ? " (said at most once a minute; the rest at DEBUG)" : "");
            Object[] args = {(bytes(batch) + 1023) >> 10, partition, took / 1_000_000, DIRECT_PAUSE_NANOS / 1_000_000};
            if (warn) {
                LOG.warn(msg, args);
            } else {
                LOG.debug(msg, args);
            }
        }
    }

    private static long bytes(OutgoingBatch b) {
        return b.metadataOffset(b.count()) + b.dataBytes();
    }

    private void finish(Pending p, Long id, Throwable err) {
        if (err == null) {
            OutgoingBatch b = p.batch();
            synchronized (this) {
                table.stored(new ProducerTable.Stored(b.producerId(), b.sequence(), id, b.count(), clock.getAsLong()));
                logEnd = id + b.count();
            }
            p.result().complete(id);
        } else {
            synchronized (this) {
                logEnd = -1; // a failed append may have stored part of the batch: read the end again
            }
            p.result().completeExceptionally(err);
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        journal.close();
    }
}
