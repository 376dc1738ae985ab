package dev.diaspora.stream.redis;

import dev.diaspora.stream.tck.ExternalServers;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.util.UUID;

/** The Redis servers tests use: the shared one at 127.0.0.1:6379 (gated), and helpers to clean up after a test. */
final class RedisTestServers {
    static final String SHARED_URI = "redis://127.0.0.1:6379";

    private RedisTestServers() {
    }

    /** Skips (or, with -Ddiaspora.requireServers=true, fails) unless the shared Redis server accepts connections. */
    static void assumeSharedServer() {
        ExternalServers.assumeReachable("Redis", "127.0.0.1", 6379,
                "start one with: redis-server --port 6379 --save ''");
    }

    /** @return a key prefix no other test run uses */
    static String uniquePrefix(String what) {
        return "dtest-" + what + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** Deletes every key under {@code prefix} (a test's own keys). */
    static void deletePrefix(String uri, String prefix) {
        RedisClient client = client(uri);
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            RedisCommands<String, String> r = c.sync();
            ScanCursor cursor = ScanCursor.INITIAL;
            do {
                KeyScanCursor<String> page = r.scan(cursor, ScanArgs.Builder.matches(prefix + ":*").limit(1000));
                if (!page.getKeys().isEmpty()) {
                    r.unlink(page.getKeys().toArray(new String[0]));
                }
                cursor = page;
            } while (!cursor.isFinished());
        } catch (RuntimeException e) {
            // the server went away: nothing to clean
        }
    }

    private static final java.util.Map<String, RedisClient> CLIENTS = new java.util.concurrent.ConcurrentHashMap<>();

    /** @return a plain Lettuce client of {@code uri}, one per JVM (tests write and inspect keys with it) */
    static RedisClient client(String uri) {
        return CLIENTS.computeIfAbsent(uri, RedisClient::create);
    }
}
