package dev.diaspora.stream.examples.redis;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.tck.ExternalServers;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Runs the Redis example against the Redis server at 127.0.0.1:6379, under a key prefix of its own. */
class RedisExampleTest {
    @Test
    @Timeout(60)
    void shouldProduceAndConsumeThroughARealServer() {
        ExternalServers.assumeReachable("Redis", "127.0.0.1", 6379,
                "start one with: redis-server --port 6379 --save ''");
        String prefix = "dtest-example-" + UUID.randomUUID().toString().substring(0, 8);
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            RedisExample.main(new String[] {"--uri", "redis://127.0.0.1:6379", "--key-prefix", prefix, "--events",
                "12"});
        } finally {
            System.setOut(old);
            RedisClient client = RedisClient.create("redis://127.0.0.1:6379");
            try (StatefulRedisConnection<String, String> c = client.connect()) {
                List<String> keys = c.sync().keys(prefix + ":*"); // only this test's few keys
                if (!keys.isEmpty()) {
                    c.sync().unlink(keys.toArray(new String[0]));
                }
            } finally {
                client.shutdown();
            }
        }
        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("produced 12 events"), text);
        assertTrue(text.contains("consumed 12 events"), text);
        assertTrue(text.contains("'frame 11'"), text);
    }
}
