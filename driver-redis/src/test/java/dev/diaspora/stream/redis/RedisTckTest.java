package dev.diaspora.stream.redis;

import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.tck.CrashableMember;
import dev.diaspora.stream.tck.DriverTck;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;

/**
 * The whole TCK against the Redis server at 127.0.0.1:6379, every test class run under its own key prefix (topic
 * names are fresh per test anyway); the keys are removed afterwards by {@link RedisTestServers#deletePrefix}.
 */
class RedisTckTest extends DriverTck {
    @BeforeAll
    static void needsRedis() {
        RedisTestServers.assumeSharedServer();
    }

    @org.junit.jupiter.api.AfterAll
    static void cleanUp() {
        RedisTestServers.deletePrefix(RedisTestServers.SHARED_URI, PREFIX);
    }

    private static final String PREFIX = RedisTestServers.uniquePrefix("tck");

    /** A member whose connection goes through a proxy that a crash closes (see {@link CrashableRedisMember}). */
    @Override
    public CrashableMember crashableMember(String topicName, ConsumerOptions options) {
        return CrashableRedisMember.open(currentDriverOptions(), topicName, options);
    }

    @Override
    protected String driverName() {
        return "redis";
    }

    @Override
    protected Metadata driverOptions(Path dir) {
        return Metadata.of("{\"uri\":\"" + RedisTestServers.SHARED_URI + "\",\"key_prefix\":\"" + PREFIX
                + "\",\"lease_ms\":3000}");
    }
}
