package dev.diaspora.stream.netty;

import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.netty.protocol.AppendRequest;
import dev.diaspora.stream.netty.protocol.Answers;
import dev.diaspora.stream.netty.protocol.PartitionRequests;
import dev.diaspora.stream.netty.protocol.Protocol;
import dev.diaspora.stream.spi.AppenderConfig;
import dev.diaspora.stream.spi.Backoff;
import dev.diaspora.stream.spi.BatchAppender;
import dev.diaspora.stream.spi.Clock;
import dev.diaspora.stream.spi.OutgoingBatch;
import io.netty.buffer.ByteBuf;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One producer's appender on the {@code netty} driver (BATCH mode): each engine batch becomes one APPEND frame (or
 * several consecutive parts, all but the last flagged "more", if it exceeds the server's frame limit) made of a small
 * header, the batch's metadata buffer and the events' own data buffers, which the socket write gathers without copying
 * them. The server appends a split batch whole once its last part arrives, so its events get consecutive ids and the
 * first part's answer is the batch's first id.
 *
 * <p>Exactly once across lost connections (README, "Exactly-once appends"): per partition, up to {@link #MAX_ON_WIRE}
 * batches are on the wire at once, all on one connection, and a batch whose connection was lost ({@link
 * Connection.LostException}) is sent again, with the same producer id and sequence, until it is stored or the
 * driver's {@code delivery_timeout_ms} has passed since it was handed over; the server answers a batch it stored
 * already with the ids it got the first time. Order per partition holds because the server stores a connection's
 * batches in arrival order and, after a lost connection, nothing is sent until every batch on the wire has its
 * outcome; the batches not stored then go out again in order. Errors the server answers (a full disk, a refused
 * batch) are not retried here: they reach the producer as before. Batches complete in handover order.
 *
 * <p>Thread safety: thread-safe.
 */
final class NettyAppender implements BatchAppender {
    private static final AtomicInteger KEYS = new AtomicInteger();
    /**
     * The pauses before a batch whose connection was lost is sent again: 20 ms at first, doubling (jittered) up to
     * 500 ms; the delivery timeout, counted from the handover, bounds them.
     */
    static final Backoff RESEND = Backoff.exponential(Duration.ofMillis(20), Duration.ofMillis(500));

    private final NettyTopic topic;
    private final int key = KEYS.incrementAndGet();
    private final long deliveryTimeoutNanos;
    private final Set<Connection> used = new HashSet<>(); // guarded by itself
    private final Map<Integer, Lane> lanes = new ConcurrentHashMap<>();
    /**
     * Batches of a partition on the wire at once: a batch goes out while the previous ones are being stored, so the
     * transfer of one overlaps the server's write of another. Half of what the server remembers per producer
     * ({@link ProducerTable#WINDOW}), so that every batch sent again is still remembered if it was stored.
     */
    static final int MAX_ON_WIRE = ProducerTable.WINDOW / 2;
    private volatile boolean closed;

    NettyAppender(NettyTopic topic, AppenderConfig config) {
        this.topic = topic;
        this.deliveryTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(topic.backend().deliveryTimeoutMillis());
    }

    @Override
    public void append(int partition, OutgoingBatch batch, CompletableFuture<Long> result) {
        if (batch.count() == 0) {
            result.completeExceptionally(new IllegalArgumentException("empty batch"));
            return;
        }
        lanes.computeIfAbsent(partition, Lane::new).add(new Item(batch, result, System.nanoTime()));
    }

    /** A batch handed over by the engine, and when. */
    private static final class Item {
        final OutgoingBatch batch;
        final CompletableFuture<Long> result;
        final long since;
        int attempts;
        Backoff.Retry resends; // made at the first lost connection
        boolean sent; // on the wire (guarded by its lane)
        boolean done; // stored, or failed for good: completed once the items before it are (guarded by its lane)
        Long id;
        Throwable error;

        Item(OutgoingBatch batch, CompletableFuture<Long> result, long since) {
            this.batch = batch;
            this.result = result;
            this.since = since;
        }
    }

    /**
     * The batches of one partition, in handover order: up to {@link #MAX_ON_WIRE} of them on the wire at once, all
     * on one connection (one generation), and completed in order. When a connection is lost, sending stops until
     * every batch on the wire has its answer or its error; then, after the pause of the first lost one, the batches
     * not stored are sent again from the first, in order, on the new connection. A batch is never sent on a newer
     * connection while an earlier one is on the wire on an older one, so a later batch is never stored before an
     * earlier one that is being sent again.
     */
    private final class Lane {
        final int partition;
        final ArrayDeque<Item> queue = new ArrayDeque<>(); // guarded by this: not completed yet, in order
        int onWire; // guarded by this: items sent and not answered
        int wireGeneration = -1; // guarded by this: the connection generation of the items on the wire
        boolean pumping; // guarded by this: a thread is sending
        boolean again; // guarded by this: look for items to send once more before the pumping thread leaves
        boolean paused; // guarded by this: a connection was lost; no sending until resumed
        long resumeDelay = -1; // guarded by this: the pause before resending, once nothing is on the wire

        Lane(int partition) {
            this.partition = partition;
        }

        void add(Item it) {
            synchronized (this) {
                queue.add(it);
            }
            pump();
        }

        /**
         * Sends what may be sent, in order. One thread at a time sends (the others leave it a note), so that the
         * frames of a lane go out in queue order; sending happens outside the lock, since a send may complete an
         * item at once (a failed future), which takes the lock.
         */
        void pump() {
            synchronized (this) {
                if (pumping) {
                    again = true;
                    return;
                }
                pumping = true;
            }
            while (true) {
                Item next = null;
                synchronized (this) {
                    again = false;
                    if (!paused && onWire < MAX_ON_WIRE) {
                        for (Item it : queue) {
                            if (!it.sent && !it.done) {
                                next = it;
                                break;
                            }
                        }
                    }
                    if (next == null) {
                        pumping = false;
                        return;
                    }
                    next.sent = true;
                    next.attempts++;
                    onWire++;
                }
                Item head = next;
                attempt(this, head.batch).whenComplete((id, err) -> answered(head, id, err));
            }
        }

        /**
         * Checks that a batch may go out on a connection of {@code generation}: with nothing else on the wire any
         * connection will do; otherwise it must be the one the others are on.
         *
         * @return whether it may
         */
        synchronized boolean mayUse(int generation) {
            if (onWire > 1 && generation != wireGeneration) {
                return false;
            }
            wireGeneration = generation;
            return true;
        }

        private void answered(Item item, Long id, Throwable err) {
            List<Item> complete = new ArrayList<>();
            long schedule = -1;
            synchronized (this) {
                onWire--;
                item.sent = false;
                Throwable t = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
                long left = item.since + deliveryTimeoutNanos - System.nanoTime();
                if (err == null) {
                    item.done = true;
                    item.id = id;
                } else if (t instanceof Connection.LostException && left > 0 && !closed) {
                    if (item.resends == null) {
                        item.resends = RESEND.start(Clock.system());
                    }
                    long delay = Math.min(left, item.resends.nextDelayNanos()); // unbounded: never -1
                    if (!paused) { // the first batch lost with this connection sets the pause
                        paused = true;
                        resumeDelay = delay;
                    }
                } else {
                    item.done = true;
                    item.error = deliveryTimeoutNanos > 0 && t instanceof Connection.LostException
                            ? new DiasporaException("Partition " + partition + ": the batch was not stored within"
                                    + " the delivery timeout (driver option " + NettyDriverProvider.DELIVERY_TIMEOUT_MS
                                    + " = " + TimeUnit.NANOSECONDS.toMillis(deliveryTimeoutNanos) + " ms, "
                                    + item.attempts + " attempts" + (closed ? ", producer closed" : "") + "); it may or"
                                    + " may not be stored. Last error: " + t.getMessage(), t, true)
                            : t;
                }
                while (!queue.isEmpty() && queue.peek().done) {
                    complete.add(queue.poll());
                }
                if (paused && onWire == 0 && resumeDelay >= 0) {
                    schedule = resumeDelay;
                    resumeDelay = -1;
                }
            }
            for (Item it : complete) {
                if (it.error == null) {
                    it.result.complete(it.id);
                } else {
                    it.result.completeExceptionally(it.error);
                }
            }
            if (schedule >= 0) {
                try {
                    topic.backend().group().schedule(this::resume, schedule, TimeUnit.NANOSECONDS);
                } catch (RejectedExecutionException e) { // the driver is closing: fail what waits
                    closed = true;
                    resume();
                }
                return;
            }
            pump();
        }

        /** Ends the pause after a lost connection: the batches not stored are sent again, from the first. */
        private void resume() {
            synchronized (this) {
                paused = false;
            }
            pump();
        }
    }

    /** Sends a batch of {@code lane} once. */
    private CompletableFuture<Long> attempt(Lane lane, OutgoingBatch batch) {
        int partition = lane.partition;
        Connection c;
        TopicHandles.Handle handle;
        try {
            c = topic.serverOf(partition);
            // never waits for a reconnect: the engine calls this under its partition lock, which the completions
            // of earlier appends (on the event loop) need
            handle = topic.handles().handleNowOf(c);
            if (!lane.mayUse(handle.generation())) {
                throw new Connection.StaleHandleException("The connection to partition server " + c.address
                        + " was re-established while earlier batches of partition " + partition + " were on the"
                        + " wire; the batch is sent again after them");
            }
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        synchronized (used) {
            used.add(c);
        }
        int n = batch.count();
        long limit = c.maxFrame() - 1024L;
        CompletableFuture<Long> first = null;
        List<CompletableFuture<ByteBuf>> all = new ArrayList<>();
        int from = 0;
        while (from < n) {
            long bytes = 0;
            int to = from;
            while (to < n) {
                long e = 20L + batch.metadataSize(to) + batch.data(to).size();
                if (to > from && bytes + e > limit) {
                    break;
                }
                bytes += e;
                to++;
            }
            CompletableFuture<ByteBuf> f = send(c, handle, partition, batch, from, to, to < n);
            all.add(f);
            if (first == null) {
                first = f.thenApply(b -> {
                    try {
                        return Answers.LongValue.decode(b).value();
                    } finally {
                        b.release();
                    }
                });
            } else {
                f.thenAccept(ByteBuf::release);
            }
            from = to;
        }
        if (all.size() == 1) {
            return globalPartition(first, partition, c);
        }
        CompletableFuture<Long> head = first;
        return globalPartition(CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0])).thenCompose(v -> head),
                partition, c);
    }

    /**
     * A server names its partitions by their local numbers (its share of the topic); when the partition's local
     * number differs, a plain error of the server (a full disk, an I/O error) is prefixed with the topic's partition
     * number, keeping whether it is retriable. Typed errors pass unchanged.
     */
    private static CompletableFuture<Long> globalPartition(CompletableFuture<Long> f, int partition, Connection c,
            int local) {
        return f.exceptionallyCompose(e -> {
            Throwable t = e instanceof java.util.concurrent.CompletionException && e.getCause() != null
                    ? e.getCause() : e;
            if (t.getClass() != DiasporaException.class) {
                return CompletableFuture.failedFuture(t);
            }
            DiasporaException d = (DiasporaException) t;
            return CompletableFuture.failedFuture(new DiasporaException("partition " + partition + " (stored as"
                    + " partition " + local + " on server " + c.address + "): " + d.getMessage(), d, d.isRetriable()));
        });
    }

    private CompletableFuture<Long> globalPartition(CompletableFuture<Long> f, int partition, Connection c) {
        int local = topic.localOf(partition);
        return local == partition ? f : globalPartition(f, partition, c, local);
    }

    private CompletableFuture<ByteBuf> send(Connection c, TopicHandles.Handle handle, int partition,
            OutgoingBatch batch, int from, int to, boolean more) {
        List<ByteBuf> frame = AppendRequest.encode(topic.backend().alloc(), handle.id(), key, topic.localOf(partition),
                batch, from, to, more);
        return c.call(Protocol.APPEND, frame.get(0), frame.subList(1, frame.size()), handle.generation());
    }

    @Override
    public void close() {
        closed = true; // batches waiting to be sent again fail at their next attempt
        List<Connection> cs;
        synchronized (used) {
            cs = List.copyOf(used);
            used.clear();
        }
        for (Connection c : cs) {
            try {
                int h = topic.handles().handleNow(c); // a lost connection took the appender with it
                c.call(Protocol.CLOSE_APPENDER, new PartitionRequests.CloseAppender(h, key)
                        .encode(topic.backend().alloc())).whenComplete((b, e) -> {
                            if (b != null) {
                                b.release();
                            }
                        });
            } catch (RuntimeException e) {
                // the connection or topic is gone: the server dropped the appender with it
            }
        }
    }
}
