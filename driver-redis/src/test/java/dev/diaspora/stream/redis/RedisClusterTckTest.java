package dev.diaspora.stream.redis;

import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.tck.DriverTck;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The whole TCK against a private Redis Cluster of three masters started for this class
 * ({@link RedisClusterProcess}), with {@code slots: partition}, so that each topic's partitions spread over the
 * masters: every script, read, position write and tailing read must keep to the keys of one slot. The crash hook
 * (G5) is not provided here (a proxy in front of every node would have to rewrite the topology the nodes announce);
 * {@link RedisTckTest} runs it on the single server.
 */
class RedisClusterTckTest extends DriverTck {
    private static Path dir;
    private static RedisClusterProcess cluster;

    @BeforeAll
    static void startCluster() throws Exception {
        dir = Files.createTempDirectory("diaspora-redis-cluster");
        cluster = RedisClusterProcess.start(dir, 3, 0);
    }

    @AfterAll
    static void stopCluster() throws IOException {
        if (cluster != null) {
            cluster.close();
        }
        if (dir != null) {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Override
    protected String driverName() {
        return "redis";
    }

    @Override
    protected Metadata driverOptions(Path testDir) {
        return Metadata.of("{\"uri\":\"" + cluster.uri() + "\",\"cluster\":true,\"slots\":\"partition\","
                + "\"lease_ms\":3000}");
    }
}
