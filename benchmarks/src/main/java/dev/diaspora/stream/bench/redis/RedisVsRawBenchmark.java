package dev.diaspora.stream.bench.redis;

import dev.diaspora.stream.BatchSize;
import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.ProducerOptions;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.bench.ProcessCpu;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * The {@code redis} driver against raw Lettuce doing the same work, on one Redis server, in one run: per event size,
 * a producer pushes the same events and a consumer reads them back, each mode on a fresh one-partition topic (raw: a
 * fresh stream) under a key prefix of its own, deleted afterwards. Modes alternate within each repetition; a warm-up
 * repetition is not counted.
 *
 * <p>Raw producer: per batch of {@code --batch} events, that many {@code XADD} commands (fields {@code m}, {@code d};
 * automatic ids) pipelined on one connection, at most {@code --inflight} batches outstanding, timed until the last
 * answer. Driver producer: {@code push(metadata, data)} per event with {@code BatchSize.of(--batch)} and
 * {@code maxInFlightBatches(--inflight)}, timed until {@code flush()} completes (the driver also assigns dense ids and
 * stores data apart from metadata in the same round trip, which the raw peer does not). Raw consumer: {@code XRANGE}
 * of {@code --batch} entries at a time, data included (one copy per value, as Lettuce decodes it); driver consumer:
 * {@code poll} per event, selector {@code ALL}, heap allocator.
 *
 * <p>Usage: {@code benchmarks/bin/redis-vs-raw [--uri
 * redis://127.0.0.1:6379] [--sizes 100,1024,65536] [--mb 50] [--reps 3] [--batch 64] [--inflight 4]}. Prints one
 * line per (size, mode, repetition) and a summary of medians with the driver/raw ratios, of the rates and of the CPU
 * time per event of this process and of the Redis server (a figure that a loaded machine disturbs far less than a
 * rate; the server's is only the benchmark's own on a server of its own).
 *
 * <p>Thread safety: a program; confined to its calling thread.
 */
public final class RedisVsRawBenchmark {
    private static final byte[] METADATA = "{\"frame\":12345,\"detector\":\"a\"}".getBytes(StandardCharsets.UTF_8);

    private RedisVsRawBenchmark() {
    }

    /** Runs the benchmark. */
    public static void main(String[] args) throws Exception {
        run(args, System.out);
    }

    /** Runs it, printing to {@code out}; returns the summary lines. */
    public static List<String> run(String[] args, PrintStream out) throws Exception {
        String uri = "redis://127.0.0.1:6379";
        int[] sizes = {100, 1024, 65536};
        double mb = 50;
        int reps = 3;
        int batch = 64;
        int inflight = 4;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--uri" -> uri = args[i + 1];
                case "--sizes" -> sizes = java.util.Arrays.stream(args[i + 1].split(",")).mapToInt(Integer::parseInt)
                        .toArray();
                case "--mb" -> mb = Double.parseDouble(args[i + 1]);
                case "--reps" -> reps = Integer.parseInt(args[i + 1]);
                case "--batch" -> batch = Integer.parseInt(args[i + 1]);
                case "--inflight" -> inflight = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory
                .getOperatingSystemMXBean();
        out.printf(Locale.ROOT, "# JDK %s, %d cores, load before: %.2f%n", Runtime.version(),
                os.getAvailableProcessors(), os.getSystemLoadAverage());
        String prefix = "bench-" + UUID.randomUUID().toString().substring(0, 8);
        List<String> summary = new ArrayList<>();
        RedisClient client = RedisClient.create(uri);
        try (StatefulRedisConnection<byte[], byte[]> raw = client.connect(ByteArrayCodec.INSTANCE);
                Driver driver = Driver.open("redis", Metadata.of("{\"uri\":\"" + uri + "\",\"key_prefix\":\"" + prefix
                        + "\"}"))) {
            for (int size : sizes) {
                int events = (int) Math.max(8, mb * 1_000_000 / (size + METADATA.length));
                byte[] data = new byte[size];
                new java.util.Random(size).nextBytes(data);
                double[][] rates = new double[4][reps]; // raw produce, driver produce, raw consume, driver consume
                double[][] cpuClient = new double[4][reps]; // CPU microseconds per event of this process, same order
                double[][] cpuServer = new double[4][reps]; // and of the Redis server
                for (int rep = -1; rep < reps; rep++) {
                    int n = rep < 0 ? events / 4 : events;
                    String stream = prefix + ":raw:" + size + ":" + rep;
                    String topic = "t" + size + "r" + (rep + 1);
                    double[] r = new double[4];
                    double[][] cpu = new double[4][2];
                    boolean rawFirst = rep % 2 == 0;
                    for (int k = 0; k < 2; k++) {
                        double[] c0 = cpu(raw);
                        if ((k == 0) == rawFirst) {
                            r[0] = rawProduce(raw.async(), stream, data, n, batch, inflight);
                            double[] c1 = cpu(raw);
                            r[2] = rawConsume(raw.async(), stream, n, batch);
                            perEvent(cpu[0], c0, c1, n);
                            perEvent(cpu[2], c1, cpu(raw), n);
                        } else {
                            r[1] = driverProduce(driver, topic, data, n, batch, inflight);
                            double[] c1 = cpu(raw);
                            r[3] = driverConsume(driver, topic, n);
                            perEvent(cpu[1], c0, c1, n);
                            perEvent(cpu[3], c1, cpu(raw), n);
                        }
                    }
                    raw.sync().unlink(stream.getBytes(StandardCharsets.UTF_8));
                    driver.deleteTopic(topic);
                    if (rep >= 0) {
                        for (int m = 0; m < 4; m++) {
                            rates[m][rep] = r[m];
                            cpuClient[m][rep] = cpu[m][0];
                            cpuServer[m][rep] = cpu[m][1];
                        }
                    }
                    out.printf(Locale.ROOT, "size %d rep %s: produce raw %.0f driver %.0f ev/s; consume raw %.0f"
                            + " driver %.0f ev/s; CPU us/event client+server: produce raw %.1f+%.1f driver %.1f+%.1f,"
                            + " consume raw %.1f+%.1f driver %.1f+%.1f%n", size, rep < 0 ? "warm-up"
                            : Integer.toString(rep), r[0], r[1], r[2], r[3], cpu[0][0], cpu[0][1], cpu[1][0],
                            cpu[1][1], cpu[2][0], cpu[2][1], cpu[3][0], cpu[3][1]);
                }
                String line = String.format(Locale.ROOT, "size %d (%d events, batch %d, inflight %d): produce raw %.0f"
                        + " driver %.0f ev/s (driver/raw %.2f); consume raw %.0f driver %.0f ev/s (driver/raw %.2f)",
                        size, events, batch, inflight, median(rates[0]), median(rates[1]),
                        median(rates[1]) / median(rates[0]), median(rates[2]), median(rates[3]),
                        median(rates[3]) / median(rates[2]));
                summary.add(line);
                out.println(line);
                String cpuLine = String.format(Locale.ROOT, "size %d CPU us/event (medians) client+server: produce"
                        + " raw %.1f+%.1f driver %.1f+%.1f (driver/raw %.2f); consume raw %.1f+%.1f driver %.1f+%.1f"
                        + " (driver/raw %.2f)", size, median(cpuClient[0]), median(cpuServer[0]), median(cpuClient[1]),
                        median(cpuServer[1]), (median(cpuClient[1]) + median(cpuServer[1])) / (median(cpuClient[0])
                        + median(cpuServer[0])), median(cpuClient[2]), median(cpuServer[2]), median(cpuClient[3]),
                        median(cpuServer[3]), (median(cpuClient[3]) + median(cpuServer[3])) / (median(cpuClient[2])
                        + median(cpuServer[2])));
                summary.add(cpuLine);
                out.println(cpuLine);
            }
        } finally {
            cleanUp(client, prefix);
            client.shutdown();
        }
        out.printf(Locale.ROOT, "# load after: %.2f%n", os.getSystemLoadAverage());
        return summary;
    }

    private static double rawProduce(RedisAsyncCommands<byte[], byte[]> r, String stream, byte[] data, int n,
            int batch, int inflight) {
        byte[] key = stream.getBytes(StandardCharsets.UTF_8);
        byte[] m = "m".getBytes(StandardCharsets.UTF_8);
        byte[] d = "d".getBytes(StandardCharsets.UTF_8);
        ArrayDeque<List<RedisFuture<String>>> outstanding = new ArrayDeque<>();
        long start = System.nanoTime();
        for (int sent = 0; sent < n; sent += batch) {
            List<RedisFuture<String>> b = new ArrayList<>(batch);
            for (int i = sent; i < Math.min(n, sent + batch); i++) {
                b.add(r.xadd(key, java.util.Map.of(m, METADATA, d, data)));
            }
            outstanding.add(b);
            if (outstanding.size() >= inflight) {
                awaitAll(outstanding.poll());
            }
        }
        while (!outstanding.isEmpty()) {
            awaitAll(outstanding.poll());
        }
        return n / ((System.nanoTime() - start) / 1e9);
    }

    private static void awaitAll(List<RedisFuture<String>> batch) {
        for (RedisFuture<String> f : batch) {
            f.toCompletableFuture().join();
        }
    }

    private static double rawConsume(RedisAsyncCommands<byte[], byte[]> r, String stream, int n, int batch) {
        byte[] key = stream.getBytes(StandardCharsets.UTF_8);
        long start = System.nanoTime();
        String from = "-";
        int seen = 0;
        long bytes = 0;
        while (seen < n) {
            List<StreamMessage<byte[], byte[]>> got = r.xrange(key, Range.create(from, "+"), Limit.from(batch))
                    .toCompletableFuture().join();
            for (StreamMessage<byte[], byte[]> e : got) {
                for (byte[] v : e.getBody().values()) {
                    bytes += v.length;
                }
            }
            seen += got.size();
            from = "(" + got.get(got.size() - 1).getId();
        }
        if (bytes < 0) {
            throw new IllegalStateException();
        }
        return n / ((System.nanoTime() - start) / 1e9);
    }

    private static double driverProduce(Driver driver, String topic, byte[] data, int n, int batch, int inflight) {
        driver.createTopic(topic, Metadata.of("{}"));
        Metadata metadata = Metadata.of(new String(METADATA, StandardCharsets.UTF_8));
        try (TopicHandle t = driver.openTopic(topic); Producer p = t.producer(ProducerOptions.defaults()
                .batchSize(BatchSize.of(batch)).maxInFlightBatches(inflight))) {
            long start = System.nanoTime();
            for (int i = 0; i < n; i++) {
                p.push(metadata, DataView.of(data));
            }
            p.flush().join();
            return n / ((System.nanoTime() - start) / 1e9);
        }
    }

    private static double driverConsume(Driver driver, String topic, int n) {
        try (TopicHandle t = driver.openTopic(topic); Consumer c = t.consumer(ConsumerOptions.named("bench"))) {
            long start = System.nanoTime();
            long bytes = 0;
            for (int i = 0; i < n; i++) {
                bytes += c.poll(Duration.ofSeconds(30)).orElseThrow().data().size();
            }
            if (bytes < 0) {
                throw new IllegalStateException();
            }
            return n / ((System.nanoTime() - start) / 1e9);
        }
    }

    /**
     * @return the CPU time so far of this process (all its threads: the client's work, wherever it runs) and of the
     *     Redis server (all its threads, as {@code INFO cpu} reports them), in microseconds. The server's figure
     *     includes other clients' work: use a server of the benchmark's own for it ({@code --uri}).
     */
    private static double[] cpu(StatefulRedisConnection<byte[], byte[]> raw) {
        double self = ProcessCpu.nanos() / 1e3;
        double server = 0;
        for (String line : raw.sync().info("cpu").split("\r?\n")) {
            if (line.startsWith("used_cpu_sys:") || line.startsWith("used_cpu_user:")) {
                server += Double.parseDouble(line.substring(line.indexOf(':') + 1).trim()) * 1e6;
            }
        }
        return new double[] {self, server};
    }

    private static void perEvent(double[] into, double[] before, double[] after, int n) {
        into[0] = (after[0] - before[0]) / n;
        into[1] = (after[1] - before[1]) / n;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        java.util.Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static void cleanUp(RedisClient client, String prefix) {
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            List<String> keys = c.sync().keys(prefix + ":*");
            if (!keys.isEmpty()) {
                c.sync().unlink(keys.toArray(new String[0]));
            }
        }
    }
}
