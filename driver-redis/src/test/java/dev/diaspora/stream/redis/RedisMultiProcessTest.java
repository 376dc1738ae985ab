package dev.diaspora.stream.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.TopicHandle;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Two producer processes on one partition: ids dense from 0, no duplicate, no event missing, each writer in order. */
class RedisMultiProcessTest {
    private static final String PREFIX = RedisTestServers.uniquePrefix("multi");
    private static final int EACH = 1000;

    @BeforeAll
    static void needsRedis() {
        RedisTestServers.assumeSharedServer();
    }

    @AfterAll
    static void cleanUp() {
        RedisTestServers.deletePrefix(RedisTestServers.SHARED_URI, PREFIX);
    }

    @Test
    @Timeout(value = 90, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void twoProducerProcessesNeverShareOrSkipAnId() throws Exception {
        try (Driver d = Driver.open("redis", Metadata.of("{\"uri\":\"" + RedisTestServers.SHARED_URI
                + "\",\"key_prefix\":\"" + PREFIX + "\"}"))) {
            d.createTopic("two", Metadata.of("{}"));
            List<Process> children = new ArrayList<>();
            for (String w : new String[] {"a", "b"}) {
                children.add(new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp",
                        System.getProperty("java.class.path"), ProducerMain.class.getName(),
                        RedisTestServers.SHARED_URI, PREFIX, "two", w, Integer.toString(EACH))
                        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start());
            }
            for (Process c : children) {
                assertTrue(c.waitFor(60, TimeUnit.SECONDS), "a producer process did not finish");
                assertEquals(0, c.exitValue(), "a producer process failed");
            }
            try (TopicHandle t = d.openTopic("two"); Consumer c = t.consumer(ConsumerOptions.named("check"))) {
                assertEquals(2L * EACH, t.bounds(0).next(), "next id after both writers");
                Set<String> seen = new HashSet<>();
                int[] last = {-1, -1};
                for (long id = 0; id < 2L * EACH; id++) {
                    Optional<Event> e = c.poll(Duration.ofSeconds(10));
                    assertTrue(e.isPresent(), "event " + id + " missing");
                    assertEquals(id, e.get().id(), "ids are not dense");
                    String w = e.get().metadata().json().get("w").asText();
                    int i = e.get().metadata().json().get("i").asInt();
                    assertTrue(seen.add(w + i), "event " + w + i + " stored twice");
                    int k = w.equals("a") ? 0 : 1;
                    assertEquals(last[k] + 1, i, "writer " + w + " out of order at id " + id);
                    last[k] = i;
                }
                assertEquals(2 * EACH, seen.size());
            }
        }
    }
}
