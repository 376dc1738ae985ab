package dev.diaspora.stream.redis;

import dev.diaspora.stream.DataView;
import dev.diaspora.stream.spi.BatchAppender;
import dev.diaspora.stream.spi.OutgoingBatch;
import dev.diaspora.stream.spi.StorageClock;
import dev.diaspora.stream.spi.TopicNames;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Appends a batch with one call of the append script (one round trip; Lettuce pipelines the batches of every producer
 * on the driver's connection). The script assigns the EventIDs under the server's atomicity, so producers in any
 * number of processes never share or skip an id, and it remembers each producer's last batches per partition, so a
 * batch that Lettuce re-sends after a reconnect is stored once and answered with its first id.
 *
 * <p>Data is not copied on the way out: each value refers to the producer's buffers ({@link RedisCodecs.Part}) until
 * Lettuce writes it to the socket, which is before the future completes.
 *
 * <p>Thread safety: thread-safe.
 */
final class RedisAppender implements BatchAppender {
    private final RedisTopic topic;
    private final long producerId;

    RedisAppender(RedisTopic topic, long producerId) {
        this.topic = topic;
        this.producerId = producerId;
    }

    @Override
    public void append(int partition, OutgoingBatch batch, CompletableFuture<Long> done) {
        RedisBackend b = topic.backend;
        int chunk = b.config.chunkSize;
        RedisKeys.Incarnation k = topic.inc;
        String[] keys = {k.stream(partition), k.data(partition), k.state(partition), k.dedup(partition, producerId)};
        List<Object> args = new ArrayList<>(5 + batch.count() * 6);
        args.add(topic.incarnation);
        args.add(Long.toString(batch.sequence()));
        args.add(stamp(StorageClock.nowNanos()));
        args.add(Integer.toString(batch.count()));
        for (int i = 0; i < batch.count(); i++) {
            DataView data = batch.data(i);
            long size = data.size();
            args.add(batch.metadata(i));
            args.add(batch.hasTimestamps() ? stamp(batch.timestampNanos(i)) : "");
            args.add(Long.toString(size));
            if (size == 0) {
                args.add("0");
                args.add("0"); // no data field at all
            } else if (size <= chunk) {
                args.add("0");
                args.add("1");
                args.add(new RedisCodecs.Part(data, 0, (int) size));
            } else {
                int n = (int) ((size + chunk - 1) / chunk);
                args.add(Integer.toString(chunk));
                args.add(Integer.toString(n));
                for (int c = 0; c < n; c++) {
                    long off = (long) c * chunk;
                    args.add(new RedisCodecs.Part(data, off, (int) Math.min(chunk, size - off)));
                }
            }
        }
        String what = "Appending to partition " + partition + " of topic '" + topic.name() + "'";
        CompletableFuture<Long> appended = RedisScripts.APPEND.run(b.redis, keys, args.toArray());
        if (topic.retention.any()) {
            topic.trim(partition); // pipelined after the append; its failures show in the next read or bounds
        }
        BatchAppender.completeWith(done, appended
                .handleAsync((first, error) -> {
                    if (error != null) {
                        Throwable c = RedisErrors.unwrap(error);
                        if (String.valueOf(c.getMessage()).startsWith(RedisScripts.DELETED)) {
                            throw TopicNames.deleted(topic.name(), "redis driver");
                        }
                        throw RedisErrors.wrap(c, what, b.config.address());
                    }
                    topic.notifier().changed();
                    return first;
                }, b.completions));
    }

    /** @return a time as the 19-digit decimal nanoseconds the append script compares as text */
    static String stamp(long nanos) {
        return String.format("%019d", Math.max(0, nanos));
    }
}
