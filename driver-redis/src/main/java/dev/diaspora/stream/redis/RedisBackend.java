package dev.diaspora.stream.redis;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.TopicExistsException;
import dev.diaspora.stream.TopicNotFoundException;
import dev.diaspora.stream.spi.Backend;
import dev.diaspora.stream.spi.Options;
import dev.diaspora.stream.spi.TopicBackend;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.SslOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import java.nio.ByteBuffer;
import java.time.Duration;
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
 * An open redis driver: one Lettuce client and one multiplexed connection (commands from every thread are pipelined
 * on it), a completion thread (futures complete there, never on Lettuce's I/O threads), the lease refresher, and
 * topic administration through server-side scripts.
 *
 * <p>Thread safety: thread-safe.
 */
final class RedisBackend implements Backend {
    private static final AtomicInteger THREADS = new AtomicInteger();
    private static volatile ClientResources resources;

    final RedisConfig config;
    final RedisKeys keys;
    private final RedisClient client;
    private final StatefulRedisConnection<String, Object> connection;
    final RedisAsyncCommands<String, Object> redis;
    final ExecutorService completions;
    final RedisLeases leases;
    private final Set<RedisTopic> open = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    RedisBackend(RedisConfig config) {
        this.config = config;
        this.keys = new RedisKeys(config.prefix);
        this.client = RedisClient.create(sharedResources(), config.uri);
        ClientOptions.Builder options = ClientOptions.builder()
                .socketOptions(SocketOptions.builder().connectTimeout(config.connectTimeout).keepAlive(true).build())
                .timeoutOptions(TimeoutOptions.enabled(config.commandTimeout));
        if (config.tlsCaFile != null) {
            options.sslOptions(SslOptions.builder().jdkSslProvider().trustManager(config.tlsCaFile.toFile()).build());
        }
        client.setOptions(options.build());
        try {
            this.connection = client.connect(RedisCodecs.CODEC);
        } catch (RuntimeException e) {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            throw RedisErrors.wrap(e, "Opening the redis driver", config.address());
        }
        this.redis = connection.async();
        this.completions = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(),
                task -> {
                    Thread t = new Thread(task, "diaspora-redis-completion-" + THREADS.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        this.leases = new RedisLeases(this, "diaspora-redis-lease-" + THREADS.incrementAndGet());
    }

    /** One set of Lettuce event loops for the JVM (their threads are daemons), as Lettuce recommends. */
    private static ClientResources sharedResources() {
        ClientResources r = resources;
        if (r == null) {
            synchronized (RedisBackend.class) {
                r = resources;
                if (r == null) {
                    r = DefaultClientResources.builder().ioThreadPoolSize(2).computationThreadPoolSize(2).build();
                    resources = r;
                }
            }
        }
        return r;
    }

    /** @return a new dedicated connection (for blocking reads), closed by its user */
    StatefulRedisConnection<String, Object> dedicatedConnection() {
        return client.connect(RedisCodecs.CODEC);
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

    @Override
    public void createTopic(String name, Options topicOptions, Metadata components) {
        String inc = UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        long created = await(RedisScripts.CREATE.run(redis, new String[] {keys.meta(name), keys.registry()}, name,
                inc, topicOptions.toMetadata().json().toString(), components.json().toString()),
                "Creating topic '" + name + "'");
        if (created == 0) {
            throw new TopicExistsException("Topic '" + name + "' already exists on the Redis server at "
                    + config.address() + " (key_prefix '" + config.prefix + "'); open it with openTopic(\"" + name
                    + "\") or choose another name");
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
                parse(meta, "components", name));
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

    @Override
    public void deleteTopic(String name) {
        checkOpen();
        long deleted = await(RedisScripts.DELETE.run(redis, new String[] {keys.meta(name), keys.registry(),
                keys.control(name)}, name, keys.topicBase(name)), "Deleting topic '" + name + "'");
        if (deleted == 0) {
            throw new TopicNotFoundException("Topic '" + name + "' does not exist on the Redis server at "
                    + config.address() + "; nothing to delete");
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
        connection.close();
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        completions.shutdown();
        try {
            completions.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
