package dev.diaspora.stream.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.TopicHandle;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
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
                Driver driver = Driver.open("redis", Metadata.of("{\"uri\":\"" + server.uri()
                        + "\",\"command_timeout_ms\":20000,\"connect_timeout_ms\":1000}"))) {
            driver.createTopic("fault", Metadata.of("{\"num_partitions\":" + PARTITIONS + "}"));
            TopicHandle topic = driver.openTopic("fault");
            Map<String, Integer> completed = new ConcurrentHashMap<>(); // "p:id" -> event number
            List<String> failures = Collections.synchronizedList(new ArrayList<>());
            AtomicInteger pushed = new AtomicInteger();
            AtomicBoolean restarted = new AtomicBoolean();
            AtomicInteger afterRestart = new AtomicInteger();
            Thread producerThread = new Thread(() -> {
                try (Producer producer = topic.producer()) {
                    for (int i = 0; i < EVENTS; i++) {
                        int n = i;
                        int p = i % PARTITIONS;
                        CompletableFuture<Long> f = producer.push(Metadata.of("{\"i\":" + i + "}"),
                                DataView.of(new byte[] {(byte) i, (byte) (i >> 8)}), p);
                        f.whenComplete((id, err) -> {
                            if (err != null) {
                                failures.add(n + ": " + err);
                                return;
                            }
                            completed.put(p + ":" + id, n);
                            if (restarted.get()) {
                                afterRestart.incrementAndGet();
                            }
                        });
                        pushed.incrementAndGet();
                        if (i % 20 == 0) {
                            Thread.sleep(20);
                        }
                    }
                    try {
                        producer.flush().get(60, TimeUnit.SECONDS);
                    } catch (Exception e) {
                        // events pushed during the outage may have failed: only completed ones count
                    }
                } catch (Exception e) {
                    // close may report failures of events pushed during the outage
                }
            }, "test-fault-producer");
            producerThread.start();
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (pushed.get() < EVENTS / 3 && System.nanoTime() - until < 0) {
                Thread.sleep(10);
            }
            server.kill();
            Thread.sleep(1000);
            server.restart();
            restarted.set(true);
            producerThread.join(TimeUnit.SECONDS.toMillis(90));
            assertTrue(!producerThread.isAlive(), "the producer did not finish");
            System.out.println("RedisFaultTest: pushed " + pushed.get() + ", completed " + completed.size()
                    + ", completed after the restart " + afterRestart.get() + ", failed " + failures.size());
            assertEquals(EVENTS, completed.size() + failures.size(), "every push completed or failed");
            assertTrue(afterRestart.get() > 0, "no event completed after the restart: the fault was not exercised");

            Map<String, Integer> consumed = new TreeMap<>();
            int duplicates = 0;
            try (Consumer consumer = topic.consumer(ConsumerOptions.named("after"))) {
                while (true) {
                    Optional<Event> e = consumer.poll(Duration.ofSeconds(2));
                    if (e.isEmpty()) {
                        break;
                    }
                    Event ev = e.get();
                    int i = ev.metadata().json().get("i").asInt();
                    if (consumed.put(ev.partition() + ":" + ev.id(), i) != null) {
                        duplicates++;
                    }
                }
            }
            assertEquals(0, duplicates, "events read twice");
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
