package dev.diaspora.stream.redis;

import io.lettuce.core.RedisFuture;
import java.util.ArrayList;
import java.util.List;

/**
 * Plain {@code HGET}s of large whole fields for one data read, pipelined with at most {@link #WINDOW_BYTES} of
 * answers outstanding: the next is sent as soon as an earlier one is taken. A Redis server that must hold a client's
 * large answers because the client has not read them yet spends several times the CPU per byte (measured on Redis
 * 7.0 with 64 KiB values: about 50 us per {@code HGET} in pipelines of 64, 300-400 us in pipelines of 256 and 1000),
 * so a batch of 512 such events sent at once would cost the server more than the round trips the window adds.
 *
 * <p>Thread safety: not thread-safe; one reading thread adds, starts and takes, taking in the order of adding.
 */
final class RedisFieldReads {
    /** The most answer bytes outstanding (4 MiB: what a raw {@code XRANGE} of 64 events of 64 KiB returns). */
    static final long WINDOW_BYTES = 4L << 20;

    private final RedisBackend backend;
    private final List<String> keys = new ArrayList<>();
    private final List<String> fields = new ArrayList<>();
    private final List<Long> sizes = new ArrayList<>();
    private final List<RedisFuture<Object>> sent = new ArrayList<>();
    private Object[] answers;
    private long outstanding;
    private int taken;

    RedisFieldReads(RedisBackend backend) {
        this.backend = backend;
    }

    /** @return the index of a field to read whole, of the given size */
    int add(String key, String field, long size) {
        keys.add(key);
        fields.add(field);
        sizes.add(size);
        return keys.size() - 1;
    }

    /** Sends the first reads (up to the window). */
    void start() {
        answers = new Object[keys.size()];
        sendMore();
    }

    private void sendMore() {
        while (sent.size() < keys.size()
                && (sent.size() == taken || outstanding + sizes.get(sent.size()) <= WINDOW_BYTES)) {
            int i = sent.size();
            sent.add(backend.redis.hget(keys.get(i), fields.get(i)));
            outstanding += sizes.get(i);
        }
    }

    /**
     * @param i an index from {@link #add}, not below one taken before
     * @return the field's value (a heap buffer), or null if the field is missing
     */
    Object take(int i, String what) {
        while (taken <= i) {
            answers[taken] = backend.await(sent.get(taken), what);
            outstanding -= sizes.get(taken);
            taken++;
            sendMore();
        }
        return answers[i];
    }
}
