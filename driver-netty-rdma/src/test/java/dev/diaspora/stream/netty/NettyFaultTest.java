package dev.diaspora.stream.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerConflictException;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.ProducerOptions;
import dev.diaspora.stream.StartAt;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.spi.Backend;
import dev.diaspora.stream.spi.ReadSession;
import dev.diaspora.stream.spi.SessionConfig;
import dev.diaspora.stream.spi.TopicBackend;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a partition server (a child JVM, SIGKILL) while a producer pushes and a consumer reads, then restarts it on
 * the same root and port, and checks what the README's "Connection loss" section promises: clear retriable errors
 * naming the server while it is down, pushes succeeding again after the restart (the client reconnects), the running
 * consumer resuming with its leases, and every event whose push future completed stored once, in order, with its
 * data. Events whose futures failed may or may not be stored; the test prints how many were.
 */
@Tag("integration")
class NettyFaultTest {
    private static final String TOPIC = "fault";
    private static final int MAX_DATA = 4096;

    @TempDir
    Path dir;

    @Test
    @Timeout(150)
    void shouldReconnectAndKeepEveryCompletedEventWhenTheServerIsKilledAndRestarted() throws Exception {
        run(false);
    }

    @Test
    @Timeout(150)
    void shouldKeepTheOtherServerGoingWhileOneOfTwoIsKilledAndRestarted() throws Exception {
        run(true);
    }

    /**
     * Sessions are driven by hand here (no fetch thread), so the order is certain: a second client takes consumer x's
     * partition after the restart and before x's session reconnects; x's polls then fail with a conflict, while y's
     * session, which nobody took over, holds its lease again after it reconnects.
     */
    @Test
    @Timeout(90)
    void shouldRetakeLeasesAfterARestartOrReportTheConsumerThatLostOne() throws Exception {
        Path root = dir.resolve("leases");
        ServerProcess child = ServerProcess.start(root, 0);
        try {
            Metadata options = Metadata.of("{\"servers\":[\"" + child.address() + "\"],\"connect_timeout_ms\":1000}");
            try (Driver d = Driver.open("netty", options)) {
                d.createTopic(TOPIC, Metadata.of("{\"num_partitions\":1}"));
            }
            NettyDriverProvider provider = new NettyDriverProvider();
            try (Backend first = provider.open(provider.options().validate(options, "test"));
                    Backend second = provider.open(provider.options().validate(options, "test"));
                    TopicBackend t1 = first.openTopic(TOPIC); TopicBackend t2 = second.openTopic(TOPIC)) {
                ReadSession x = t1.openSession(new SessionConfig("x", new int[] {0}, StartAt.EARLIEST));
                ReadSession y = t1.openSession(new SessionConfig("y", new int[] {0}, StartAt.EARLIEST));
                child.kill();
                child = ServerProcess.start(root, child.port());
                ReadSession taken = t2.openSession(new SessionConfig("x", new int[] {0}, StartAt.EARLIEST));
                assertNull(y.poll(1, 1 << 20, 0)); // reconnects, takes both leases again: y's works, x's is taken
                ConsumerConflictException e = assertThrows(ConsumerConflictException.class,
                        () -> x.poll(1, 1 << 20, 0));
                assertTrue(e.getMessage().contains("'x'") && e.getMessage().contains(child.address()), e.getMessage());
                assertThrows(ConsumerConflictException.class,
                        () -> t2.openSession(new SessionConfig("y", new int[] {0}, StartAt.EARLIEST)));
                x.close();
                y.close();
                taken.close();
            }
        } finally {
            child.close();
        }
    }

    private void run(boolean twoServers) throws Exception {
        Path killedRoot = dir.resolve("killed");
        ServerProcess child = ServerProcess.start(killedRoot, 0);
        int port = child.port();
        String address = child.address();
        try (Servers other = twoServers ? Servers.start(dir.resolve("other"), 1) : null) {
            String topic = other == null ? TOPIC : PlacedNames.topic(TOPIC,
                    List.of(PlacedNames.serverId(killedRoot), other.list().get(0).serverId()));
            String list = "\"" + address + "\""
                    + (other == null ? "" : "," + other.serversJson().replaceAll("[\\[\\]]", ""));
            // delivery_timeout_ms 0: this test checks the errors of pushes that are not sent again (NettyExactlyOnceTest
            // checks the retries)
            Metadata options = Metadata.of("{\"servers\":[" + list + "],\"connect_timeout_ms\":1000,"
                    + "\"delivery_timeout_ms\":0}");
            int partitions = 2; // with two servers: partition 0 on the killed one, 1 on the other
            int servers = twoServers ? 2 : 1;
            Run run = new Run(partitions);
            try (Driver pd = Driver.open("netty", options); Driver cd = Driver.open("netty", options)) {
                pd.createTopic(topic, Metadata.of("{\"num_partitions\":" + partitions + "}"));
                try (TopicHandle pt = pd.openTopic(topic); TopicHandle ct = cd.openTopic(topic);
                        Producer producer = pt.producer(ProducerOptions.named("fault"));
                        Consumer live = ct.consumer(ConsumerOptions.named("live"))) {
                    Thread pushing = run.startProducer(producer);
                    Thread reading = run.startConsumer(live);
                    awaitTrue(() -> run.okTotal() > 2000, 60_000, "2000 pushes before the kill");

                    long killedAt = System.nanoTime();
                    child.kill();
                    run.killed = true;
                    // every partition of the killed server: clear retriable errors naming it
                    DiasporaException bounds = assertThrows(DiasporaException.class, () -> pt.bounds(0));
                    assertTrue(bounds.isRetriable(), "bounds while down: " + bounds);
                    assertTrue(bounds.getMessage().contains(address), "bounds while down: " + bounds);
                    awaitTrue(() -> run.pushErrorWhileDown.get() != null, 20_000, "a failed push while down");
                    Throwable pushError = run.pushErrorWhileDown.get();
                    assertTrue(pushError instanceof DiasporaException && ((DiasporaException) pushError).isRetriable()
                            && pushError.getMessage().contains(address), "push while down: " + pushError);
                    long[] aliveOk = run.okSnapshot();
                    Thread.sleep(1000);
                    if (twoServers) { // the other server's partitions go on, for the producer and the consumer
                        assertEquals(0, pt.bounds(1).first());
                        long[] now = run.okSnapshot();
                        assertTrue(now[1] > aliveOk[1], "pushes to the live server went on: " + aliveOk[1] + " -> "
                                + now[1]);
                        // at most request_timeout_ms (30 s): a data read to the dead server, if one was in flight at
                        // the kill, is retried that long by the consumer's only fetch thread (README)
                        long seen = run.liveNext.get(1);
                        long waitFrom = System.nanoTime();
                        awaitTrue(() -> run.liveNext.get(1) > seen, 40_000, "the consumer reads the live server");
                        System.out.printf("NettyFaultTest(2 servers): the consumer read the live server's partition"
                                + " again %d ms after the check began%n", (System.nanoTime() - waitFrom) / 1_000_000);
                    }
                    child = ServerProcess.start(killedRoot, port);
                    long restartedAt = System.nanoTime();
                    run.killed = false;
                    long downMillis = (System.nanoTime() - killedAt) / 1_000_000;
                    List<String> downErrors = run.consumerErrorsSince(0);
                    int consumerErrorsAtRestart = downErrors.size();
                    long[] atRestart = run.okSnapshot();
                    awaitTrue(() -> run.okSnapshot()[0] > atRestart[0] + 500, 30_000, "pushes to partition 0 after"
                            + " the restart");
                    run.stop = true;
                    pushing.join(30_000);
                    try {
                        producer.flush().get(30, TimeUnit.SECONDS);
                    } catch (java.util.concurrent.ExecutionException e) {
                        // failed pushes fail the flush too; they are counted one by one
                    }
                    awaitTrue(() -> run.inFlight.get() == 0, 30_000, "every push future completes");
                    long firstOkMillis = (run.firstOkAfterRestart.get() - restartedAt) / 1_000_000;
                    long[] maxOk = run.maxOkId();
                    boolean caughtUp = awaitQuietly(() -> run.caughtUp(maxOk), 20_000);
                    List<String> afterErrors = run.consumerErrorsSince(consumerErrorsAtRestart);
                    System.out.printf("NettyFaultTest(%d servers): down %d ms; first push ok %d ms after the"
                            + " restart; pushes ok %d, failed %d; live"
                            + " consumer caught up %s, %d errors while down (first: %s), %d after the restart"
                            + " (first: %s), anomalies %s%n", servers, downMillis, firstOkMillis, run.okTotal(),
                            run.failed.size(),
                            caughtUp, downErrors.size(), downErrors.isEmpty() ? "-" : downErrors.get(0),
                            afterErrors.size(), afterErrors.isEmpty() ? "-" : afterErrors.get(0), run.anomalies);
                    assertTrue(run.anomalies.isEmpty(), "the live consumer saw " + run.anomalies);
                    for (String e : downErrors) { // the consumer's pulls: retriable errors naming the server
                        assertTrue(e.contains("retriable true") && e.contains(address), e);
                    }
                    assertTrue(caughtUp, "the live consumer resumes after the restart: at " + run.liveNext
                            + ", completed up to " + java.util.Arrays.toString(maxOk));
                    // the live consumer took its leases again when it reconnected
                    try (Driver d = Driver.open("netty", options); TopicHandle t = d.openTopic(topic)) {
                        assertThrows(ConsumerConflictException.class,
                                () -> t.consumer(ConsumerOptions.named("live").targets(0)).close());
                    }
                    run.stopReading = true;
                    reading.interrupt();
                    reading.join(30_000);
                }
                verifyStored(options, topic, run, partitions, servers);
            }
        } finally {
            child.close();
        }
    }

    /** A fresh consumer reads everything: every completed push once, in order, with its data. */
    private static void verifyStored(Metadata options, String topic, Run run, int partitions, int servers) {
        try (Driver d = Driver.open("netty", options); TopicHandle t = d.openTopic(topic);
                Consumer c = t.consumer(ConsumerOptions.named("checker"))) {
            long[] end = new long[partitions];
            for (int p = 0; p < partitions; p++) {
                end[p] = t.bounds(p).next();
            }
            long[] at = new long[partitions];
            Map<Long, Long> seen = new HashMap<>();
            long storedFailed = 0;
            while (!reached(at, end)) {
                Optional<Event> o = c.poll(Duration.ofSeconds(10));
                assertTrue(o.isPresent(), "no event after " + java.util.Arrays.toString(at) + " of "
                        + java.util.Arrays.toString(end));
                Event e = o.get();
                int p = e.partition();
                assertEquals(at[p], e.id(), "ids of partition " + p + " are contiguous");
                at[p]++;
                long n = Payload.number(e);
                assertEquals(n % partitions, p, "push " + n + " went to partition " + (n % partitions));
                assertNull(Payload.mismatch(e, MAX_DATA));
                assertNull(seen.put(n, e.id()), "push " + n + " stored twice");
                long[] ok = run.ok.get(n);
                if (ok != null) {
                    assertEquals(e.id(), ok[1], "id of push " + n + " as its future said");
                } else {
                    storedFailed++;
                }
                e.acknowledge();
            }
            for (Map.Entry<Long, long[]> e : run.ok.entrySet()) {
                assertTrue(seen.containsKey(e.getKey()), "completed push " + e.getKey() + " (partition "
                        + e.getValue()[0] + ", id " + e.getValue()[1] + ") is stored");
            }
            System.out.printf("NettyFaultTest(%d servers): stored %d events; %d completed pushes all there; %d of %d"
                    + " failed pushes stored anyway%n", servers, seen.size(), run.ok.size(), storedFailed,
                    run.failed.size());
        }
    }

    private static boolean reached(long[] at, long[] end) {
        for (int p = 0; p < at.length; p++) {
            if (at[p] < end[p]) {
                return false;
            }
        }
        return true;
    }

    private static boolean awaitQuietly(BooleanSupplier condition, long millis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            Thread.sleep(20);
        }
        return true;
    }

    private static void awaitTrue(BooleanSupplier condition, long millis, String what) throws InterruptedException {
        if (!awaitQuietly(condition, millis)) {
            fail("timed out after " + millis + " ms waiting for " + what);
        }
    }

    /** The producer's and the live consumer's records of one run. */
    private static final class Run {
        final int partitions;
        final Map<Long, long[]> ok = new ConcurrentHashMap<>(); // push number -> {partition, id}
        final Map<Long, Throwable> failed = new ConcurrentHashMap<>();
        final AtomicLongArray okCount;
        final AtomicLong inFlight = new AtomicLong();
        final AtomicReference<Throwable> pushErrorWhileDown = new AtomicReference<>();
        final AtomicLong firstOkAfterRestart = new AtomicLong(); // nanoTime of the first push to partition 0 that
                                                                 // completed after the kill
        final AtomicLongArray liveNext; // the next id the live consumer expects per partition
        final List<String> anomalies = Collections.synchronizedList(new ArrayList<>());
        final List<String> consumerErrors = Collections.synchronizedList(new ArrayList<>());
        volatile boolean killed;
        volatile boolean stop;
        volatile boolean stopReading;

        Run(int partitions) {
            this.partitions = partitions;
            this.okCount = new AtomicLongArray(partitions);
            this.liveNext = new AtomicLongArray(partitions);
        }

        Thread startProducer(Producer producer) {
            Thread t = new Thread(() -> {
                for (long n = 0; !stop; n++) {
                    long k = n;
                    int p = (int) (k % partitions);
                    inFlight.incrementAndGet();
                    try {
                        producer.push(Payload.metadata(0, k), Payload.view(0, k, MAX_DATA), p).whenComplete(
                                (id, err) -> completed(k, p, id, err));
                    } catch (RuntimeException e) {
                        completed(k, p, null, e);
                    }
                    if (k % 16 == 0) {
                        pause(failed.isEmpty() ? 1 : 5);
                    }
                }
            }, "fault-producer");
            t.start();
            return t;
        }

        private void completed(long k, int p, Long id, Throwable err) {
            if (err == null) {
                ok.put(k, new long[] {p, id});
                if (p == 0 && pushErrorWhileDown.get() != null) {
                    firstOkAfterRestart.compareAndSet(0, System.nanoTime());
                }
                okCount.incrementAndGet(p);
            } else {
                Throwable cause = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
                failed.put(k, cause);
                if (killed && p == 0) {
                    pushErrorWhileDown.compareAndSet(null, cause);
                }
            }
            inFlight.decrementAndGet();
        }

        Thread startConsumer(Consumer live) {
            Thread t = new Thread(() -> {
                while (!stopReading) {
                    try {
                        Optional<Event> o = live.poll(Duration.ofMillis(200));
                        if (o.isEmpty()) {
                            continue;
                        }
                        Event e = o.get();
                        long want = liveNext.get(e.partition());
                        if (e.id() != want) {
                            anomalies.add("partition " + e.partition() + ": id " + e.id() + " after " + (want - 1));
                        }
                        String bad = Payload.mismatch(e, MAX_DATA);
                        if (bad != null) {
                            anomalies.add(bad);
                        }
                        liveNext.set(e.partition(), e.id() + 1);
                        e.acknowledge();
                    } catch (DiasporaException e) {
                        consumerErrors.add(e.getClass().getSimpleName() + "(retriable " + e.isRetriable() + "): "
                                + e.getMessage());
                        pause(50);
                    } catch (RuntimeException e) {
                        if (!stopReading) {
                            anomalies.add("consumer failed: " + e);
                        }
                        return;
                    }
                }
            }, "fault-consumer");
            t.start();
            return t;
        }

        long okTotal() {
            return ok.size();
        }

        long[] okSnapshot() {
            long[] s = new long[partitions];
            for (int p = 0; p < partitions; p++) {
                s[p] = okCount.get(p);
            }
            return s;
        }

        long[] maxOkId() {
            long[] m = new long[partitions];
            java.util.Arrays.fill(m, -1);
            for (long[] v : ok.values()) {
                m[(int) v[0]] = Math.max(m[(int) v[0]], v[1]);
            }
            return m;
        }

        boolean caughtUp(long[] maxOk) {
            for (int p = 0; p < partitions; p++) {
                if (liveNext.get(p) <= maxOk[p]) {
                    return false;
                }
            }
            return true;
        }

        List<String> consumerErrorsSince(int from) {
            synchronized (consumerErrors) {
                return new ArrayList<>(consumerErrors.subList(from, consumerErrors.size()));
            }
        }

        private static void pause(long millis) {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
