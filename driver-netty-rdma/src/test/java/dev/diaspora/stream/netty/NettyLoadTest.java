package dev.diaspora.stream.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.util.BitSet;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * 32 producers and 32 consumers (threads) on three partition servers on loopback for {@code netty.load.seconds}
 * (default 30): a topic of 8 partitions, events of mixed sizes up to 64 KiB, and 4 consumer names of 8 consumers each,
 * one partition per consumer (explicit targets), so that every event is consumed once per name. Memory stays bounded
 * by the producers' pending limits, the consumers' prefetch limits and a bound on how far the slowest name may lag
 * behind (the producers wait), which also keeps the final drain short. At the end the producers stop and flush, and
 * every name must have consumed exactly the events whose push futures completed, with contiguous ids per partition
 * and their data. Throughput is printed for information only.
 */
@Tag("integration")
class NettyLoadTest {
    private static final int PRODUCERS = 32;
    private static final int NAMES = 4;
    private static final int PARTITIONS = 8;
    private static final int MAX_DATA = 64 * 1024;
    /** Producers wait while the slowest consumer name is this many events behind, so the final drain stays short. */
    private static final long MAX_LAG = 20_000;

    @TempDir
    Path dir;

    @Test
    @Timeout(120)
    void shouldDeliverEveryCompletedEventOncePerConsumerNameUnderLoad() throws Exception {
        long seconds = Long.getLong("netty.load.seconds", 30);
        try (Servers servers = Servers.start(dir, 3);
                Driver producing = Driver.open("netty", servers.driverOptions());
                Driver consuming = Driver.open("netty", servers.driverOptions())) {
            producing.createTopic("load", Metadata.of("{\"num_partitions\":" + PARTITIONS + "}"));
            Pushed pushed = new Pushed();
            List<Reader> readers = new ArrayList<>();
            try (TopicHandle pt = producing.openTopic("load"); TopicHandle ct = consuming.openTopic("load")) {
                for (int g = 0; g < NAMES; g++) {
                    for (int p = 0; p < PARTITIONS; p++) {
                        readers.add(new Reader(ct.consumer(ConsumerOptions.named("g" + g).targets(p)
                                .maxPrefetchBytes(4L << 20)), p));
                    }
                }
                List<Thread> threads = new ArrayList<>();
                readers.forEach(r -> threads.add(start(r, "load-consumer")));
                long start = System.nanoTime();
                long stopAt = start + TimeUnit.SECONDS.toNanos(seconds);
                List<Producer> producers = new ArrayList<>();
                List<Thread> pushing = new ArrayList<>();
                for (int w = 0; w < PRODUCERS; w++) {
                    Producer producer = pt.producer(ProducerOptions.named("w" + w).maxPendingBytes(4L << 20)
                            .maxBatchBytes(1L << 20));
                    producers.add(producer);
                    int worker = w;
                    pushing.add(start(() -> pushed.pushUntil(producer, worker, stopAt, readers), "load-producer"));
                }
                for (Thread t : pushing) {
                    t.join(TimeUnit.SECONDS.toMillis(seconds + 30));
                }
                List<CompletableFuture<Void>> flushes = new ArrayList<>();
                producers.forEach(p -> flushes.add(p.flush()));
                CompletableFuture.allOf(flushes.toArray(new CompletableFuture<?>[0])).get(60, TimeUnit.SECONDS);
                long produced = System.nanoTime() - start;
                producers.forEach(Producer::close);
                long stored = 0;
                for (int p = 0; p < PARTITIONS; p++) {
                    stored += pt.bounds(p).next();
                }
                assertEquals(0, pushed.failed.get(), "failed pushes: " + pushed.firstFailure);
                assertEquals(pushed.events.get(), stored, "events stored = completed pushes");
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (consumed(readers) < stored * NAMES && System.nanoTime() - deadline < 0) {
                    Thread.sleep(50);
                }
                long elapsed = System.nanoTime() - start;
                readers.forEach(r -> r.stop = true);
                for (Thread t : threads) {
                    t.join(30_000);
                }
                System.out.printf("NettyLoadTest: %d producers, %d consumers (%d names), 3 servers, %d partitions:"
                        + " %d events, %.1f MB pushed in %.1f s (%.0f events/s, %.1f MB/s); consumed %d events,"
                        + " %.1f MB in %.1f s (%.0f events/s, %.1f MB/s)%n", PRODUCERS, readers.size(), NAMES,
                        PARTITIONS, pushed.events.get(), pushed.bytes.get() / 1e6, produced / 1e9,
                        pushed.events.get() / (produced / 1e9), pushed.bytes.get() / 1e6 / (produced / 1e9),
                        consumed(readers), bytes(readers) / 1e6, elapsed / 1e9, consumed(readers) / (elapsed / 1e9),
                        bytes(readers) / 1e6 / (elapsed / 1e9));
                for (Reader r : readers) {
                    r.consumer.close();
                    assertTrue(r.problems.isEmpty(), r.consumer.name() + " partition " + r.partition + ": "
                            + r.problems);
                }
                for (int g = 0; g < NAMES; g++) {
                    for (int w = 0; w < PRODUCERS; w++) {
                        BitSet seen = new BitSet();
                        for (Reader r : readers.subList(g * PARTITIONS, (g + 1) * PARTITIONS)) {
                            BitSet s = r.seen(w);
                            assertTrue(!seen.intersects(s), "g" + g + " consumed events of w" + w + " twice");
                            seen.or(s);
                        }
                        assertEquals(pushed.completed(w), seen, "g" + g + " consumed the completed pushes of w" + w);
                    }
                }
            }
        }
    }

    private static Thread start(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.start();
        return t;
    }

    private static long consumed(List<Reader> readers) {
        return readers.stream().mapToLong(r -> r.count).sum();
    }

    private static long bytes(List<Reader> readers) {
        return readers.stream().mapToLong(r -> r.bytes).sum();
    }

    /** What the producers pushed: per producer, the numbers whose futures completed. */
    private static final class Pushed {
        final List<BitSet> ok = new ArrayList<>();
        final AtomicLong events = new AtomicLong();
        final AtomicLong bytes = new AtomicLong();
        final AtomicLong failed = new AtomicLong();
        volatile Throwable firstFailure;

        Pushed() {
            for (int w = 0; w < PRODUCERS; w++) {
                ok.add(new BitSet());
            }
        }

        void pushUntil(Producer producer, int w, long stopAt, List<Reader> readers) {
            for (int n = 0; System.nanoTime() - stopAt < 0; n++) {
                if (n % 64 == 0) {
                    awaitConsumers(readers, stopAt);
                }
                int k = n;
                byte[] data = Payload.data(w, k, MAX_DATA);
                producer.push(Payload.metadata(w, k), dev.diaspora.stream.DataView.of(data), (w + k) % PARTITIONS)
                        .whenComplete((id, err) -> {
                            if (err != null) {
                                failed.incrementAndGet();
                                firstFailure = err;
                                return;
                            }
                            BitSet b = ok.get(w);
                            synchronized (b) {
                                b.set(k);
                            }
                            events.incrementAndGet();
                            bytes.addAndGet(data.length);
                        });
            }
        }

        private void awaitConsumers(List<Reader> readers, long stopAt) {
            while (events.get() - slowestName(readers) > MAX_LAG && System.nanoTime() - stopAt < 0) {
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }

        private static long slowestName(List<Reader> readers) {
            long min = Long.MAX_VALUE;
            for (int g = 0; g < NAMES; g++) {
                min = Math.min(min, consumed(readers.subList(g * PARTITIONS, (g + 1) * PARTITIONS)));
            }
            return min;
        }

        BitSet completed(int w) {
            BitSet b = ok.get(w);
            synchronized (b) {
                return (BitSet) b.clone();
            }
        }
    }

    /** One consumer thread: one partition, ids contiguous from 0, data checked, numbers recorded per producer. */
    private static final class Reader implements Runnable {
        final Consumer consumer;
        final int partition;
        final List<BitSet> seen = new ArrayList<>(); // guarded by itself
        final List<String> problems = Collections.synchronizedList(new ArrayList<>());
        volatile long count;
        volatile long bytes;
        volatile boolean stop;
        private long next;

        Reader(Consumer consumer, int partition) {
            this.consumer = consumer;
            this.partition = partition;
            for (int w = 0; w < PRODUCERS; w++) {
                seen.add(new BitSet());
            }
        }

        @Override
        public void run() {
            try {
                while (!stop) {
                    Optional<Event> o = consumer.poll(Duration.ofMillis(100));
                    if (o.isEmpty()) {
                        continue;
                    }
                    Event e = o.get();
                    if (e.partition() != partition || e.id() != next) {
                        problems.add("got " + e.partition() + "/" + e.id() + ", expected " + partition + "/" + next);
                    }
                    next = e.id() + 1;
                    String bad = Payload.mismatch(e, MAX_DATA);
                    if (bad != null) {
                        problems.add(bad);
                    }
                    int w = Payload.producer(e);
                    long n = Payload.number(e);
                    synchronized (seen) {
                        if (seen.get(w).get((int) n)) {
                            problems.add("w" + w + "/" + n + " consumed twice");
                        }
                        seen.get(w).set((int) n);
                    }
                    bytes += e.data().size();
                    count++;
                    e.acknowledge();
                }
            } catch (RuntimeException e) {
                problems.add("consumer failed: " + e);
            }
        }

        BitSet seen(int w) {
            synchronized (seen) {
                return (BitSet) seen.get(w).clone();
            }
        }
    }
}
