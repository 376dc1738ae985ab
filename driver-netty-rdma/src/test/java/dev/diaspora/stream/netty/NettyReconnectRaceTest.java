package dev.diaspora.stream.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.TopicHandle;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Requests racing a reconnect: while the server drops the driver's connection again and again (both sides live),
 * threads keep asking for a partition's bounds. A request may fail with a retriable connection error, but never
 * reaches the new connection with the topic handle of the old one (the server would answer "unknown topic handle").
 */
class NettyReconnectRaceTest {
    private static final int THREADS = 4;
    private static final int DROPS = 20;

    @TempDir
    Path dir;

    @Test
    @Timeout(60)
    void shouldNeverSendAHandleOfAnEarlierConnection() throws Exception {
        try (Servers servers = Servers.start(dir, 1);
                Driver driver = Driver.open("netty", servers.driverOptions("\"connect_timeout_ms\":2000"))) {
            driver.createTopic("race", Metadata.of("{\"num_partitions\":1}"));
            try (TopicHandle t = driver.openTopic("race")) {
                AtomicBoolean stop = new AtomicBoolean();
                AtomicLong answered = new AtomicLong();
                AtomicLong retriable = new AtomicLong();
                ConcurrentLinkedQueue<Throwable> wrong = new ConcurrentLinkedQueue<>();
                List<Thread> threads = new ArrayList<>();
                for (int i = 0; i < THREADS; i++) {
                    Thread th = new Thread(() -> {
                        while (!stop.get()) {
                            try {
                                t.bounds(0);
                                answered.incrementAndGet();
                            } catch (DiasporaException e) {
                                if (e.isRetriable() && !String.valueOf(e.getMessage()).contains("unknown topic handle")) {
                                    retriable.incrementAndGet();
                                } else {
                                    wrong.add(e);
                                }
                            }
                        }
                    }, "race-" + i);
                    threads.add(th);
                    th.start();
                }
                for (int d = 0; d < DROPS; d++) {
                    long seen = answered.get();
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                    while (answered.get() < seen + 20 && System.nanoTime() < deadline) {
                        Thread.sleep(1); // until the requests flow again on the new connection
                    }
                    servers.first().dropConnections();
                }
                stop.set(true);
                for (Thread th : threads) {
                    th.join(10_000);
                }
                System.out.println("bounds answered " + answered.get() + ", retriable failures " + retriable.get());
                assertEquals(List.of(), new ArrayList<>(wrong), "failures other than a retriable lost connection");
                assertTrue(answered.get() > DROPS * 10L, "the requests flowed between the drops: " + answered.get());
            }
        }
    }
}
