package dev.diaspora.stream.redis;

import dev.diaspora.stream.CorruptDataException;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.PartitionBounds;
import dev.diaspora.stream.PositionExpiredException;
import dev.diaspora.stream.spi.DataRequest;
import dev.diaspora.stream.spi.IncomingBatch;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.output.ValueListOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads of one topic. A read of a partition is plain commands in one round trip: an {@code XRANGE} of the stream
 * (entry {@code 0-(id+1)} is EventID {@code id}, so a read from any id is one range query), cut at the byte limit on
 * the client, and, when the caller asks for data ({@link #fetch}), an {@code HMGET} of the data fields of the range's
 * first events (a one-field event's data field is named by its EventID, so the fields are known before the range
 * is). Data read apart ({@link #readData}) is, per partition, one call of the slicing script
 * ({@link RedisScripts#SLICES}), which sends only the selected bytes of each field (the server cuts them), plain
 * {@code HGET}s or {@code HMGET}s of large fields read whole or mostly, and, for data stored in value keys (above
 * {@link #INLINE_MAX}, see {@link RedisAppender}), plain {@code GET}s or {@code MGET}s of values read whole and one
 * {@code GETRANGE} per selected range, every command of a read pipelined ({@link RedisFieldReads}).
 *
 * <p>The location of an event ({@link IncomingBatch#location}) is {@code id << 6 | keyed | log2(chunk size)} (0: the
 * data is one field; {@link #KEYED}: the data is in value keys, not in the data hash), so a data read needs nothing
 * else.
 *
 * <p>Thread safety: thread-safe (stateless besides its topic).
 */
final class RedisReads {
    /**
     * Fields larger than this, read whole or mostly, come with windowed plain {@code HGET}s ({@link RedisFieldReads})
     * rather than through the slicing script (a script's answer is copied on the server twice more than a plain
     * command's: into Lua, and out again); and only events with data of at most this size count when a consumer's
     * reads learn whether to bring data along ({@link RedisSessionTopic}).
     */
    static final int INLINE_MAX = 16 * 1024;

    /** The location bit of an event whose data is in value keys (the entry's field {@code v}). */
    static final long KEYED = 32;
    /** The location bits of log2 of the chunk size (chunk sizes are at most 2^26). */
    private static final long SHIFT = 31;

    private final RedisTopic topic;

    /**
     * A batch and the data that came with it.
     *
     * @param batch the batch, or null at the end of the partition
     * @param data per event of the batch, its whole data (a heap buffer owned by the caller), or null where it did
     *     not come (not asked for, split into chunks, no data, or missing on the server); null if none came
     */
    record Fetched(IncomingBatch batch, ByteBuffer[] data) {
    }

    RedisReads(RedisTopic topic) {
        this.topic = topic;
    }

    private static String entryId(long id) {
        return "0-" + (id + 1);
    }

    IncomingBatch read(int p, long fromId, int maxEvents, long maxBytes) {
        return fetch(p, fromId, maxEvents, maxBytes, 0, null).batch();
    }

    /**
     * Reads up to {@code maxEvents} events of partition {@code p} from {@code fromId}, in one round trip of plain
     * commands (the retention script, when the topic has retention, and the incarnation check are pipelined with
     * them): an {@code XRANGE} of the stream and, when {@code dataFields} is positive, an {@code HMGET} of the data
     * fields of the events {@code fromId} to {@code fromId + dataFields - 1} (a one-field event's data is the field
     * named by its EventID, so the fields are known before the range is). The batch is cut at {@code maxBytes} here
     * (the first event always counts); data fetched past the cut is dropped.
     *
     * @param dataFields how many of the events' data fields to bring along (0: none); fields of events stored in
     *     chunks, or past the end of the partition, come back empty
     * @param release the batch's release callback, or null
     */
    Fetched fetch(int p, long fromId, int maxEvents, long maxBytes, int dataFields, Runnable release) {
        RedisBackend b = topic.backend;
        String key = topic.inc.stream(p);
        int count = Math.max(1, maxEvents);
        java.util.concurrent.CompletableFuture<Long> trimmed = topic.trim(p);
        RedisFuture<RedisRangeOutput> range = b.redis.dispatch(CommandType.XRANGE, new RedisRangeOutput(),
                new CommandArgs<>(RedisCodecs.CODEC).addKey(key).add(entryId(fromId)).add("+").add("COUNT")
                        .add(count));
        RedisFuture<List<Object>> values = null;
        if (dataFields > 0) {
            CommandArgs<String, Object> args = new CommandArgs<>(RedisCodecs.CODEC).addKey(topic.inc.data(p));
            for (int i = 0, n = Math.min(dataFields, count); i < n; i++) {
                args.add(fromId + i);
            }
            values = b.redis.dispatch(CommandType.HMGET, new ValueListOutput<>(RedisCodecs.CODEC), args);
        }
        RedisFuture<Object> stored = b.redis.hget(topic.metaKey, "inc");
        String what = "Reading partition " + p + " of topic '" + topic.name() + "' from event " + fromId;
        long first = b.await(trimmed, what);
        RedisRangeOutput entries = b.await(range, what);
        List<Object> got = values == null ? List.of() : b.await(values, what);
        topic.checkIncarnation(b.await(stored, what));
        if (fromId < first) {
            return new Fetched(IncomingBatch.failure(p, fromId, new PositionExpiredException(p, fromId, first,
                    "redis driver")), null);
        }
        int size = entries.size();
        if (size == 0) {
            return new Fetched(null, null);
        }
        int n = 0;
        int mdBytes = 0;
        long bytes = 0;
        long[] ts = new long[size];
        long[] sizes = new long[size];
        long[] locations = new long[size];
        ByteBuffer[] md = new ByteBuffer[size];
        ByteBuffer[] data = null;
        DiasporaException error = null;
        Entry e = new Entry();
        for (; n < size; n++) {
            long id = fromId + n;
            String problem = e.parse(entries, n, id);
            if (problem != null) {
                error = new CorruptDataException("partition " + p + ", event id " + id + ": the entry "
                        + entries.id(n) + " of the stream key " + key + " " + problem
                        + "; another program writes to this key. Give the redis driver another key_prefix, or seek"
                        + " past this event");
                break;
            }
            if (n > 0 && bytes + e.m.remaining() + e.z > maxBytes) {
                break;
            }
            bytes += e.m.remaining() + e.z;
            md[n] = e.m;
            mdBytes += e.m.remaining();
            ts[n] = e.t;
            sizes[n] = e.z;
            locations[n] = id << 6 | (e.keyed ? KEYED : 0) | (e.k == 0 ? 0 : Long.numberOfTrailingZeros(e.k));
            if (n < got.size() && e.k == 0 && !e.keyed && e.z > 0 && got.get(n) != null) {
                if (data == null) {
                    data = new ByteBuffer[size];
                }
                data[n] = (ByteBuffer) got.get(n);
            }
        }
        if (n == 0) {
            return new Fetched(IncomingBatch.failure(p, fromId, error), null);
        }
        ByteBuffer all = ByteBuffer.allocate(mdBytes);
        int[] offsets = new int[n + 1];
        for (int i = 0; i < n; i++) {
            offsets[i + 1] = offsets[i] + md[i].remaining();
            all.put(md[i]);
        }
        all.flip();
        return new Fetched(new IncomingBatch(p, fromId, n, all, offsets, ts, sizes, locations, release, error),
                data);
    }

    /**
     * The fields of one stream entry ({@code m}, {@code t}, {@code z}, {@code k}, and {@code v} when the data is in
     * value keys), checked (reused along a batch).
     */
    private static final class Entry {
        private static final String[] NAMES = {"m", "t", "z", "k"};

        ByteBuffer m;
        long t;
        long z;
        long k;
        boolean keyed;

        /** @return what is wrong with entry {@code i} of {@code range}, which should hold event {@code id}, or null */
        String parse(RedisRangeOutput range, int i, long id) {
            if (range.seq(i) != id + 1) {
                return "has the id " + range.id(i) + " where the redis driver stores event " + id + " as "
                        + entryId(id);
            }
            m = range.metadata(i);
            if (m == null) {
                return "has no field 'm'";
            }
            for (int f = 1; f <= 3; f++) {
                if (range.number(i, f) == RedisRangeOutput.MISSING) {
                    return "has no field '" + NAMES[f] + "'";
                }
            }
            t = range.number(i, 1);
            z = range.number(i, 2);
            k = range.number(i, 3);
            if (t < 0 || z < 0 || k < 0) {
                return "has a field 't', 'z' or 'k' that is not a number";
            }
            if (k != 0 && Long.bitCount(k) != 1) {
                return "has the chunk size " + k + ", not a power of two";
            }
            long v = range.number(i, 4);
            if (v != RedisRangeOutput.MISSING && v != 1) {
                return "has a field 'v' that is not 1";
            }
            keyed = v == 1;
            return null;
        }
    }

    /**
     * Fills every request: per field touched, either a plain {@code HGET} of the whole field (a field larger than
     * {@link #INLINE_MAX} of which at least half is selected: the value goes straight from the hash to the socket)
     * or a piece of one call of the slicing script per partition (small fields, whose copies through Lua cost less
     * than one reply each, and small selections of large fields, where the script sends only the selected bytes).
     * Data in value keys is read with a plain {@code GET} (or {@code MGET} with its neighbours) when a range is the
     * whole value, else a {@code GETRANGE}
     * of the range (the server sends only the selected bytes, without a script). The scripts and the first plain
     * reads are sent before any answer is awaited; the plain reads keep at most {@link RedisFieldReads#WINDOW_BYTES}
     * of answers outstanding ({@link RedisFieldReads}).
     */
    void readData(List<DataRequest> requests) {
        RedisBackend b = topic.backend;
        RedisFieldReads plain = new RedisFieldReads(b);
        List<Slices> calls = new ArrayList<>();
        DataRequest.byPartition(requests, (p, run) -> calls.add(new Slices(p, run, plain)));
        for (Slices s : calls) {
            s.send(b);
        }
        try {
            plain.start();
            for (Slices s : calls) {
                s.fill(b);
            }
        } finally {
            plain.abandon(); // reads of a request that failed early may still be on their way
        }
    }

    /**
     * One range of one field (or value key) that a request needs.
     *
     * @param field the hash field, or the value key when {@code keyed}
     * @param offset where the range starts in the field
     * @param fieldSize the field's size (the event's data size, or its chunk's)
     * @param at where the answer is: the index of the script's answer, or of the plain read
     * @param plain whether the answer comes from a plain command ({@link RedisFieldReads}) rather than the script
     * @param whole whether the answer is the whole field, to cut on the client (else it is the range's bytes)
     * @param keyed whether the data is in a value key
     */
    private record Piece(String field, long offset, long length, long fieldSize, int at, boolean plain,
            boolean whole, boolean keyed) {
    }

    /** The fields and pieces of field that one run of data requests of one partition needs, and their answers. */
    private final class Slices {
        private final int p;
        private final List<DataRequest> run;
        private final List<Piece> pieces = new ArrayList<>();
        private final int[] firstPiece; // per request, its first piece; one more entry at the end
        private final List<Object> scriptArgs = new ArrayList<>(); // triples of field, offset, length
        private final RedisFieldReads plain;
        private final List<Piece> fieldPieces = new ArrayList<>(); // one request's pieces of its current field
        private DataRequest current; // the request whose pieces are being added
        private long targetAt; // where the next piece of the current request goes in its target
        private java.util.concurrent.CompletableFuture<List<Object>> answer;

        Slices(int p, List<DataRequest> run, RedisFieldReads plain) {
            this.p = p;
            this.run = run;
            this.plain = plain;
            this.firstPiece = new int[run.size() + 1];
            for (int i = 0; i < run.size(); i++) {
                DataRequest r = run.get(i);
                firstPiece[i] = pieces.size();
                current = r;
                targetAt = 0;
                long loc = r.descriptor().locationAsLong();
                long id = loc >>> 6;
                int shift = (int) (loc & SHIFT);
                boolean keyed = (loc & KEYED) != 0;
                String name = keyed ? topic.inc.values(p) + id : Long.toString(id);
                long base = r.descriptor().baseSize();
                r.descriptor().flatten((off, size) -> {
                    if (size <= 0) {
                        return;
                    }
                    if (shift == 0) {
                        range(name, off, size, base, keyed);
                        return;
                    }
                    long pos = off;
                    long end = off + size;
                    while (pos < end) {
                        long c = pos >> shift;
                        long chunkStart = c << shift;
                        long chunkEnd = Math.min(base, (c + 1) << shift);
                        long len = Math.min(end, chunkEnd) - pos;
                        range(name + "." + c, pos - chunkStart, len, chunkEnd - chunkStart, keyed);
                        pos += len;
                    }
                });
                endField();
            }
            firstPiece[run.size()] = pieces.size();
        }

        /** Adds a range of a field; the ranges of one field of one request come one after the other. */
        private void range(String field, long offset, long length, long fieldSize, boolean keyed) {
            if (!fieldPieces.isEmpty() && !fieldPieces.get(0).field().equals(field)) {
                endField();
            }
            fieldPieces.add(new Piece(field, offset, length, fieldSize, -1, false, false, keyed));
        }

        /** Decides how the field whose pieces were just added is read. */
        private void endField() {
            if (fieldPieces.isEmpty()) {
                return;
            }
            long fieldSize = fieldPieces.get(0).fieldSize();
            if (fieldPieces.get(0).keyed()) {
                for (Piece x : fieldPieces) {
                    boolean whole = x.offset() == 0 && x.length() == fieldSize;
                    int at = whole ? plain.addValue(x.field(), fieldSize, topic.inc.values(p), current.target(),
                            targetAt) : plain.addRange(x.field(), x.offset(), x.length(), current.target(), targetAt);
                    pieces.add(new Piece(x.field(), x.offset(), x.length(), fieldSize, at, true, whole, true));
                    targetAt += x.length();
                }
                fieldPieces.clear();
                return;
            }
            long selected = 0;
            for (Piece x : fieldPieces) {
                selected += x.length();
            }
            boolean whole = fieldSize > INLINE_MAX && 2 * selected >= fieldSize;
            int at = whole ? plain.addField(topic.inc.data(p), fieldPieces.get(0).field(), fieldSize) : -1;
            for (Piece x : fieldPieces) {
                targetAt += x.length();
                if (whole) {
                    pieces.add(new Piece(x.field(), x.offset(), x.length(), fieldSize, at, true, true, false));
                } else {
                    pieces.add(new Piece(x.field(), x.offset(), x.length(), fieldSize, scriptArgs.size() / 3, false,
                            false, false));
                    scriptArgs.add(x.field());
                    scriptArgs.add(Long.toString(x.offset()));
                    scriptArgs.add(Long.toString(x.length()));
                }
            }
            fieldPieces.clear();
        }

        void send(RedisBackend b) {
            if (!scriptArgs.isEmpty()) {
                answer = RedisScripts.SLICES.runList(b.redis, new String[] {topic.inc.data(p)}, scriptArgs.toArray());
            }
        }

        void fill(RedisBackend b) {
            String what = "Reading the data of " + run.size() + " events of partition " + p + " of topic '"
                    + topic.name() + "'";
            List<Object> sliced = answer == null ? List.of() : b.await(answer, what);
            for (int i = 0; i < run.size(); i++) {
                DataRequest r = run.get(i);
                long id = r.descriptor().locationAsLong() >>> 6;
                long at = 0;
                for (int j = firstPiece[i]; j < firstPiece[i + 1]; j++) {
                    Piece x = pieces.get(j);
                    Object reply = x.plain() ? plain.take(x.at(), what) : sliced.get(x.at());
                    if (reply == RedisFieldReads.WRITTEN) { // already in the target, at this piece's place
                        at += x.length();
                        continue;
                    }
                    ByteBuffer got = (ByteBuffer) reply;
                    if (got == null) {
                        r.fail(missing(r, id, where(x)));
                        break;
                    }
                    long expected = x.whole() ? x.fieldSize() : x.length();
                    if (got.remaining() != expected) {
                        r.fail(new CorruptDataException("partition " + p + ", event id " + id + ": " + where(x)
                                + " holds " + (got.remaining() < expected ? "fewer" : "more") + " bytes than"
                                + " the event's data size says; another program changed it. Seek past this event"));
                        break;
                    }
                    at += r.target().write(at, x.whole() ? got.slice(got.position() + (int) x.offset(),
                            (int) x.length()) : got);
                }
            }
        }

        /** @return where a piece's data is on the server, for messages */
        private String where(Piece x) {
            return x.keyed() ? "the key " + x.field() : "the field '" + x.field() + "' of the hash key "
                    + topic.inc.data(p);
        }
    }

    private DiasporaException missing(DataRequest r, long id, String where) {
        if (topic.retention.any()) {
            long first = topic.backend.await(topic.trim(r.partition()), "Reading the first retained event of"
                    + " partition " + r.partition() + " of topic '" + topic.name() + "'");
            if (id < first) {
                return new PositionExpiredException(r.partition(), id, first, "redis driver (reading data)");
            }
        }
        return new CorruptDataException("partition " + r.partition() + ", event id " + id + ": its data (" + where
                + ") is missing from the Redis server at " + topic.backend.config.address() + ": the topic was"
                + " deleted, or another program removed it; seek past this event");
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
