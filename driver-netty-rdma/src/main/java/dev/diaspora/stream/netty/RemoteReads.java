package dev.diaspora.stream.netty;

import dev.diaspora.stream.netty.protocol.Protocol;
import dev.diaspora.stream.spi.DataRequest;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The data reads of a {@link NettyTopic} (READ_DATA): requests split by server and in chunks of about
 * {@link #READ_DATA_CHUNK} selected bytes, all sent before the first answer is awaited, and their answers filled
 * into the requests' targets.
 *
 * <p>Thread safety: stateless.
 */
final class RemoteReads {
    /**
     * Selected bytes per READ_DATA request: a batch's data is asked for in requests of about this size, all sent before
     * the first answer is awaited. It bounds the memory one answer holds on the server and the client (a 512-event
     * batch of 64 KiB events would otherwise be one 32 MiB frame).
     */
    static final long READ_DATA_CHUNK = 4 << 20;

    private RemoteReads() {
    }

    /** Fills {@code requests} (partitions already checked against {@code m}) from their servers. */
    static void readData(NettyTopic topic, PartitionMap m, List<DataRequest> requests) {
        Map<Connection, List<DataRequest>> split = new HashMap<>();
        for (DataRequest r : requests) {
            split.computeIfAbsent(m.serverOf(r.partition()), k -> new ArrayList<>()).add(r);
        }
        List<CompletableFuture<ByteBuf>> calls = new ArrayList<>();
        List<List<DataRequest>> chunks = new ArrayList<>();
        List<Connection> order = new ArrayList<>();
        try {
            for (Map.Entry<Connection, List<DataRequest>> e : split.entrySet()) {
                Connection c = e.getKey();
                long limit = Math.min(c.maxFrame() / 2, READ_DATA_CHUNK);
                List<DataRequest> chunk = new ArrayList<>();
                long bytes = 0;
                for (DataRequest r : e.getValue()) {
                    long size = r.descriptor().size();
                    if (!chunk.isEmpty() && bytes + size > limit) {
                        calls.add(send(topic, m, c, chunk));
                        chunks.add(chunk);
                        order.add(c);
                        chunk = new ArrayList<>();
                        bytes = 0;
                    }
                    chunk.add(r);
                    bytes += size;
                }
                calls.add(send(topic, m, c, chunk));
                chunks.add(chunk);
                order.add(c);
            }
        } catch (RuntimeException e) { // another server is down: the answers of those sent are nobody's
            NettyTopic.releaseLater(calls, 0);
            throw e;
        }
        for (int i = 0; i < calls.size(); i++) {
            ByteBuf a;
            try {
                a = order.get(i).await(calls.get(i), Protocol.READ_DATA);
            } catch (RuntimeException e) {
                NettyTopic.releaseLater(calls, i + 1);
                throw e;
            }
            try {
                ReadDataCodec.fill(order.get(i).address, chunks.get(i), a);
            } catch (RuntimeException e) {
                NettyTopic.releaseLater(calls, i + 1);
                throw e;
            } finally {
                a.release();
            }
        }
    }

    private static CompletableFuture<ByteBuf> send(NettyTopic topic, PartitionMap m, Connection c,
            List<DataRequest> chunk) {
        NettyTopic.Handle h = topic.handleOf(c);
        return c.call(Protocol.READ_DATA, ReadDataCodec.encode(topic.backend().alloc(), h.id(), m.localOf(), chunk),
                List.of(), h.generation());
    }
}
