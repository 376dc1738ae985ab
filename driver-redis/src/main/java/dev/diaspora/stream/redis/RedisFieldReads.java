package dev.diaspora.stream.redis;

import io.lettuce.core.RedisFuture;
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
 * <p>Thread safety: not thread-safe; one reading thread adds, starts and takes, taking in the order of adding.
 */
final class RedisFieldReads {
    /** The most answer bytes outstanding (4 MiB: what a raw {@code XRANGE} of 64 events of 64 KiB returns). */
    static final long WINDOW_BYTES = 4L << 20;
    /** The most answer bytes of one command reading several whole values (8 values of 64 KiB). */
    static final long GROUP_BYTES = 512L << 10;

    /**
     * One read.
     *
     * @param key the hash key, or the value key
     * @param field the hash field, or null for a value key
     * @param offset where a {@code GETRANGE} starts, or -1 for the whole value
     * @param size the answer's expected size
     * @param group reads of the same group may share a command: the hash key, or the partition's value key prefix;
     *     null for a range
     */
    private record Read(String key, String field, long offset, long size, String group) {
    }

    /** One command: reads {@code first} to {@code first + count - 1}. */
    private record Command(int first, int count, long size) {
    }

    private final RedisBackend backend;
    private final List<Read> reads = new ArrayList<>();
    private final List<Command> commands = new ArrayList<>();
    private final List<RedisFuture<?>> sent = new ArrayList<>();
    private int[] commandOf;
    private Object[] answers;
    private long outstanding;
    private int taken; // commands whose answers were taken

    RedisFieldReads(RedisBackend backend) {
        this.backend = backend;
    }

    /** @return the index of a read of the whole field {@code field} of the hash {@code key}, of the given size */
    int addField(String key, String field, long size) {
        reads.add(new Read(key, field, -1, size, key));
        return reads.size() - 1;
    }

    /**
     * @param group the prefix of the value keys of the partition (reads of one partition may share a command)
     * @return the index of a read of the whole value key {@code key}, of the given size
     */
    int addValue(String key, long size, String group) {
        reads.add(new Read(key, null, -1, size, group));
        return reads.size() - 1;
    }

    /** @return the index of a read of {@code length} bytes from {@code offset} of the value key {@code key} */
    int addRange(String key, long offset, long length) {
        reads.add(new Read(key, null, offset, length, null));
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
            RedisFuture<?> f;
            if (r.offset() >= 0) {
                f = backend.redis.getrange(r.key(), r.offset(), r.offset() + r.size() - 1);
            } else if (c.count() == 1) {
                f = r.field() != null ? backend.redis.hget(r.key(), r.field()) : backend.redis.get(r.key());
            } else {
                CommandArgs<String, Object> args = new CommandArgs<>(RedisCodecs.CODEC);
                if (r.field() != null) {
                    args.addKey(r.key());
                    for (int j = c.first(); j < c.first() + c.count(); j++) {
                        args.add(reads.get(j).field());
                    }
                } else {
                    for (int j = c.first(); j < c.first() + c.count(); j++) {
                        args.addKey(reads.get(j).key());
                    }
                }
                f = backend.redis.dispatch(r.field() != null ? CommandType.HMGET : CommandType.MGET,
                        new ValueListOutput<>(RedisCodecs.CODEC), args);
            }
            sent.add(f);
            outstanding += c.size();
        }
    }

    /**
     * @param i an index from one of the {@code add} methods, not below one taken before
     * @return the value or range (a heap buffer), or null if the field or key is missing
     */
    Object take(int i, String what) {
        while (taken <= commandOf[i]) {
            Command c = commands.get(taken);
            Object got = backend.await(sent.get(taken), what);
            if (c.count() > 1) {
                List<?> values = (List<?>) got;
                for (int j = 0; j < c.count(); j++) {
                    answers[c.first() + j] = j < values.size() ? values.get(j) : null;
                }
            } else {
                Read r = reads.get(c.first());
                // GETRANGE answers a missing key with an empty value
                answers[c.first()] = r.offset() >= 0 && got != null && ((ByteBuffer) got).remaining() == 0
                        && r.size() > 0 ? null : got;
            }
            outstanding -= c.size();
            taken++;
            sendMore();
        }
        return answers[i];
    }
}
