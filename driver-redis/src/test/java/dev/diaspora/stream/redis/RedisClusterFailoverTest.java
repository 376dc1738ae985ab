package dev.diaspora.stream.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.tck.PushLoop;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Failover: in a private cluster of three masters with one replica each, the master serving partition 0 of a topic
 * ({@code slots: partition}) is killed while a producer pushes, and the cluster promotes its replica. Redis replicates
 * asynchronously, so the test checks what the README promises: every push that completed before the replica had
 * caught up with the master (checked from the servers' replication offsets before the kill) is still there, with its
 * content, once; every push that completed after the failover is there; pushes whose future completed in between may
 * be lost, and are counted.
 */
class RedisClusterFailoverTest {
    private static final int PARTITIONS = 3;

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 150, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void promotedReplicaKeepsWhatItHadAndTheProducerMovesToIt() throws Exception {
        try (RedisClusterProcess cluster = RedisClusterProcess.start(dir, 3, 1);
                Driver driver = Driver.open("redis", Metadata.of("{\"uri\":\"" + cluster.uri() + "\",\"cluster\":true,"
                        + "\"slots\":\"partition\",\"command_timeout_ms\":5000,\"connect_timeout_ms\":1000}"))) {
            driver.createTopic("failover", Metadata.of("{\"num_partitions\":" + PARTITIONS + "}"));
            TopicHandle topic = driver.openTopic("failover");
            Map<String, Integer> replicated;
            Map<String, Integer> completed;
            int afterFailover;
            try (PushLoop loop = PushLoop.start(topic, PARTITIONS, -1, "test-failover-producer")) {
                assertTrue(loop.awaitPushed(600, Duration.ofSeconds(30)), "the producer did not get going");
                int master = ownerOfPartition0(cluster);
                int replica = replicaOf(cluster, master);
                // what completed so far is on the replica once its offset reaches the master's current one
                replicated = new HashMap<>(loop.completed());
                long target = offset(cluster.cli(master, "info", "replication"), "master_repl_offset:");
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (offset(cluster.cli(replica, "info", "replication"), "slave_repl_offset:") < target) {
                    assertTrue(System.nanoTime() - until < 0, "the replica did not catch up with its master");
                    Thread.sleep(10);
                }
                cluster.kill(master);
                until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (!cluster.isMaster(replica)) {
                    assertTrue(System.nanoTime() - until < 0, "the replica on port " + replica + " was not promoted");
                    Thread.sleep(50);
                }
                cluster.awaitState(30);
                loop.markFault();
                until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (loop.completedAfterMark() < 300 && System.nanoTime() - until < 0) {
                    Thread.sleep(10);
                }
                loop.stop();
                assertTrue(loop.awaitEnd(Duration.ofSeconds(60)), "the producer did not finish");
                completed = loop.completed();
                afterFailover = loop.completedAfterMark();
                System.out.println("RedisClusterFailoverTest: killed master " + master + ", promoted " + replica
                        + "; pushed " + loop.pushed() + ", completed " + completed.size() + " (" + replicated.size()
                        + " known replicated, " + afterFailover + " after the failover), failed "
                        + loop.failures().size());
                // counted, not taken from the map: ids of completed events lost with the master are given again
                assertEquals(loop.pushed(), loop.completedCount() + loop.failures().size(), "every push completed or"
                        + " failed");
                assertTrue(afterFailover >= 300, "only " + afterFailover + " pushes completed after the failover");
            }
            Map<String, Integer> consumed = PushLoop.readBack(topic, "after-failover");
            for (Map.Entry<String, Integer> e : replicated.entrySet()) {
                assertEquals(e.getValue(), consumed.get(e.getKey()), "event " + e.getKey() + " completed and"
                        + " replicated before the failover is missing or has other content");
            }
            int lost = 0;
            Map<Integer, Integer> copies = new HashMap<>();
            for (int i : consumed.values()) {
                copies.merge(i, 1, Integer::sum);
            }
            for (Map.Entry<String, Integer> e : completed.entrySet()) {
                if (!e.getValue().equals(consumed.get(e.getKey()))) {
                    lost++;
                }
                Integer c = copies.get(e.getValue());
                assertTrue(c == null || c == 1, "event " + e.getValue() + " stored " + c + " times");
            }
            System.out.println("RedisClusterFailoverTest: completed pushes lost with the master (asynchronous"
                    + " replication): " + lost);
            assertTrue(lost <= completed.size() - replicated.size() - afterFailover, lost + " completed pushes"
                    + " lost, more than those that completed between the replication check and the failover");
        }
    }

    /** @return the port of the master whose slot holds partition 0's stream (asked of the cluster) */
    private static int ownerOfPartition0(RedisClusterProcess cluster) throws Exception {
        int any = cluster.ports().get(0);
        String inc = cluster.cli(any, "-c", "hget", "diaspora:{failover}:meta", "inc").strip();
        String key = "diaspora:{failover:" + inc + ":0}:s";
        for (int port : cluster.ports()) {
            if (cluster.isMaster(port) && cluster.cli(port, "exists", key).strip().equals("1")) {
                return port;
            }
        }
        throw new AssertionError("no master holds " + key);
    }

    /** @return the port of a replica of the master on {@code master} */
    private static int replicaOf(RedisClusterProcess cluster, int master) throws Exception {
        for (String line : cluster.cli(master, "info", "replication").split("\r?\n")) {
            if (line.startsWith("slave0:")) {
                for (String kv : line.substring(7).split(",")) {
                    if (kv.startsWith("port=")) {
                        return Integer.parseInt(kv.substring(5).strip());
                    }
                }
            }
        }
        throw new AssertionError("the master on port " + master + " has no replica");
    }

    private static long offset(String info, String field) {
        for (String line : info.split("\r?\n")) {
            if (line.startsWith(field)) {
                return Long.parseLong(line.substring(field.length()).strip());
            }
        }
        assertNotNull(null, "no " + field + " in " + info);
        return -1;
    }
}
