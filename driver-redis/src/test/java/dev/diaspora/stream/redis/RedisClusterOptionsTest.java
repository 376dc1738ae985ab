package dev.diaspora.stream.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.InvalidOptionException;
import dev.diaspora.stream.Metadata;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The {@code cluster} and {@code slots} driver options: what they parse to, and the mistakes they refuse. */
class RedisClusterOptionsTest {
    private static RedisConfig config(String json) {
        RedisDriverProvider provider = new RedisDriverProvider();
        return new RedisConfig(provider.options().validate(Metadata.of(json), "driver options"));
    }

    @Test
    void clusterNodesAreCommaSeparatedAndTakeTheFirstScheme() {
        RedisConfig c = config("{\"uri\":\"rediss://n1:7000, n2:7001,rediss://n3:7002\",\"cluster\":true,"
                + "\"tls_verify\":false}");
        assertTrue(c.cluster);
        assertEquals(List.of("n1:7000", "n2:7001", "n3:7002"), c.seeds.stream().map(u -> u.getHost() + ":"
                + u.getPort()).toList());
        assertTrue(c.seeds.stream().allMatch(u -> u.isSsl() && !u.isVerifyPeer()), "TLS options apply to every node");
        assertEquals("cluster nodes rediss://n1:7000,rediss://n2:7001,rediss://n3:7002", c.address());
        assertFalse(c.slotPerPartition);
        assertTrue(config("{\"cluster\":true,\"slots\":\"partition\"}").slotPerPartition);
    }

    @Test
    void withoutClusterACommaIsNotAListOfNodesAndSentinelsAreNoCluster() {
        assertTrue(config("{}").seeds.isEmpty());
        RedisConfig sentinel = config("{\"uri\":\"redis-sentinel://s1:26379,s2:26379/0#mymaster\"}");
        assertEquals("sentinels s1:26379 s2:26379 master 'mymaster'", sentinel.address());
        InvalidOptionException e = assertThrows(InvalidOptionException.class,
                () -> config("{\"uri\":\"redis-sentinel://s1:26379/0#mymaster\",\"cluster\":true}"));
        assertTrue(e.getMessage().contains("Sentinels"), e.getMessage());
        assertThrows(InvalidOptionException.class, () -> config("{\"uri\":\" , \",\"cluster\":true}"));
        assertThrows(InvalidOptionException.class, () -> config("{\"slots\":\"node\"}"));
    }
}
