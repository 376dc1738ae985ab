package dev.diaspora.stream.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.CorruptDataException;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.InvalidOptionException;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.TopicHandle;
import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input: wrong credentials, an unreachable server, keys of the wrong type, a stream written by another program,
 * bad options. Each fails with an error that names what is wrong (and never the password), and nothing crashes.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class RedisBadInputTest {
    private static final String PREFIX = RedisTestServers.uniquePrefix("bad");

    @TempDir
    Path dir;

    @BeforeAll
    static void needsRedis() {
        RedisTestServers.assumeSharedServer();
    }

    @AfterAll
    static void cleanUp() {
        RedisTestServers.deletePrefix(RedisTestServers.SHARED_URI, PREFIX);
    }

    private static Driver shared() {
        return Driver.open("redis", Metadata.of("{\"uri\":\"" + RedisTestServers.SHARED_URI + "\",\"key_prefix\":\""
                + PREFIX + "\",\"command_timeout_ms\":5000}"));
    }

    private static <T> T raw(java.util.function.Function<io.lettuce.core.api.sync.RedisCommands<String, String>, T> f) {
        try (StatefulRedisConnection<String, String> c = RedisTestServers.client(RedisTestServers.SHARED_URI)
                .connect()) {
            return f.apply(c.sync());
        }
    }

    @Test
    void wrongPasswordIsRefusedNamingTheServerNotThePassword() throws Exception {
        try (RedisServerProcess server = RedisServerProcess.start(dir, "--requirepass", "right-token-123")) {
            Path wrong = Files.writeString(dir.resolve("token"), "wrong-token-456\n");
            DiasporaException e = assertThrows(DiasporaException.class, () -> Driver.open("redis", Metadata.of(
                    "{\"uri\":\"" + server.uri() + "\",\"password_file\":\"" + wrong + "\"}")));
            assertTrue(e.getMessage().contains("127.0.0.1:" + server.port()), e.getMessage());
            assertTrue(e.getMessage().contains("password"), e.getMessage());
            assertFalse(e.getMessage().contains("wrong-token-456"), "the token leaked: " + e.getMessage());
            Path right = Files.writeString(dir.resolve("token"), "right-token-123\n");
            try (Driver d = Driver.open("redis", Metadata.of("{\"uri\":\"" + server.uri() + "\",\"password_file\":\""
                    + right + "\"}"))) {
                d.createTopic("t", Metadata.of("{}"));
                assertTrue(d.listTopics().containsKey("t"));
                assertFalse(d.toString().contains("right-token-123"));
            }
        }
    }

    @Test
    void missingTokenSourcesAreNamed() {
        InvalidOptionException e = assertThrows(InvalidOptionException.class, () -> Driver.open("redis",
                Metadata.of("{\"password_env\":\"DIASPORA_SURELY_UNSET_VARIABLE\"}")));
        assertTrue(e.getMessage().contains("DIASPORA_SURELY_UNSET_VARIABLE"), e.getMessage());
        e = assertThrows(InvalidOptionException.class, () -> Driver.open("redis",
                Metadata.of("{\"password_file\":\"" + dir.resolve("absent") + "\"}")));
        assertTrue(e.getMessage().contains("password_file"), e.getMessage());
        e = assertThrows(InvalidOptionException.class, () -> Driver.open("redis",
                Metadata.of("{\"chunk_size\":5000}")));
        assertTrue(e.getMessage().contains("power of two"), e.getMessage());
        e = assertThrows(InvalidOptionException.class, () -> Driver.open("redis",
                Metadata.of("{\"uri\":\"http://x\"}")));
        assertTrue(e.getMessage().contains("uri"), e.getMessage());
    }

    @Test
    void unreachableServerFailsWithinTheTimeoutNamingTheAddress() throws Exception {
        int port = RedisServerProcess.freePort(); // nothing listens there
        long start = System.nanoTime();
        DiasporaException e = assertThrows(DiasporaException.class, () -> Driver.open("redis", Metadata.of(
                "{\"uri\":\"redis://127.0.0.1:" + port + "\",\"connect_timeout_ms\":1000}")));
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(e.getMessage().contains("127.0.0.1:" + port), e.getMessage());
        assertTrue(e.getMessage().contains("cannot connect"), e.getMessage());
        assertTrue(ms < 10_000, "took " + ms + " ms");
    }

    @Test
    void keyOfAnotherTypeWhereTheTopicIsStoredIsNamed() {
        raw(r -> r.set(PREFIX + ":{squatted}:meta", "not a hash"));
        try (Driver d = shared()) {
            DiasporaException e = assertThrows(DiasporaException.class, () -> d.openTopic("squatted"));
            assertTrue(e.getMessage().contains("another type") && e.getMessage().contains("key_prefix"),
                    e.getMessage());
            e = assertThrows(DiasporaException.class, () -> d.createTopic("squatted", Metadata.of("{}")));
            assertTrue(e.getMessage().contains("another type"), e.getMessage());
        }
    }

    @Test
    void partitionKeyOfAnotherTypeFailsPushesAndReads() throws Exception {
        try (Driver d = shared()) {
            d.createTopic("wrongtype", Metadata.of("{}"));
            try (TopicHandle t = d.openTopic("wrongtype"); Producer p = t.producer()) {
                p.push(Metadata.of("{\"i\":0}"), DataView.of(new byte[] {1})).get(10, TimeUnit.SECONDS);
                String stream = streamKey("wrongtype");
                raw(r -> r.del(stream));
                raw(r -> r.set(stream, "squatter"));
                ExecutionException e = assertThrows(ExecutionException.class, () -> p.push(Metadata.of("{\"i\":1}"),
                        DataView.EMPTY).get(10, TimeUnit.SECONDS));
                assertTrue(e.getCause().getMessage().contains("another type"), e.getCause().getMessage());
                assertThrows(ExecutionException.class, () -> p.flush().get(10, TimeUnit.SECONDS), "flush reports it");
                try (Consumer c = t.consumer(ConsumerOptions.named("c"))) {
                    DiasporaException r = assertThrows(DiasporaException.class, () -> c.poll(Duration.ofSeconds(5)));
                    assertTrue(r.getMessage().contains("another type"), r.getMessage());
                }
            }
        }
    }

    @Test
    void streamWrittenByAnotherProgramIsReportedNotDelivered() throws Exception {
        try (Driver d = shared()) {
            d.createTopic("foreign", Metadata.of("{}"));
            try (TopicHandle t = d.openTopic("foreign")) {
                try (Producer p = t.producer()) {
                    p.push(Metadata.of("{\"i\":0}"), DataView.of(new byte[] {7})).get(10, TimeUnit.SECONDS);
                }
                String stream = streamKey("foreign");
                raw(r -> r.xadd(stream, java.util.Map.of("temperature", "21.5")));
                try (Consumer c = t.consumer(ConsumerOptions.named("c"))) {
                    assertEquals(0, c.poll(Duration.ofSeconds(10)).orElseThrow().id());
                    DiasporaException e = assertThrows(DiasporaException.class, () -> c.poll(Duration.ofSeconds(10)));
                    Throwable cause = e instanceof CorruptDataException ? e : e.getCause();
                    assertInstanceOf(CorruptDataException.class, cause, e.toString());
                    assertTrue(cause.getMessage().contains(stream) && cause.getMessage().contains("another program"),
                            cause.getMessage());
                }
                try (Producer p = t.producer()) {
                    ExecutionException e = assertThrows(ExecutionException.class, () -> p.push(Metadata.of("{}"),
                            DataView.EMPTY).get(10, TimeUnit.SECONDS));
                    assertTrue(e.getCause().getMessage().contains("did not write"), e.getCause().getMessage());
                    assertThrows(ExecutionException.class, () -> p.flush().get(10, TimeUnit.SECONDS));
                }
            }
        }
    }

    /** @return partition 0's stream key of {@code topic} (found on the server: it holds the incarnation id) */
    private static String streamKey(String topic) {
        String inc = raw(r -> r.hget(PREFIX + ":{" + topic + "}:meta", "inc"));
        return PREFIX + ":{" + topic + "}:" + inc + ":0:s";
    }
}
