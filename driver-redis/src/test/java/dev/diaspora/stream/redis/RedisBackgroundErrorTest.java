package dev.diaspora.stream.redis;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.BackgroundErrorHandler;
import dev.diaspora.stream.Metadata;
import io.lettuce.core.api.StatefulRedisConnection;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A consumer lease whose refresh fails on the driver's lease thread (which today swallowed it until the lease was
 * found lost) reaches the driver's {@link BackgroundErrorHandler}. The failure is a real server error: the lease key is
 * replaced by a hash, so the refresh script's {@code GET} fails with WRONGTYPE.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class RedisBackgroundErrorTest {
    private static final String PREFIX = RedisTestServers.uniquePrefix("bgerr");

    @BeforeAll
    static void server() {
        RedisTestServers.assumeSharedServer();
    }

    @AfterAll
    static void clean() {
        RedisTestServers.deletePrefix(RedisTestServers.SHARED_URI, PREFIX);
    }

    @Test
    void aFailedLeaseRefreshReachesTheHandler() throws Exception {
        List<String> reports = new CopyOnWriteArrayList<>();
        BackgroundErrorHandler handler = (where, e) -> reports.add(where + " | " + e + " | "
                + Thread.currentThread().getName());
        RedisDriverProvider provider = new RedisDriverProvider();
        RedisConfig config = new RedisConfig(provider.options().validate(Metadata.of("{\"uri\":\""
                + RedisTestServers.SHARED_URI + "\",\"key_prefix\":\"" + PREFIX + "\",\"lease_ms\":300}"), "driver"));
        String key = PREFIX + ":test-lease";
        try (RedisBackend backend = new RedisBackend(config, handler)) {
            assertTrue(backend.leases.tryTake(key) != null);
            try (StatefulRedisConnection<String, String> c = RedisTestServers.client(RedisTestServers.SHARED_URI)
                    .connect()) {
                c.sync().del(key);
                c.sync().hset(key, "not", "a lease");
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (reports.isEmpty()) {
                assertTrue(System.nanoTime() < deadline, "no report");
                Thread.sleep(10);
            }
            String r = reports.get(0);
            assertTrue(r.startsWith("redis: cannot refresh 1 of 1 consumer leases yet (" + key + " first), will retry"
                    + " | ") && r.contains("WRONGTYPE") && r.endsWith("| diaspora-redis-lease-" + r.substring(
                    r.lastIndexOf('-') + 1)), r);
        }
    }
}
