package dev.diaspora.stream.redis;

import dev.diaspora.stream.DataView;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.spi.BatchAppender;
import dev.diaspora.stream.spi.OutgoingBatch;
import dev.diaspora.stream.spi.StorageClock;
import dev.diaspora.stream.spi.TopicNames;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.SetArgs;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Appends a batch with one call of the append script (one round trip; Lettuce pipelines the batches of every producer
 * on the driver's connection). The script assigns the EventIDs under the server's atomicity, so producers in any
 * number of processes never share or skip an id, and it remembers each producer's last batches per partition, so a
 * batch that Lettuce re-sends after a reconnect is stored once and answered with its first id.
 *
 * <p>Large data (above {@link RedisReads#INLINE_MAX}) does not pass through the script, which would cost the server
 * two more copies of each value (into Lua, and from Lua into the command it calls): each of its values (the data, or
 * each chunk) is sent first with a plain {@code SET} to a temporary key of the partition's slot, unique per producer,
 * batch and value, expiring after {@link #uploadTtlMillis}; the script, pipelined right behind, renames those keys into
 * place ({@code RENAME} moves a value without copying it) in the same atomic step that adds the entries. A producer
 * that dies between the two leaves keys that no reader knows of and that expire.
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

    /**
     * @return how long a large value written ahead of its append script may wait for it: a minute more than twice the
     *     command timeout, past which the push has failed anyway (a script that then still runs, re-sent after a
     *     reconnect, finds the keys gone and stores nothing)
     */
    static long uploadTtlMillis(RedisConfig config) {
        return 60_000 + 2 * config.commandTimeout.toMillis();
    }

    @Override
    public void append(int partition, OutgoingBatch batch, CompletableFuture<Long> done) {
        RedisBackend b = topic.backend;
        int chunk = b.config.chunkSize;
        RedisKeys.Incarnation k = topic.inc;
        List<String> keys = new ArrayList<>(4);
        keys.add(k.stream(partition));
        keys.add(k.data(partition));
        keys.add(k.state(partition));
        keys.add(k.dedup(partition, producerId));
        List<RedisFuture<String>> uploads = null;
        SetArgs expiry = null;
        List<Object> args = new ArrayList<>(5 + batch.count() * 6);
        args.add(topic.incarnation);
        args.add(Long.toString(batch.sequence()));
        args.add(stamp(StorageClock.nowNanos()));
        args.add(Integer.toString(batch.count()));
        args.add(k.values(partition));
        for (int i = 0; i < batch.count(); i++) {
            DataView data = batch.data(i);
            long size = data.size();
            args.add(batch.metadata(i));
            args.add(batch.hasTimestamps() ? stamp(batch.timestampNanos(i)) : "");
            args.add(Long.toString(size));
            if (size == 0) {
                args.add("0");
                args.add("0"); // no data field at all
                continue;
            }
            int n = size <= chunk ? 1 : (int) ((size + chunk - 1) / chunk);
            args.add(n == 1 ? "0" : Integer.toString(chunk));
            if (size > RedisReads.INLINE_MAX) {
                args.add(Integer.toString(-n)); // the values are the next n temporary keys
                if (uploads == null) {
                    uploads = new ArrayList<>();
                    expiry = SetArgs.Builder.px(uploadTtlMillis(b.config));
                }
                for (int c = 0; c < n; c++) {
                    String key = k.upload(partition, producerId, batch.sequence(), keys.size() - 4);
                    keys.add(key);
                    uploads.add(b.redis.set(key, part(data, size, chunk, n, c), expiry));
                }
            } else {
                args.add(Integer.toString(n));
                for (int c = 0; c < n; c++) {
                    args.add(part(data, size, chunk, n, c));
                }
            }
        }
        String what = "Appending to partition " + partition + " of topic '" + topic.name() + "'";
        CompletableFuture<Long> appended = RedisScripts.APPEND.run(b.redis, keys.toArray(new String[0]),
                args.toArray());
        if (topic.retention.any()) {
            topic.trim(partition); // pipelined after the append; its failures show in the next read or bounds
        }
        List<RedisFuture<String>> sent = uploads;
        BatchAppender.completeWith(done, appended
                .handleAsync((first, error) -> {
                    if (error != null) {
                        Throwable c = RedisErrors.unwrap(error);
                        String msg = String.valueOf(c.getMessage());
                        if (msg.startsWith(RedisScripts.DELETED)) {
                            throw TopicNames.deleted(topic.name(), "redis driver");
                        }
                        if (msg.startsWith(RedisScripts.UPLOAD_MISSING)) {
                            throw uploadMissing(sent, what, msg, b.config);
                        }
                        throw RedisErrors.wrap(c, what, b.config.address());
                    }
                    topic.notifier().changed();
                    return first;
                }, b.completions));
    }

    /** @return chunk {@code c} of {@code n} of an event's data ({@code n == 1}: the whole data) */
    private static RedisCodecs.Part part(DataView data, long size, int chunk, int n, int c) {
        if (n == 1) {
            return new RedisCodecs.Part(data, 0, (int) size);
        }
        long off = (long) c * chunk;
        return new RedisCodecs.Part(data, off, (int) Math.min(chunk, size - off));
    }

    /**
     * @return the error of a batch whose large values were gone when its script ran: the failure of their
     *     {@code SET} when one failed (out of memory, for example), else the keys' expiry, which is retriable:
     *     nothing of the batch was stored, and pushing it again writes its values anew
     */
    static DiasporaException uploadMissing(List<RedisFuture<String>> uploads, String what, String msg,
            RedisConfig config) {
        for (RedisFuture<String> f : uploads) {
            CompletableFuture<String> c = f.toCompletableFuture();
            if (c.isCompletedExceptionally()) {
                try {
                    c.join();
                } catch (RuntimeException e) {
                    return RedisErrors.wrap(e, what + " (writing its large values ahead of the append)",
                            config.address());
                }
            }
        }
        return new DiasporaException(what + " failed: the batch's large values, written ahead of the append with an"
                + " expiry of " + uploadTtlMillis(config) + " ms, were gone when the append ran on the Redis server at "
                + config.address() + " (" + msg.substring(RedisScripts.UPLOAD_MISSING.length()).trim() + "): the"
                + " connection was interrupted for that long, or another program removed keys under this driver's"
                + " key_prefix. Nothing of the batch was stored; push its events again", null, true);
    }

    /** @return a time as the 19-digit decimal nanoseconds the append script compares as text */
    static String stamp(long nanos) {
        return String.format("%019d", Math.max(0, nanos));
    }
}
