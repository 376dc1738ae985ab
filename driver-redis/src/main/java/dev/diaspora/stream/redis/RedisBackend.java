package dev.diaspora.stream.redis;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diaspora.stream.BackgroundErrorHandler;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.TopicExistsException;
import dev.diaspora.stream.TopicNotFoundException;
import dev.diaspora.stream.spi.Backend;
import dev.diaspora.stream.spi.Options;
import dev.diaspora.stream.spi.TopicBackend;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An open redis driver: one Lettuce client ({@link RedisClients}: a server or a cluster) and its multiplexed
 * connection (commands from every thread are pipelined on it), a completion thread (futures complete there, never on Lettuce's I/O threads), the lease refresher, and
 * topic administration through server-side scripts.
 *
 * <p>Thread safety: thread-safe.
 */
final class RedisBackend implements Backend {
    private static final AtomicInteger THREADS = new AtomicInteger();
    /** Stream entries looked at per call when deleting the value keys of a partition (one short script each). */
    private static final int DROP_PAGE = 1000;

    final RedisConfig config;
    final RedisKeys keys;
    private final RedisClients clients;
    final RedisClusterAsyncCommands<String, Object> redis;
    final ExecutorService completions;
    final RedisLeases leases;
    /** Told about failures on the driver's threads that no future or read carries. */
    final BackgroundErrorHandler errors;
    private final Set<RedisTopic> open = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    RedisBackend(RedisConfig config) {
        this(config, BackgroundErrorHandler.logging());
    }

    /** @param errors told about failures on the driver's threads that no future or read carries (lease refresh) */
    RedisBackend(RedisConfig config, BackgroundErrorHandler errors) {
        this.config = config;
        this.errors = errors;
        this.keys = new RedisKeys(config.prefix);
        try {
            this.clients = new RedisClients(config);
        } catch (RuntimeException e) {
            throw RedisErrors.wrap(e, "Opening the redis driver", config.address());
        }
        this.redis = clients.commands();
        this.completions = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(),
                task -> {
                    Thread t = new Thread(task, "diaspora-redis-completion-" + THREADS.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        this.leases = new RedisLeases(this, "diaspora-redis-lease-" + THREADS.incrementAndGet());
    }

    /** @return a new connection of its own (for blocking reads), closed by its user */
    RedisClients.Connection dedicatedConnection() {
        return clients.connect();
    }

    /** Waits for a command's answer, bounded by the command and connect timeouts, mapping errors. */
    <T> T await(CompletionStage<T> f, String what) {
        long ms = config.commandTimeout.toMillis() + config.connectTimeout.toMillis() + 1000;
        try {
            return f.toCompletableFuture().get(ms, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new DiasporaException(what + " timed out after " + ms + " ms waiting for the Redis server at "
                    + config.address() + ": the server is down, unreachable or overloaded; raise command_timeout_ms"
                    + " or check the server", e);
        } catch (Exception e) {
            throw RedisErrors.wrap(e, what, config.address());
        }
    }

    <T> T await(RedisFuture<T> f, String what) {
        return await((CompletionStage<T>) f, what);
    }

    /**
     * Creates a topic: first each partition's state hash holding the new incarnation (an append checks it there, in
     * the partition's own slot), then the meta hash by a script that refuses a taken name, then the name in the
     * registry (another slot). A name found taken has its partitions' fresh keys removed again, and its registry entry
     * added (repairing a creation that died before that step).
     */
    @Override
    public void createTopic(String name, Options topicOptions, Metadata components) {
        String inc = UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        String what = "Creating topic '" + name + "'";
        int n = topicOptions.intValue("num_partitions", 1);
        RedisKeys.Incarnation k = keys.incarnation(name, inc, config.slotPerPartition);
        List<RedisFuture<Boolean>> states = new ArrayList<>();
        for (int p = 0; p < n; p++) {
            states.add(redis.hset(k.state(p), "inc", inc));
        }
        for (RedisFuture<Boolean> f : states) {
            await(f, what);
        }
        long created;
        try {
            created = await(RedisScripts.CREATE.run(redis, new String[] {keys.meta(name)}, inc,
                    topicOptions.toMetadata().json().toString(), components.json().toString(),
                    config.slotPerPartition ? RedisConfig.SLOTS_PARTITION : RedisConfig.SLOTS_TOPIC), what);
        } catch (RuntimeException e) {
            unlinkPartitions(k, n, what);
            throw e;
        }
        if (created == 0) {
            unlinkPartitions(k, n, what);
            await(redis.sadd(keys.registry(), name), what);
            throw new TopicExistsException("Topic '" + name + "' already exists on the Redis server at "
                    + config.address() + " (key_prefix '" + config.prefix + "'); open it with openTopic(\"" + name
                    + "\") or choose another name");
        }
        await(redis.sadd(keys.registry(), name), what);
    }

    /**
     * Removes the keys of every partition of an incarnation (each command in one slot): first the state hashes, so
     * that appends of old handles fail from then on and add no more value keys; then, in partitions that ever stored
     * large data in value keys, those keys (found from the stream's entries, {@link #DROP_PAGE} entries per call);
     * then the streams and data hashes.
     */
    private void unlinkPartitions(RedisKeys.Incarnation k, int n, String what) {
        List<java.util.concurrent.CompletableFuture<Long>> states = new ArrayList<>();
        for (int p = 0; p < n; p++) {
            states.add(RedisScripts.END_PARTITION.run(redis, new String[] {k.state(p)}));
        }
        for (int p = 0; p < n; p++) {
            if (await(states.get(p), what) == 0) {
                continue;
            }
            String from = "-";
            while (true) {
                List<Object> last = await(RedisScripts.DROP_VALUES.runList(redis, new String[] {k.stream(p)},
                        k.values(p), from, Integer.toString(DROP_PAGE)), what);
                if (last.isEmpty()) {
                    break;
                }
                from = "(" + RedisCodecs.text(last.get(0));
            }
        }
        List<RedisFuture<Long>> answers = new ArrayList<>();
        for (int p = 0; p < n; p++) {
            answers.add(redis.unlink(k.stream(p), k.data(p)));
        }
        for (RedisFuture<Long> f : answers) {
            await(f, what);
        }
    }

    @Override
    public TopicBackend openTopic(String name) {
        checkOpen();
        Map<String, Object> meta = await(redis.hgetall(keys.meta(name)), "Opening topic '" + name + "'");
        if (meta.isEmpty()) {
            throw new TopicNotFoundException("Topic '" + name + "' does not exist on the Redis server at "
                    + config.address() + " (key_prefix '" + config.prefix + "'); create it first with createTopic(\""
                    + name + "\")");
        }
        RedisTopic t = new RedisTopic(this, name, RedisCodecs.text(meta.get("inc")), parse(meta, "options", name),
                parse(meta, "components", name), RedisConfig.SLOTS_PARTITION.equals(RedisCodecs.text(
                        meta.get("layout"))));
        open.add(t);
        return t;
    }

    private Metadata parse(Map<String, Object> meta, String field, String name) {
        Object v = meta.get(field);
        if (v == null) {
            throw new DiasporaException("Topic '" + name + "' on the Redis server at " + config.address()
                    + " has no '" + field + "' in its key " + keys.meta(name) + ": it was not written by the redis"
                    + " driver or is damaged; delete that key or use another key_prefix");
        }
        return Metadata.of(RedisCodecs.text(v));
    }

    void forget(RedisTopic t) {
        open.remove(t);
    }

    @Override
    public boolean topicExists(String name) {
        checkOpen();
        return await(redis.exists(keys.meta(name)), "Checking topic '" + name + "'") > 0;
    }

    @Override
    public Map<String, Metadata> listTopics() {
        checkOpen();
        Set<Object> names = await(redis.smembers(keys.registry()), "Listing topics");
        List<String> list = new ArrayList<>();
        List<RedisFuture<List<io.lettuce.core.KeyValue<String, Object>>>> answers = new ArrayList<>();
        for (Object n : names) {
            String name = RedisCodecs.text(n);
            list.add(name);
            answers.add(redis.hmget(keys.meta(name), "options", "components"));
        }
        Map<String, Metadata> out = new TreeMap<>();
        for (int i = 0; i < list.size(); i++) {
            Metadata d = describe(await(answers.get(i), "Listing topics"));
            if (d != null) {
                out.put(list.get(i), d);
            }
        }
        return out;
    }

    @Override
    public Metadata describeTopic(String name) {
        checkOpen();
        return describe(await(redis.hmget(keys.meta(name), "options", "components"), "Describing topic '" + name
                + "'"));
    }

    private static Metadata describe(List<io.lettuce.core.KeyValue<String, Object>> kv) {
        if (!kv.get(0).hasValue() || !kv.get(1).hasValue()) {
            return null; // deleted between the listing and the read
        }
        ObjectNode d = ((ObjectNode) Metadata.of(RedisCodecs.text(kv.get(0).getValue())).json()).deepCopy();
        d.setAll((ObjectNode) Metadata.of(RedisCodecs.text(kv.get(1).getValue())).json());
        return Metadata.of(d);
    }

    /**
     * Deletes a topic: a script removes its meta hash and its consumer names' positions and groups (the topic's slot)
     * and wakes tailing consumers; then the partitions' keys go (their own slots with {@code slots: partition}); then
     * the registry entry, added back if a creation of the same name ran meanwhile. Lease keys expire by themselves.
     */
    @Override
    public void deleteTopic(String name) {
        checkOpen();
        String what = "Deleting topic '" + name + "'";
        List<Object> gone = await(RedisScripts.DELETE.runList(redis, new String[] {keys.meta(name),
                keys.control(name)}, keys.topicBase(name)), what);
        if (gone.isEmpty()) {
            throw new TopicNotFoundException("Topic '" + name + "' does not exist on the Redis server at "
                    + config.address() + "; nothing to delete");
        }
        String inc = RedisCodecs.text(gone.get(0));
        int n = Metadata.of(RedisCodecs.text(gone.get(1))).json().path("num_partitions").asInt(1);
        boolean spread = RedisConfig.SLOTS_PARTITION.equals(RedisCodecs.text(gone.get(2)));
        unlinkPartitions(keys.incarnation(name, inc, spread), n, what);
        await(redis.srem(keys.registry(), name), what);
        if (await(redis.exists(keys.meta(name)), what) > 0) {
            await(redis.sadd(keys.registry(), name), what); // created again meanwhile: keep it listed
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("this redis driver is closed");
        }
    }

    static ByteBuffer bytes(String s) {
        return ByteBuffer.wrap(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (RedisTopic t : List.copyOf(open)) {
            t.close();
        }
        leases.close();
        clients.close();
        completions.shutdown();
        try {
            completions.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
