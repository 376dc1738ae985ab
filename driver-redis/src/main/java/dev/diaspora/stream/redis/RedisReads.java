package dev.diaspora.stream.redis;

import dev.diaspora.stream.CorruptDataException;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.PartitionBounds;
import dev.diaspora.stream.PositionExpiredException;
import dev.diaspora.stream.spi.DataRequest;
import dev.diaspora.stream.spi.IncomingBatch;
import io.lettuce.core.KeyValue;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.StreamMessage;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Reads of one topic: metadata by {@code XRANGE} on a partition's stream (entry {@code 0-(id+1)} is EventID
 * {@code id}, so a read from any id is one range query, and no data travels), data by {@code HGET}/{@code HMGET} on
 * the partition's data hash, fetching only the chunks a selection touches, every request of a call pipelined.
 *
 * <p>The location of an event ({@link IncomingBatch#location}) is {@code id << 6 | log2(chunk size)} (0: the data is
 * one field), so a data read needs nothing else.
 *
 * <p>Thread safety: thread-safe (stateless besides its topic).
 */
final class RedisReads {
    private final RedisTopic topic;

    RedisReads(RedisTopic topic) {
        this.topic = topic;
    }

    private static String entryId(long id) {
        return "0-" + (id + 1);
    }

    IncomingBatch read(int p, long fromId, int maxEvents, long maxBytes) {
        RedisBackend b = topic.backend;
        String key = topic.inc.stream(p);
        java.util.concurrent.CompletableFuture<Long> trimmed = topic.trim(p);
        RedisFuture<List<StreamMessage<String, Object>>> range = b.redis.xrange(key,
                Range.create(entryId(fromId), "+"), Limit.from(Math.max(1, maxEvents)));
        RedisFuture<Object> stored = b.redis.hget(topic.metaKey, "inc");
        String what = "Reading partition " + p + " of topic '" + topic.name() + "' from event " + fromId;
        long first = b.await(trimmed, what);
        List<StreamMessage<String, Object>> entries = b.await(range, what);
        topic.checkIncarnation(b.await(stored, what));
        if (fromId < first) {
            return IncomingBatch.failure(p, fromId, new PositionExpiredException(p, fromId, first, "redis driver"));
        }
        if (entries.isEmpty()) {
            return null;
        }
        int n = 0;
        int mdBytes = 0;
        long bytes = 0;
        long[] ts = new long[entries.size()];
        long[] sizes = new long[entries.size()];
        long[] locations = new long[entries.size()];
        ByteBuffer[] md = new ByteBuffer[entries.size()];
        DiasporaException error = null;
        for (StreamMessage<String, Object> e : entries) {
            long id = fromId + n;
            Map<String, Object> body = e.getBody();
            String problem = problem(e, id, body);
            if (problem != null) {
                error = new CorruptDataException("partition " + p + ", event id " + id + ": the entry " + e.getId()
                        + " of the stream key " + key + " " + problem + "; another program writes to this key."
                        + " Give the redis driver another key_prefix, or seek past this event");
                break;
            }
            ByteBuffer m = (ByteBuffer) body.get("m");
            long size = Long.parseLong(RedisCodecs.text(body.get("z")));
            if (n > 0 && bytes + m.remaining() + size > maxBytes) {
                break;
            }
            bytes += m.remaining() + size;
            long chunk = Long.parseLong(RedisCodecs.text(body.get("k")));
            md[n] = m;
            mdBytes += m.remaining();
            ts[n] = Long.parseLong(RedisCodecs.text(body.get("t")));
            sizes[n] = size;
            locations[n] = id << 6 | (chunk == 0 ? 0 : Long.numberOfTrailingZeros(chunk));
            n++;
        }
        if (n == 0) {
            return IncomingBatch.failure(p, fromId, error);
        }
        ByteBuffer all = ByteBuffer.allocate(mdBytes);
        int[] offsets = new int[n + 1];
        for (int i = 0; i < n; i++) {
            offsets[i + 1] = offsets[i] + md[i].remaining();
            all.put(md[i].duplicate());
        }
        all.flip();
        return new IncomingBatch(p, fromId, n, all, offsets, ts, sizes, locations, null, error);
    }

    /** @return what is wrong with an entry that should hold event {@code id}, or null */
    private static String problem(StreamMessage<String, Object> e, long id, Map<String, Object> body) {
        if (!entryId(id).equals(e.getId())) {
            return "has the id " + e.getId() + " where the redis driver stores event " + id + " as " + entryId(id);
        }
        for (String f : new String[] {"m", "t", "z", "k"}) {
            if (body == null || !body.containsKey(f)) {
                return "has no field '" + f + "'";
            }
        }
        try {
            Long.parseLong(RedisCodecs.text(body.get("t")));
            Long.parseLong(RedisCodecs.text(body.get("z")));
            long k = Long.parseLong(RedisCodecs.text(body.get("k")));
            if (k != 0 && Long.bitCount(k) != 1) {
                return "has the chunk size " + k + ", not a power of two";
            }
        } catch (NumberFormatException x) {
            return "has a field 't', 'z' or 'k' that is not a number";
        }
        return null;
    }

    /** Fills every request, pipelining one command per event. */
    void readData(List<DataRequest> requests) {
        RedisBackend b = topic.backend;
        List<RedisFuture<?>> answers = new ArrayList<>(requests.size());
        List<long[]> chunkLists = new ArrayList<>(requests.size());
        for (DataRequest r : requests) {
            long loc = r.descriptor().locationAsLong();
            long id = loc >>> 6;
            int shift = (int) (loc & 63);
            String key = topic.inc.data(r.partition());
            if (shift == 0) {
                answers.add(b.redis.hget(key, Long.toString(id)));
                chunkLists.add(null);
            } else {
                TreeSet<Long> chunks = new TreeSet<>();
                r.descriptor().flatten((off, size) -> {
                    for (long c = off >> shift; c <= (off + size - 1) >> shift; c++) {
                        chunks.add(c);
                    }
                });
                long[] list = chunks.stream().mapToLong(Long::longValue).toArray();
                String[] fields = new String[list.length];
                for (int i = 0; i < list.length; i++) {
                    fields[i] = id + "." + list[i];
                }
                answers.add(list.length == 0 ? null : b.redis.hmget(key, fields));
                chunkLists.add(list);
            }
        }
        for (int i = 0; i < requests.size(); i++) {
            DataRequest r = requests.get(i);
            long id = r.descriptor().locationAsLong() >>> 6;
            int shift = (int) (r.descriptor().locationAsLong() & 63);
            String what = "Reading the data of event " + id + " of partition " + r.partition() + " of topic '"
                    + topic.name() + "'";
            RedisFuture<?> f = answers.get(i);
            if (f == null) {
                continue;
            }
            Object got = b.await(f, what);
            if (shift == 0) {
                if (got == null) {
                    r.fail(missing(r, id, id + ""));
                    continue;
                }
                r.fillFrom((ByteBuffer) got);
            } else {
                fillFromChunks(r, id, shift, chunkLists.get(i), got);
            }
        }
    }

    private DiasporaException missing(DataRequest r, long id, String field) {
        if (topic.retention.any()) {
            long first = topic.backend.await(topic.trim(r.partition()), "Reading the first retained event of"
                    + " partition " + r.partition() + " of topic '" + topic.name() + "'");
            if (id < first) {
                return new PositionExpiredException(r.partition(), id, first, "redis driver (reading data)");
            }
        }
        return new CorruptDataException("partition " + r.partition() + ", event id " + id + ": its data (field '"
                + field + "' of the hash key " + topic.inc.data(r.partition()) + ") is missing from the Redis server"
                + " at " + topic.backend.config.address() + ": the topic was deleted, or another program removed it;"
                + " seek past this event");
    }

    @SuppressWarnings("unchecked")
    private void fillFromChunks(DataRequest r, long id, int shift, long[] chunks, Object got) {
        List<KeyValue<String, Object>> values = (List<KeyValue<String, Object>>) got;
        ByteBuffer[] byChunk = new ByteBuffer[chunks.length];
        for (int i = 0; i < chunks.length; i++) {
            if (!values.get(i).hasValue()) {
                r.fail(missing(r, id, id + "." + chunks[i]));
                return;
            }
            byChunk[i] = (ByteBuffer) values.get(i).getValue();
        }
        long[] at = {0};
        r.descriptor().flatten((off, size) -> {
            long pos = off;
            long end = off + size;
            while (pos < end) {
                long c = pos >> shift;
                int idx = java.util.Arrays.binarySearch(chunks, c);
                ByteBuffer chunk = byChunk[idx];
                int inChunk = (int) (pos - (c << shift));
                int len = (int) Math.min(end - pos, chunk.remaining() - inChunk);
                if (len <= 0) {
                    throw new DiasporaException("partition " + r.partition() + " event " + id + ": selected range ["
                            + off + ", " + end + ") exceeds the stored data");
                }
                at[0] += r.target().write(at[0], chunk.slice(inChunk, len));
                pos += len;
            }
        });
    }

    /** Binary search over the entries' times, one single-entry range query per step. */
    long idForTime(int p, long nanos, PartitionBounds bounds) {
        RedisBackend b = topic.backend;
        String key = topic.inc.stream(p);
        long lo = bounds.first();
        long hi = bounds.next();
        while (lo < hi) {
            long mid = (lo + hi) >>> 1;
            List<StreamMessage<String, Object>> e = b.await(b.redis.xrange(key, Range.create(entryId(mid),
                    entryId(mid)), Limit.from(1)), "Looking up a time in partition " + p + " of topic '"
                    + topic.name() + "'");
            if (e.isEmpty() || e.get(0).getBody().get("t") == null) {
                throw new CorruptDataException("partition " + p + ", event id " + mid + ": the stream key " + key
                        + " has no entry " + entryId(mid) + " with a time; another program changed it");
            }
            long t = Long.parseLong(RedisCodecs.text(e.get(0).getBody().get("t")));
            if (t < nanos) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }
}
