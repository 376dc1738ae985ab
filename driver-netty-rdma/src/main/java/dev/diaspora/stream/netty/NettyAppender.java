package dev.diaspora.stream.netty;

import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.spi.Appender;
import dev.diaspora.stream.spi.AppenderConfig;
import dev.diaspora.stream.spi.OutgoingBatch;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One producer's appender on the {@code netty} driver (BATCH mode): each engine batch becomes one APPEND frame (or
 * several consecutive parts, all but the last flagged "more", if it exceeds the server's frame limit) made of a small
 * header, the batch's metadata buffer and the events' own data buffers, which the socket write gathers without copying
 * them. The server appends a split batch whole once its last part arrives, so its events get consecutive ids and the
 * first part's answer is the batch's first id. Frames are appended in arrival order, so order per partition is kept.
 *
 * <p>Thread safety: thread-safe.
 */
final class NettyAppender implements Appender {
    private static final AtomicInteger KEYS = new AtomicInteger();

    private final NettyTopic topic;
    private final int key = KEYS.incrementAndGet();
    private final Set<Connection> used = new HashSet<>(); // guarded by itself

    NettyAppender(NettyTopic topic, AppenderConfig config) {
        this.topic = topic;
    }

    @Override
    public CompletableFuture<Long> append(int partition, OutgoingBatch batch) {
        Connection c;
        NettyTopic.Handle handle;
        try {
            c = topic.serverOf(partition);
            // never waits for a reconnect: the engine calls this under its partition lock, which the completions
            // of earlier appends (on the event loop) need
            handle = topic.handleNowOf(c);
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
                        return b.readLong();
                    } finally {
                        b.release();
                    }
                });
            } else {
                f.thenAccept(ByteBuf::release);
            }
            from = to;
        }
        if (first == null) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("empty batch"));
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

    private CompletableFuture<ByteBuf> send(Connection c, NettyTopic.Handle handle, int partition, OutgoingBatch batch, int from,
            int to, boolean more) {
        List<ByteBuf> frame = AppendRequest.encode(topic.backend().alloc(), handle.id(), key, topic.localOf(partition),
                batch, from, to, more);
        return c.call(Protocol.APPEND, frame.get(0), frame.subList(1, frame.size()), handle.generation());
    }

    @Override
    public void close() {
        List<Connection> cs;
        synchronized (used) {
            cs = List.copyOf(used);
            used.clear();
        }
        for (Connection c : cs) {
            try {
                int h = topic.handleNow(c); // a lost connection took the appender with it
                c.call(Protocol.CLOSE_APPENDER, topic.backend().alloc().buffer(8).writeInt(h).writeInt(key))
                        .whenComplete((b, e) -> {
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
