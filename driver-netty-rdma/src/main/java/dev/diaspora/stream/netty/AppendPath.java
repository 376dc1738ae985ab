package dev.diaspora.stream.netty;

import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.Ordering;
import dev.diaspora.stream.netty.protocol.Answers;
import dev.diaspora.stream.netty.protocol.AppendRequest;
import dev.diaspora.stream.netty.protocol.PartitionRequests;
import dev.diaspora.stream.netty.protocol.Protocol;
import dev.diaspora.stream.spi.AppenderConfig;
import dev.diaspora.stream.spi.BatchAppender;
import dev.diaspora.stream.spi.OutgoingBatch;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The append path of one server connection (PROTOCOL.md, "APPEND" and "Split batches"): decodes APPEND frames,
 * assembles batches split over several frames, hands whole batches to the partition's {@link PartitionAppends}
 * (deduplicated by producer id and sequence) through the connection's files appenders, and answers each frame with
 * the id of its first event. It bounds the bytes a connection has waiting for storage or in incomplete batches
 * (the server's {@code maxPendingAppendBytes}): past it the connection stops reading.
 *
 * <p>Thread safety: used on the channel's event loop only (APPEND and CLOSE_APPENDER are served there, in arrival
 * order; storage completions come back to the loop).
 */
final class AppendPath {
    private final PartitionServer server;
    private final ServerConnection connection;
    private final Channel channel;
    private final ServerReplies replies;
    private final Map<Long, BatchAppender> appenders = new HashMap<>();
    private final Map<AssemblyKey, BatchAssembly> assemblies = new HashMap<>();
    private long pendingAppendBytes;
    private long assemblingBytes; // bytes of the frames of incomplete batches

    AppendPath(PartitionServer server, ServerConnection connection, ServerReplies replies) {
        this.server = server;
        this.connection = connection;
        this.channel = connection.channel();
        this.replies = replies;
    }

    /** @return whether the connection holds a files appender */
    boolean hasAppenders() {
        return !appenders.isEmpty();
    }

    /** Reads again when the channel is writable and the appends waiting for storage are within the bound. */
    void updateAutoRead() {
        channel.config().setAutoRead(channel.isWritable() && pendingAppendBytes <= server.maxPendingAppendBytes());
    }

    /** Releases incomplete batches and closes the appenders (the connection closed). */
    void close() {
        for (AssemblyKey k : List.copyOf(assemblies.keySet())) {
            dropAssembly(k);
        }
        for (BatchAppender a : appenders.values()) {
            a.close();
        }
        appenders.clear();
    }

    /** Serves an APPEND frame (its header read), taking ownership of the frame. */
    void append(long reqId, ByteBuf in) {
        int frameBytes = in.readableBytes();
        AppendRequest req;
        BatchAppender appender;
        ServerTopic t;
        int p;
        try {
            req = AppendRequest.decode(in);
            t = connection.topic(req.handle);
            p = ServerConnection.partition(t, req.partition);
            appender = appenders.get(req.appenderId());
            if (appender == null) {
                // the server's storage is log-structured (files): its appenders take batches as the server gets them
                appender = (BatchAppender) t.backend.appender(new AppenderConfig("remote " + replies.peer(),
                        req.producerId, Integer.MAX_VALUE, Ordering.STRICT));
                appenders.put(req.appenderId(), appender);
            }
        } catch (Protocol.BadFrameException | IndexOutOfBoundsException e) {
            in.release();
            replies.badFrame(reqId, e);
            return;
        } catch (RuntimeException e) {
            in.release();
            replies.error(reqId, e);
            return;
        }
        AssemblyKey key = new AssemblyKey(req.appenderId(), p);
        BatchAssembly assembly = assemblies.get(key);
        if (assembly == null && !req.more) { // the whole batch in one frame: the common case
            submit(t, appender, p, new OutgoingBatch(req.count, req.metadata, req.offsets, req.data,
                    req.timestampsNanos, req.producerId, req.sequence), frameBytes, in::release,
                    new long[] {reqId}, new int[] {0});
            return;
        }
        if (assembly == null) {
            assembly = new BatchAssembly(req);
            assemblies.put(key, assembly);
        }
        if (assembly.refusal() != null) {
            in.release();
            replies.error(reqId, assembly.refusal());
        } else {
            try {
                assembly.add(reqId, req, in, frameBytes); // owns the frame from here
            } catch (Protocol.BadFrameException e) {
                dropAssembly(key);
                replies.badFrame(reqId, e);
                return;
            }
            assemblingBytes += frameBytes;
            if (assemblingBytes > server.maxPendingAppendBytes()) {
                assemblingBytes -= assembly.bytes();
                DiasporaException refusal = new DiasporaException("A batch split over several APPEND frames"
                        + " would make this connection hold more than " + server.maxPendingAppendBytes() + " bytes of"
                        + " incomplete batches (the server's maxPendingAppendBytes); lower the producer's"
                        + " maxBatchBytes", null, false);
                for (long id : assembly.refuse(refusal)) {
                    replies.error(id, refusal);
                }
            }
        }
        if (!req.more) {
            assemblies.remove(key);
            if (assembly.refusal() == null) {
                assemblingBytes -= assembly.bytes();
                BatchAssembly whole = assembly;
                submit(t, appender, p, whole.batch(), whole.bytes(), whole::release, whole.requestIds(),
                        whole.partStarts());
            }
        }
    }

    /**
     * Appends a whole batch (or finds it stored already: a retry), then answers each of its frames ({@code requestIds}, whose first events are at
     * {@code starts} in the batch) with the id of its first event, and runs {@code release}.
     */
    private void submit(ServerTopic t, BatchAppender appender, int p, OutgoingBatch batch, long bytes, Runnable release,
            long[] requestIds, int[] starts) {
        pendingAppendBytes += bytes;
        updateAutoRead();
        CompletableFuture<Long> appended;
        try {
            appended = t.appends(p).submit(appender, batch); // deduplicated by producer id and sequence
        } catch (RuntimeException e) { // the partition's producer state cannot be read
            appended = CompletableFuture.failedFuture(e);
        }
        appended.whenComplete((id, err) -> {
            release.run();
            Throwable cause = err instanceof java.util.concurrent.CompletionException && err.getCause() != null
                    ? err.getCause() : err;
            for (int i = 0; i < requestIds.length; i++) {
                if (err != null) {
                    replies.error(requestIds[i], cause);
                } else {
                    replies.ok(requestIds[i], Protocol.encode(channel.alloc(),
                            new Answers.LongValue(id + starts[i])::encode));
                }
            }
            if (channel.eventLoop().inEventLoop()) { // a small batch, stored on the loop
                pendingAppendBytes -= bytes;
                updateAutoRead();
            } else {
                replies.onLoop(() -> {
                    pendingAppendBytes -= bytes;
                    updateAutoRead();
                }, () -> { });
            }
        });
    }

    private void dropAssembly(AssemblyKey key) {
        BatchAssembly a = assemblies.remove(key);
        if (a != null) {
            if (a.refusal() == null) {
                assemblingBytes -= a.bytes();
            }
            a.release();
        }
    }

    /** Names the batch a producer (files appender of the connection) is assembling for one partition. */
    private record AssemblyKey(long appender, int partition) {
    }

    /** Serves CLOSE_APPENDER. */
    void closeAppender(PartitionRequests.CloseAppender req) {
        BatchAppender a = appenders.remove(req.appenderId());
        if (a != null) {
            a.close();
        }
    }
}
