package dev.diaspora.stream.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.tck.ExternalServers;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Security options against private servers: TLS (rediss://) with the server's certificate trusted through
 * {@code tls_ca_file}, refused without it, accepted with {@code tls_verify=false}; an ACL user with a token from a
 * file, refused with the wrong user, the token never in a message.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class RedisSecurityTest {
    @TempDir
    Path dir;

    /** A self-signed certificate for 127.0.0.1 made with openssl (skipped if openssl is missing). */
    private Path[] certificate() throws Exception {
        Path key = dir.resolve("key.pem");
        Path cert = dir.resolve("cert.pem");
        int rc;
        try {
            Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    key.toString(), "-out", cert.toString(), "-days", "1", "-subj", "/CN=127.0.0.1", "-addext",
                    "subjectAltName=IP:127.0.0.1").redirectErrorStream(true).redirectOutput(
                            ProcessBuilder.Redirect.DISCARD).start();
            rc = p.waitFor(30, TimeUnit.SECONDS) ? p.exitValue() : -1;
        } catch (java.io.IOException e) {
            rc = -1;
        }
        ExternalServers.assumeAvailable("openssl", rc == 0, "openssl could not make a test certificate; install"
                + " openssl");
        return new Path[] {cert, key};
    }

    private static void roundTrip(Driver d) throws Exception {
        d.createTopic("secure", Metadata.of("{}"));
        try (TopicHandle t = d.openTopic("secure")) {
            try (Producer p = t.producer()) {
                p.push(Metadata.of("{\"x\":1}"), DataView.of(new byte[] {4, 2})).get(10, TimeUnit.SECONDS);
            }
            try (Consumer c = t.consumer(ConsumerOptions.named("c"))) {
                assertEquals(2, c.poll(Duration.ofSeconds(10)).orElseThrow().data().size());
            }
        }
    }

    @Test
    void tlsWithTheServersCertificateTrusted() throws Exception {
        Path[] pem = certificate();
        try (RedisServerProcess server = RedisServerProcess.start(dir, "--port", "0", "--tls-port", "{port}",
                "--tls-cert-file", pem[0].toString(), "--tls-key-file", pem[1].toString(), "--tls-auth-clients",
                "no")) {
            String uri = "rediss://127.0.0.1:" + server.port();
            try (Driver d = Driver.open("redis", Metadata.of("{\"uri\":\"" + uri + "\",\"tls_ca_file\":\"" + pem[0]
                    + "\"}"))) {
                roundTrip(d);
            }
            DiasporaException e = assertThrows(DiasporaException.class, () -> Driver.open("redis", Metadata.of(
                    "{\"uri\":\"" + uri + "\",\"connect_timeout_ms\":3000}")));
            assertTrue(e.getMessage().contains("127.0.0.1:" + server.port()), e.getMessage());
            try (Driver d = Driver.open("redis", Metadata.of("{\"uri\":\"" + uri + "\",\"tls_verify\":false}"))) {
                assertTrue(d.listTopics().containsKey("secure"));
            }
        }
    }

    /**
     * The commands the README lists, and no others, on keys under the driver's prefix only: every operation works,
     * large values (kept in keys of their own) and consumer positions included. A command missing from the list
     * fails here with NOPERM naming it.
     */
    @Test
    void aclUserLimitedToTheDocumentedCommandsAndKeyPrefix() throws Exception {
        try (RedisServerProcess server = RedisServerProcess.start(dir)) {
            RedisClient admin = RedisTestServers.client(server.uri());
            try (StatefulRedisConnection<String, String> c = admin.connect()) {
                java.util.List<String> rules = new java.util.ArrayList<>(java.util.List.of("streamer", "on",
                        ">s3cret", "resetkeys", "~hpc:*", "resetchannels", "-@all"));
                for (String command : DOCUMENTED_COMMANDS.split("\\s+")) {
                    rules.add("+" + command.toLowerCase(java.util.Locale.ROOT));
                }
                c.sync().dispatch(io.lettuce.core.protocol.CommandType.ACL,
                        new io.lettuce.core.output.StatusOutput<>(io.lettuce.core.codec.StringCodec.UTF8),
                        new io.lettuce.core.protocol.CommandArgs<>(io.lettuce.core.codec.StringCodec.UTF8)
                                .add("SETUSER").addKeys(rules));
            }
            String options = "{\"uri\":\"redis://streamer:s3cret@127.0.0.1:" + server.port()
                    + "\",\"key_prefix\":\"hpc\"}";
            try (Driver d = Driver.open("redis", Metadata.of(options))) {
                roundTrip(d);
                d.createTopic("big", Metadata.of("{\"num_partitions\":2,\"retention.ms\":3600000}"));
                byte[] large = new byte[200_000];
                java.util.Arrays.fill(large, (byte) 7);
                try (TopicHandle t = d.openTopic("big")) {
                    try (Producer p = t.producer()) {
                        for (int i = 0; i < 4; i++) {
                            p.push(Metadata.of("{\"i\":" + i + "}"), DataView.of(i % 2 == 0 ? large
                                    : new byte[] {1})).get(10, TimeUnit.SECONDS);
                        }
                    }
                    try (Consumer c = t.consumer(ConsumerOptions.named("reader"))) {
                        long bytes = 0;
                        for (int i = 0; i < 4; i++) {
                            dev.diaspora.stream.Event e = c.poll(Duration.ofSeconds(10)).orElseThrow();
                            bytes += e.data().size();
                            e.acknowledge();
                        }
                        assertEquals(2L * large.length + 2, bytes);
                        assertTrue(c.poll(Duration.ofMillis(300)).isEmpty(), "tailing an idle topic");
                        c.commit().get(10, TimeUnit.SECONDS);
                    }
                    assertEquals(java.util.Set.of("reader"), t.consumerNames());
                    assertEquals(2, t.partitions().size());
                }
                assertTrue(d.listTopics().containsKey("big"));
                d.deleteTopic("big");
                d.deleteTopic("secure");
                assertFalse(d.listTopics().containsKey("big"));
            }
        }
    }

    /** The commands driver-redis/README.md lists under "ACL permissions" (kept equal by hand). */
    private static final String DOCUMENTED_COMMANDS = ""
            + "EVALSHA EVAL "
            + "XADD XRANGE XREAD XDEL TYPE EXISTS "
            + "GET MGET GETRANGE SET RENAME PERSIST PEXPIRE UNLINK DEL "
            + "HGET HMGET HGETALL HSET HDEL HINCRBY "
            + "SADD SMEMBERS SREM ZADD ZRANGE ZREM ZSCORE ZREMRANGEBYSCORE TIME";

    @Test
    void aclUserWithATokenFromAFile() throws Exception {
        try (RedisServerProcess server = RedisServerProcess.start(dir)) {
            RedisClient admin = RedisTestServers.client(server.uri());
            try (StatefulRedisConnection<String, String> c = admin.connect()) {
                c.sync().aclSetuser("streamer", io.lettuce.core.AclSetuserArgs.Builder.on()
                        .addPassword("s3cret-token").allKeys().allChannels().allCommands());
                c.sync().aclSetuser("default", io.lettuce.core.AclSetuserArgs.Builder.off());
            }
            Path token = Files.writeString(dir.resolve("token"), "s3cret-token\n");
            try (Driver d = Driver.open("redis", Metadata.of("{\"uri\":\"" + server.uri()
                    + "\",\"username\":\"streamer\",\"password_file\":\"" + token + "\"}"))) {
                roundTrip(d);
            }
            DiasporaException e = assertThrows(DiasporaException.class, () -> Driver.open("redis", Metadata.of(
                    "{\"uri\":\"" + server.uri() + "\",\"username\":\"intruder\",\"password_file\":\"" + token
                    + "\"}")));
            assertTrue(e.getMessage().contains("127.0.0.1:" + server.port()), e.getMessage());
            assertFalse(e.getMessage().contains("s3cret-token"), "the token leaked: " + e.getMessage());
            String viaUri = "redis://streamer:s3cret-token@127.0.0.1:" + server.port();
            try (Driver d = Driver.open("redis", Metadata.of("{\"uri\":\"" + viaUri + "\"}"))) {
                assertTrue(d.listTopics().containsKey("secure"));
            }
        }
    }
}
