package dev.diaspora.stream.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.tck.PushLoop;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fault: a private redis-server (AOF, fsync always) is killed with SIGKILL and restarted on the same port and
 * directory while a producer pushes; afterwards every event whose push future completed is in the topic exactly once,
 * with its content, ids dense from 0, and a consumer reads them all after the restart.
 */
class RedisFaultTest {
    private static final int PARTITIONS = 2;
    private static final int EVENTS = 1500;

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void serverKilledAndRestartedLosesAndDuplicatesNoCompletedEvent() throws Exception {
        try (RedisServerProcess server = RedisServerProcess.start(dir);
                Driver driver = server.openDriver("\"command_timeout_ms\":20000,\"connect_timeout_ms\":1000")) {
            driver.createTopic("fault", Metadata.of("{\"num_partitions\":" + PARTITIONS + "}"));
            TopicHandle topic = driver.openTopic("fault");
            Map<String, Integer> completed;
            try (PushLoop loop = PushLoop.start(topic, PARTITIONS, EVENTS, "test-fault-producer")) {
                loop.awaitPushed(EVENTS / 3, Duration.ofSeconds(30));
                server.kill();
                Thread.sleep(1000); // the server stays down for a while, as in an outage
                server.restart();
                loop.markFault();
                assertTrue(loop.awaitEnd(Duration.ofSeconds(90)), "the producer did not finish");
                completed = loop.completed();
                System.out.println("RedisFaultTest: pushed " + loop.pushed() + ", completed " + completed.size()
                        + ", completed after the restart " + loop.completedAfterMark() + ", failed "
                        + loop.failures().size());
                assertEquals(EVENTS, completed.size() + loop.failures().size(), "every push completed or failed");
                assertTrue(loop.completedAfterMark() > 0, "no event completed after the restart: the fault was not"
                        + " exercised");
            }

            Map<String, Integer> consumed = PushLoop.readBack(topic, "after");
            Map<Integer, Integer> copies = new TreeMap<>();
            for (int i : consumed.values()) {
                copies.merge(i, 1, Integer::sum);
            }
            for (Map.Entry<String, Integer> e : completed.entrySet()) {
                assertEquals(e.getValue(), consumed.get(e.getKey()), "completed event " + e.getKey()
                        + " missing or with the wrong content after the restart");
                assertEquals(1, copies.get(e.getValue()), "completed event " + e.getValue() + " stored "
                        + copies.get(e.getValue()) + " times");
            }
            for (int p = 0; p < PARTITIONS; p++) {
                long next = topic.bounds(p).next();
                for (long id = 0; id < next; id++) {
                    assertTrue(consumed.containsKey(p + ":" + id), "partition " + p + ": id " + id + " missing of "
                            + next);
                }
            }
        }
    }
}
