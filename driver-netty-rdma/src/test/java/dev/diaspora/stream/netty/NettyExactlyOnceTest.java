package dev.diaspora.stream.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.ProducerOptions;
import dev.diaspora.stream.TopicHandle;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14, item 3: four producers push while their partition server (a child JVM) is killed with SIGKILL and
 * restarted on the same root and port, {@value #KILLS} times. Pushes are sent again by the client after each lost
 * connection and deduplicated by the server (README, "Exactly-once appends"), so: no push fails (the delivery timeout,
 * 60 s, is never reached), every push is stored exactly once with the id its future gave, and each producer's events
 * are in push order in each partition.
 */
@Tag("integration")
class NettyExactlyOnceTest {
    private static final String TOPIC = "exactly-once";
    /**
     * The issue asks 50 ({@code -Ddiaspora.test.kills=50}). By default 10: a kill cycle is a child JVM start plus
     * every producer storing a batch in each partition, about 1.5 s on a quiet 2-core machine but 8 to 13 s on the
     * shared build machine at load 40 (where 50 would take over 8 minutes).
     */
    private static final int KILLS = Integer.getInteger("diaspora.test.kills", 10);
    private static final int PRODUCERS = 4;
    private static final int PARTITIONS = 2;
    private static final int MAX_DATA = 2048;
    /** Pushes a producer has in flight at most: bounds memory while the server is down. */
    private static final int WINDOW = 256;

    @TempDir
    Path dir;

    @Test
    @Timeout(300)
    void shouldStoreEveryPushExactlyOnceInOrderThroughFiftyServerKills() throws Exception {
        Path root = dir.resolve("server");
        ServerProcess child = ServerProcess.start(root, 0);
        int port = child.port();
        Metadata options = Metadata.of("{\"servers\":[\"" + child.address() + "\"],\"connect_timeout_ms\":1000,"
                + "\"delivery_timeout_ms\":60000}");
        Map<String, long[]> ok = new ConcurrentHashMap<>(); // "w/n" -> {partition, id}
        Map<String, Throwable> failed = new ConcurrentHashMap<>();
        AtomicLongArray okPerLane = new AtomicLongArray(PRODUCERS * PARTITIONS); // completed pushes per producer and
                                                                                   // partition
        AtomicLong inFlight = new AtomicLong();
        long started = System.nanoTime();
        try (Driver d = Driver.open("netty", options)) {
            d.createTopic(TOPIC, Metadata.of("{\"num_partitions\":" + PARTITIONS + "}"));
            List<Producer> producers = new ArrayList<>();
            List<Thread> threads = new ArrayList<>();
            boolean[] stop = {false};
            try (TopicHandle t = d.openTopic(TOPIC)) {
                for (int w = 0; w < PRODUCERS; w++) {
                    Producer producer = t.producer(ProducerOptions.named("eo-" + w));
                    producers.add(producer);
                    int worker = w;
                    Thread th = new Thread(() -> push(producer, worker, stop, ok, okPerLane, failed, inFlight), "eo-producer-" + w);
                    th.start();
                    threads.add(th);
                }
                long restarting = 0;
                for (int k = 0; k < KILLS; k++) {
                    // every producer stores a batch in every partition before the next kill: the batch each was
                    // sending again is stored, so no batch is carried over several kills (its delivery timeout
                    // counts from its first send)
                    awaitProgress(okPerLane, failed, "pushes of every producer before kill " + (k + 1));
                    child.kill();
                    long t0 = System.nanoTime();
                    child = ServerProcess.start(root, port);
                    restarting += System.nanoTime() - t0;
                }
                awaitProgress(okPerLane, failed, "pushes of every producer after the last restart");
                System.out.printf("NettyExactlyOnceTest: starting the server child took %d ms of the run%n",
                        restarting / 1_000_000);
                synchronized (stop) {
                    stop[0] = true;
                }
                for (Thread th : threads) {
                    th.join(30_000);
                }
                for (Producer p : producers) {
                    try {
                        p.flush().get(90, TimeUnit.SECONDS);
                    } catch (java.util.concurrent.ExecutionException e) {
                        // counted push by push below
                    }
                    p.close();
                }
                awaitTrue(() -> inFlight.get() == 0, 90_000, "every push future completes");
                System.out.printf("NettyExactlyOnceTest: %d kills in %d ms; pushes ok %d, failed %d%n", KILLS,
                        (System.nanoTime() - started) / 1_000_000, ok.size(), failed.size());
                assertTrue(failed.isEmpty(), failed.size() + " pushes failed, for example "
                        + failed.values().stream().findFirst().map(Throwable::toString).orElse(""));
                verify(t, ok);
            }
        } finally {
            child.close();
        }
    }

    private static void push(Producer producer, int worker, boolean[] stop, Map<String, long[]> ok,
            AtomicLongArray okPerLane, Map<String, Throwable> failed, AtomicLong inFlight) {
        Semaphore window = new Semaphore(WINDOW);
        for (long n = 0;; n++) {
            synchronized (stop) {
                if (stop[0]) {
                    return;
                }
            }
            try {
                window.acquire();
            } catch (InterruptedException e) {
                return;
            }
            long k = n;
            int p = (int) (k % PARTITIONS);
            String key = worker + "/" + k;
            inFlight.incrementAndGet();
            try {
                producer.push(Payload.metadata(worker, k), Payload.view(worker, k, MAX_DATA), p)
                        .whenComplete((id, err) -> {
                            if (err == null) {
                                ok.put(key, new long[] {p, id});
                                okPerLane.incrementAndGet(worker * PARTITIONS + p);
                            } else {
                                failed.put(key, err instanceof CompletionException && err.getCause() != null
                                        ? err.getCause() : err);
                            }
                            inFlight.decrementAndGet();
                            window.release();
                        });
            } catch (RuntimeException e) {
                failed.put(key, e);
                inFlight.decrementAndGet();
                window.release();
            }
        }
    }

    /** Reads everything back: each push once, with its future's id and its data, in push order per producer. */
    private static void verify(TopicHandle t, Map<String, long[]> ok) {
        long[] end = new long[PARTITIONS];
        for (int p = 0; p < PARTITIONS; p++) {
            end[p] = t.bounds(p).next();
        }
        Map<String, Long> seen = new HashMap<>();
        long[][] lastOf = new long[PRODUCERS][PARTITIONS];
        for (long[] l : lastOf) {
            java.util.Arrays.fill(l, -1);
        }
        long[] at = new long[PARTITIONS];
        try (Consumer c = t.consumer(ConsumerOptions.named("checker"))) {
            while (!reached(at, end)) {
                Optional<Event> o = c.poll(Duration.ofSeconds(10));
                assertTrue(o.isPresent(), "no event after " + java.util.Arrays.toString(at) + " of "
                        + java.util.Arrays.toString(end));
                Event e = o.get();
                int p = e.partition();
                at[p] = e.id() + 1;
                int w = Payload.producer(e);
                long n = Payload.number(e);
                String key = w + "/" + n;
                assertNull(Payload.mismatch(e, MAX_DATA));
                Long other = seen.put(key, e.id());
                assertNull(other, "push " + key + " stored twice: ids " + other + " and " + e.id());
                assertTrue(n > lastOf[w][p], "push " + key + " stored after push " + w + "/" + lastOf[w][p]
                        + " in partition " + p);
                lastOf[w][p] = n;
                long[] want = ok.get(key);
                if (want != null) {
                    assertEquals(want[1], e.id(), "id of push " + key + " as its future said");
                }
                e.acknowledge();
            }
        }
        for (Map.Entry<String, long[]> e : ok.entrySet()) {
            assertTrue(seen.containsKey(e.getKey()), "completed push " + e.getKey() + " is stored");
        }
        System.out.printf("NettyExactlyOnceTest: stored %d events, each once, in order per producer%n", seen.size());
    }

    /**
     * Waits (at most 60 s) until every producer completed a push in every partition since the call; fails at once if a
     * push failed.
     */
    private static void awaitProgress(AtomicLongArray okPerLane, Map<String, Throwable> failed, String what)
            throws InterruptedException {
        long[] before = new long[okPerLane.length()];
        for (int i = 0; i < before.length; i++) {
            before[i] = okPerLane.get(i);
        }
        awaitTrue(() -> {
            if (!failed.isEmpty()) {
                fail(failed.size() + " pushes failed to the user while waiting for " + what + ", for example "
                        + failed.entrySet().iterator().next());
            }
            for (int i = 0; i < before.length; i++) {
                if (okPerLane.get(i) == before[i]) {
                    return false;
                }
            }
            return true;
        }, 60_000, what);
    }

    private static boolean reached(long[] at, long[] end) {
        for (int p = 0; p < at.length; p++) {
            if (at[p] < end[p]) {
                return false;
            }
        }
        return true;
    }

    private static void awaitTrue(BooleanSupplier condition, long millis, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                fail("timed out after " + millis + " ms waiting for " + what);
            }
            Thread.sleep(5);
        }
    }
}
