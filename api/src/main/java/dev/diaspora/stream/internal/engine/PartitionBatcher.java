package dev.diaspora.stream.internal.engine;

import dev.diaspora.stream.BatchSize;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.spi.BatchAppender;
import dev.diaspora.stream.spi.OutgoingBatch;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * One partition's open batch, sealed batches waiting for a slot, and in-flight count. Work under the lock is O(1)
 * per event plus the metadata copy; appends are issued under the lock (so they reach the driver in order), each with
 * its completion already attached to the future the driver completes, and completions run outside the lock. Not API.
 */
final class PartitionBatcher {
    /** A batch being filled, then sealed and sent. */
    static final class Batch implements BiConsumer<Long, Throwable> {
        byte[] metadata;
        int[] offsets;
        DataView[] data;
        PendingEvent[] events;
        int count;
        long bytes;
        long permitBytes;
        long sequence;
        PartitionBatcher owner; // set when sent
        long firstId; // the outcome, from the completing thread to finish()
        Throwable error;

        /** Sized for {@code capacity} events and {@code metadataBytes} of metadata; it grows past them if needed. */
        Batch(int capacity, int metadataBytes) {
            metadata = new byte[metadataBytes];
            offsets = new int[capacity + 1];
            data = new DataView[capacity];
            events = new PendingEvent[capacity];
        }

        /**
         * Appends an event's serialized metadata: {@code serialized}'s remaining bytes, or, when it is null, the
         * metadata's text verbatim (the default serializer, copied without a buffer view).
         */
        void add(PendingEvent e, ByteBuffer serialized) {
            int n = serialized == null ? e.metadata.size() : serialized.remaining();
            if (count == events.length) {
                int cap = count * 2;
                events = Arrays.copyOf(events, cap);
                data = Arrays.copyOf(data, cap);
                offsets = Arrays.copyOf(offsets, cap + 1);
            }
            int at = offsets[count];
            if (at + n > metadata.length) {
                metadata = Arrays.copyOf(metadata, Math.max(metadata.length * 2, at + n));
            }
            if (serialized == null) {
                e.metadata.copyTo(metadata, at);
            } else {
                serialized.get(serialized.position(), metadata, at, n);
            }
            offsets[count + 1] = at + n;
            data[count] = e.data;
            events[count] = e;
            count++;
            bytes += n + e.data.size();
            permitBytes += e.permitBytes;
        }

        /** The batch's future completed. */
        @Override
        public void accept(Long id, Throwable err) {
            owner.completed(this, id, err);
        }

        OutgoingBatch toOutgoing(long producerId) {
            return new OutgoingBatch(count, metadata, offsets, data, null, producerId, sequence);
        }
    }

    private final ProducerImpl producer;
    private final int partition;
    private final BatchAppender appender;
    private final int fixedSize; // 0 when adaptive
    private final int maxInFlight;
    private final long maxBatchBytes;
    private final long lingerNanos;

    private Batch open; // guarded by this
    // guarded by this: the size of the next batch's arrays, from the last sealed batch, so that a batch is usually
    // allocated once at its final size instead of growing from a small one by copies (most of the engine's garbage)
    private int capacityHint;
    private int metadataHint = MIN_METADATA_HINT;
    private final ArrayDeque<Batch> sealed = new ArrayDeque<>(); // guarded by this
    private int inFlight; // guarded by this
    private long nextSequence; // guarded by this: sequence of the next sealed batch
    private long doneWatermark; // guarded by this: every batch with sequence < watermark has completed
    private final PriorityQueue<Long> doneOutOfOrder = new PriorityQueue<>(); // guarded by this
    private final ArrayDeque<Object[]> waiters = new ArrayDeque<>(); // guarded by this: {Long target, CF<Void>}
    private List<Batch> completedInline; // guarded by this: completed inside append, finished after the lock
    private ScheduledFuture<?> lingerTask; // guarded by this

    private static final int MIN_CAPACITY_HINT = 8;
    private static final int MAX_CAPACITY_HINT = 4096;
    private static final int MIN_METADATA_HINT = 256;
    private static final int MAX_METADATA_HINT = 1 << 20;

    PartitionBatcher(ProducerImpl producer, int partition, BatchAppender appender, BatchSize batchSize, int maxInFlight,
            long maxBatchBytes, long lingerNanos) {
        this.producer = producer;
        this.partition = partition;
        this.appender = appender;
        this.fixedSize = batchSize.isAdaptive() ? 0 : batchSize.valueOr(1);
        this.maxInFlight = maxInFlight;
        this.maxBatchBytes = maxBatchBytes;
        this.lingerNanos = lingerNanos;
        this.capacityHint = Math.max(MIN_CAPACITY_HINT, Math.min(fixedSize, MAX_CAPACITY_HINT));
    }

    /** Adds an event that passed the pipeline; {@code serialized} null means its metadata text verbatim. */
    void add(PendingEvent e, ByteBuffer serialized) {
        List<Batch> sends;
        synchronized (this) {
            if (open == null) {
                open = new Batch(capacityHint, metadataHint);
                if (fixedSize > 0 && lingerNanos > 0) {
                    Batch b = open;
                    lingerTask = producer.schedule(() -> lingerExpired(b), lingerNanos);
                }
            }
            open.add(e, serialized);
            if (fixedSize > 0 ? open.count >= fixedSize || open.bytes >= maxBatchBytes
                    : inFlight < maxInFlight || open.bytes >= maxBatchBytes) {
                seal();
            }
            sends = takeSends();
        }
        finishInline(sends);
    }

    private void lingerExpired(Batch b) {
        List<Batch> sends;
        synchronized (this) {
            if (open != b) {
                return;
            }
            seal();
            sends = takeSends();
        }
        finishInline(sends);
    }

    /** Seals the open batch (if any), sends what the slots allow, and returns a future of every batch sealed so far. */
    CompletableFuture<Void> flush() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        List<Batch> sends;
        synchronized (this) {
            if (open != null) {
                seal();
            }
            sends = takeSends();
            if (doneWatermark >= nextSequence) {
                done.complete(null);
            } else {
                waiters.add(new Object[] {nextSequence, done});
            }
        }
        finishInline(sends);
        return done;
    }

    /** Fails every event not yet handed to the driver (close after timeout). */
    void abandon(DiasporaException error) {
        List<Batch> dropped = new ArrayList<>();
        synchronized (this) {
            if (open != null) {
                seal();
            }
            dropped.addAll(sealed);
            sealed.clear();
        }
        for (Batch b : dropped) {
            batchDone(b, -1, error);
        }
    }

    private void seal() { // holds this
        if (lingerTask != null) {
            lingerTask.cancel(false);
            lingerTask = null;
        }
        int used = open.offsets[open.count];
        capacityHint = Math.max(MIN_CAPACITY_HINT, Math.min(open.count, MAX_CAPACITY_HINT));
        metadataHint = Math.max(MIN_METADATA_HINT, Math.min(used + used / 8, MAX_METADATA_HINT));
        open.sequence = nextSequence++;
        sealed.add(open);
        open = null;
    }

    /**
     * Hands sealed batches to the driver while slots allow, in order (holds this). Each batch's completion is
     * attached to its future before the driver sees it, so the I/O thread that completes it never races the attach.
     * A driver may complete the future inside {@code append} (an inline driver, or a refusal): that completion runs
     * on this thread while it holds the lock, so it is queued here and returned, to be run after the lock is released.
     *
     * @return batches completed inside {@code append}, for {@link #finishInline} outside the lock; or null
     */
    private List<Batch> takeSends() { // holds this
        while (inFlight < maxInFlight && !sealed.isEmpty()) {
            Batch b = sealed.poll();
            inFlight++;
            CompletableFuture<Long> f = new CompletableFuture<>();
            f.whenComplete(b);
            b.owner = this;
            try {
                appender.append(partition, b.toOutgoing(producer.id()), f);
            } catch (RuntimeException ex) {
                f.completeExceptionally(ex);
            }
            producer.batchSent();
        }
        List<Batch> inline = completedInline;
        completedInline = null;
        return inline;
    }

    /** A batch's future completed: on the driver's thread, or (inline, lock held) deferred to the issuing thread. */
    void completed(Batch b, Long id, Throwable err) {
        b.firstId = id == null ? -1 : id;
        b.error = err;
        if (Thread.holdsLock(this)) { // completed inside append, under takeSends: finish after the lock
            if (completedInline == null) {
                completedInline = new ArrayList<>(2);
            }
            completedInline.add(b);
            return;
        }
        finish(b);
    }

    /** Runs the completions of batches that completed inside {@code append}; outside the lock. */
    private void finishInline(List<Batch> inline) {
        if (inline == null) {
            return;
        }
        for (Batch b : inline) {
            finish(b);
        }
    }

    private void finish(Batch b) { // outside the lock
        batchDone(b, b.firstId, b.error);
        List<Batch> inline;
        List<CompletableFuture<Void>> flushed;
        synchronized (this) {
            inFlight--;
            markDone(b.sequence);
            if (fixedSize == 0 && open != null && sealed.isEmpty()) {
                seal(); // adaptive: the backend is free again, send what accumulated
            }
            inline = takeSends();
            flushed = takeFlushed();
        }
        for (CompletableFuture<Void> f : flushed) {
            f.complete(null);
        }
        finishInline(inline);
    }

    private void markDone(long seq) { // holds this
        doneOutOfOrder.add(seq);
        while (!doneOutOfOrder.isEmpty() && doneOutOfOrder.peek() == doneWatermark) {
            doneOutOfOrder.poll();
            doneWatermark++;
        }
    }

    @SuppressWarnings("unchecked")
    private List<CompletableFuture<Void>> takeFlushed() { // holds this
        List<CompletableFuture<Void>> out = List.of();
        while (!waiters.isEmpty() && (Long) waiters.peek()[0] <= doneWatermark) {
            if (out.isEmpty()) {
                out = new ArrayList<>();
            }
            out.add((CompletableFuture<Void>) waiters.poll()[1]);
        }
        return out;
    }

    private void batchDone(Batch b, long firstId, Throwable err) {
        Throwable cause = err;
        if (cause instanceof java.util.concurrent.CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause != null && !(cause instanceof DiasporaException)) {
            cause = new DiasporaException("partition " + partition + ": the driver failed to store a batch of "
                    + b.count + " events: " + cause, cause);
        }
        if (cause == null && firstId < 0) {
            cause = new DiasporaException("partition " + partition + ": the driver completed an append without an id");
        }
        long now = cause == null && b.count > 0 ? b.events[0].clock().nanoTime() : 0;
        for (int i = 0; i < b.count; i++) {
            if (cause == null) {
                b.events[i].succeed(partition, firstId + i, now);
            } else {
                b.events[i].fail(partition, cause);
                producer.eventFailed(partition, b.events[i], cause);
            }
        }
        producer.completed(b.count, b.permitBytes, b.bytes, cause);
    }
}
