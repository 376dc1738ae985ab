package dev.diaspora.stream.redis;

import dev.diaspora.stream.DataView;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.output.CommandOutput;
import io.lettuce.core.output.ValueListOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Plain reads of large values for one data read: whole hash fields, whole value keys and ranges of value keys. Whole
 * values of one key (a partition's data hash) or of one partition's value keys that follow one another are read
 * together, up to {@link #GROUP_BYTES} per command ({@code HMGET}, {@code MGET}), ranges with one {@code GETRANGE}
 * each. The commands are pipelined with at most {@link #WINDOW_BYTES} of answers outstanding: the next is sent as
 * soon as an earlier one is taken. A Redis server that must hold a client's large answers because the client has not
 * read them yet spends several times the CPU per byte (measured on Redis 7.0 with 64 KiB values: about 50 us per
 * {@code HGET} in pipelines of 64, 300-400 us in pipelines of 256 and 1000), so a batch of 512 such events sent at
 * once would cost the server more than the round trips the window adds; and one command per value costs the client a
 * command, a future and a wake-up of the reading thread per value, which grouping shares among several.
 *
 * <p>Reads of value keys given a target are written by Lettuce's I/O thread straight into the target as each value is
 * decoded ({@link Sink}): one copy of each value on the client, as raw Lettuce makes into the array it returns, and no
 * buffer per value (at 64 KiB, the buffers Lettuce's decoding allocated were about half of a consumer's garbage).
 *
 * <p>Thread safety: not thread-safe; one reading thread adds, starts, takes (in the order of adding) and abandons.
 * The sinks write from Lettuce's I/O thread under this object's lock, which {@link #abandon} takes too.
 */
final class RedisFieldReads {
    /** The most answer bytes outstanding (4 MiB: what a raw {@code XRANGE} of 64 events of 64 KiB returns). */
    static final long WINDOW_BYTES = 4L << 20;
    /** The most answer bytes of one command reading several whole values (8 values of 64 KiB). */
    static final long GROUP_BYTES = 512L << 10;
    /** What {@link #take} answers for a value written straight into its target. */
    static final Object WRITTEN = new Object();

    /**
     * One read.
     *
     * @param key the hash key, or the value key
     * @param field the hash field, or null for a value key
     * @param offset where a {@code GETRANGE} starts, or -1 for the whole value
     * @param size the answer's expected size
     * @param group reads of the same group may share a command: the hash key, or the partition's value key prefix;
     *     null for a range
     * @param target where to write the answer (value keys only), or null to hand it to {@link #take}
     * @param at where in the target
     */
    private record Read(String key, String field, long offset, long size, String group, DataView target, long at) {
    }

    /** One command: reads {@code first} to {@code first + count - 1}. */
    private record Command(int first, int count, long size) {
    }

    private final RedisBackend backend;
    private final List<Read> reads = new ArrayList<>();
    private final List<Command> commands = new ArrayList<>();
    private final List<RedisFuture<?>> sent = new ArrayList<>();
    private final List<Sink> sinks = new ArrayList<>(); // per command sent, its sink or null
    private int[] commandOf;
    private Object[] answers;
    private long outstanding;
    private int taken; // commands whose answers were taken
    private boolean abandoned; // guarded by this: no sink writes into a target once set

    RedisFieldReads(RedisBackend backend) {
        this.backend = backend;
    }

    /** @return the index of a read of the whole field {@code field} of the hash {@code key}, of the given size */
    int addField(String key, String field, long size) {
        reads.add(new Read(key, field, -1, size, key, null, 0));
        return reads.size() - 1;
    }

    /**
     * @param group the prefix of the value keys of the partition (reads of one partition may share a command)
     * @param target where the value goes, from {@code at} on (the caller's, unchanged until taken or abandoned)
     * @return the index of a read of the whole value key {@code key}, of the given size
     */
    int addValue(String key, long size, String group, DataView target, long at) {
        reads.add(new Read(key, null, -1, size, group, target, at));
        return reads.size() - 1;
    }

    /**
     * @param target where the range goes, from {@code at} on (the caller's, unchanged until taken or abandoned)
     * @return the index of a read of {@code length} bytes from {@code offset} of the value key {@code key}
     */
    int addRange(String key, long offset, long length, DataView target, long at) {
        reads.add(new Read(key, null, offset, length, null, target, at));
        return reads.size() - 1;
    }

    /** Groups the reads into commands and sends the first ones (up to the window). */
    void start() {
        answers = new Object[reads.size()];
        commandOf = new int[reads.size()];
        for (int i = 0; i < reads.size(); ) {
            Read r = reads.get(i);
            int n = 1;
            long size = r.size();
            if (r.group() != null) {
                while (i + n < reads.size()) {
                    Read next = reads.get(i + n);
                    if (!r.group().equals(next.group()) || (next.field() == null) != (r.field() == null)
                            || size + next.size() > GROUP_BYTES) {
                        break;
                    }
                    size += next.size();
                    n++;
                }
            }
            for (int j = i; j < i + n; j++) {
                commandOf[j] = commands.size();
            }
            commands.add(new Command(i, n, size));
            i += n;
        }
        sendMore();
    }

    private void sendMore() {
        while (sent.size() < commands.size()
                && (sent.size() == taken || outstanding + commands.get(sent.size()).size() <= WINDOW_BYTES)) {
            Command c = commands.get(sent.size());
            Read r = reads.get(c.first());
            CommandArgs<String, Object> args = new CommandArgs<>(RedisCodecs.CODEC);
            Sink sink = null;
            RedisFuture<?> f;
            if (r.field() != null) {
                args.addKey(r.key());
                for (int j = c.first(); j < c.first() + c.count(); j++) {
                    args.add(reads.get(j).field());
                }
                f = c.count() == 1 ? backend.redis.hget(r.key(), r.field()) : backend.redis.dispatch(
                        CommandType.HMGET, new ValueListOutput<>(RedisCodecs.CODEC), args);
            } else {
                sink = new Sink(c);
                for (int j = c.first(); j < c.first() + c.count(); j++) {
                    args.addKey(reads.get(j).key());
                }
                if (r.offset() >= 0) {
                    args.add(r.offset()).add(r.offset() + r.size() - 1);
                }
                f = backend.redis.dispatch(r.offset() >= 0 ? CommandType.GETRANGE : c.count() == 1 ? CommandType.GET
                        : CommandType.MGET, sink, args);
            }
            sent.add(f);
            sinks.add(sink);
            outstanding += c.size();
        }
    }

    /**
     * @param i an index from one of the {@code add} methods, not below one taken before
     * @return {@link #WRITTEN} for a value written into its target, else the value or range (a heap buffer); null if
     *     the field or key is missing
     */
    Object take(int i, String what) {
        while (taken <= commandOf[i]) {
            Command c = commands.get(taken);
            Object got = backend.await(sent.get(taken), what);
            Sink sink = sinks.get(taken);
            for (int j = 0; j < c.count(); j++) {
                Object v = sink != null ? sink.results[j] : c.count() == 1 ? got
                        : j < ((List<?>) got).size() ? ((List<?>) got).get(j) : null;
                Read r = reads.get(c.first() + j);
                // GETRANGE answers a missing key with an empty value
                answers[c.first() + j] = r.offset() >= 0 && v instanceof ByteBuffer b && b.remaining() == 0
                        && r.size() > 0 ? null : v;
            }
            outstanding -= c.size();
            taken++;
            sendMore();
        }
        return answers[i];
    }

    /** Stops every read still on its way from writing into its target (the caller gives the targets up). */
    void abandon() {
        synchronized (this) {
            abandoned = true;
        }
    }

    /**
     * The answer of one command on value keys ({@code GET}, {@code MGET}, {@code GETRANGE}), decoded by Lettuce's I/O
     * thread: each value of the expected size goes straight into its read's target; a missing one is null, one of
     * another size is kept (a copy) for the caller's check.
     */
    private final class Sink extends CommandOutput<String, Object, Object> {
        private final Command command;
        final Object[] results; // filled by the I/O thread before the future completes, read after
        private int next;

        Sink(Command command) {
            super(RedisCodecs.CODEC, null);
            this.command = command;
            this.results = new Object[command.count()];
        }

        @Override
        public void set(ByteBuffer bytes) {
            int j = next++;
            if (j >= results.length || bytes == null) {
                return;
            }
            Read r = reads.get(command.first() + j); // the list is no longer changed once commands are sent
            if (bytes.remaining() != r.size() || r.target() == null) {
                results[j] = RedisCodecs.CODEC.decodeValue(bytes);
                return;
            }
            synchronized (RedisFieldReads.this) {
                if (abandoned) {
                    return;
                }
                r.target().write(r.at(), bytes);
            }
            results[j] = WRITTEN;
        }
    }
}
