package dev.diaspora.stream.bench.rabbitmq;

import com.rabbitmq.stream.Environment;
import com.rabbitmq.stream.OffsetSpecification;
import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.bench.ProcessCpu;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The {@code rabbitmq} driver against the raw RabbitMQ stream client doing the same work, on one server, in one run.
 * Every (size, mode) pair gets a fresh one-partition topic (stream) per repetition, the modes interleaved in a rotating
 * order so that a shared machine's noise hits both alike; a warm-up repetition (a quarter of the events) is not
 * counted.
 *
 * <p>Raw producer: a named producer (deduplication on, as the driver's), one message per event whose body has the
 * driver's size (its 24-byte event header, the metadata, the data), timed until every confirm arrived. Driver
 * producer: {@code push} per event, timed until {@code flush()} completes (the driver also reads its own messages
 * back to learn their offsets: that cost is part of what is measured). Raw consumer: a subscription from the first
 * offset that copies each body once ({@code getBodyAsBinary}), timed until the last message; driver consumer:
 * {@code poll} per event with the default heap allocator, timed the same way.
 *
 * <p>Each phase also reports the CPU time this JVM spent per event (every thread: client, driver, engine, JIT and
 * GC; not the server's): on a loaded machine events/s of both sides fall with the CPU they get, while the CPU an event
 * costs the client stays comparable.
 *
 * <p>Usage: {@code benchmarks/bin/rabbitmq-vs-raw [--reps 3] [--sizes 100,1024,65536] [--mb 50] [--metadata 32]
 * [--host 127.0.0.1] [--port 5552] [--warmup true]}.
 *
 * <p>Thread safety: a program; {@link #run} is confined to its calling thread.
 */
public final class RabbitVsRawBenchmark {
    private static final int EVENT_HEADER = 24;

    private RabbitVsRawBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        run(args, System.out);
    }

    /** Runs the benchmark; returns events/s per {@code size/mode/phase}, one value per repetition. */
    public static Map<String, List<Double>> run(String[] args, PrintStream out) throws Exception {
        Map<String, String> a = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            a.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        int reps = Integer.parseInt(a.getOrDefault("reps", "3"));
        int[] sizes = Arrays.stream(a.getOrDefault("sizes", "100,1024,65536").split(","))
                .mapToInt(Integer::parseInt).toArray();
        double mb = Double.parseDouble(a.getOrDefault("mb", "50"));
        int mdSize = Integer.parseInt(a.getOrDefault("metadata", "32"));
        String host = a.getOrDefault("host", "127.0.0.1");
        int port = Integer.parseInt(a.getOrDefault("port", "5552"));
        boolean warmup = Boolean.parseBoolean(a.getOrDefault("warmup", "true"));
        String options = "{\"host\":\"" + host + "\",\"port\":" + port + "}";
        out.println("# rabbitmq vs raw stream client: reps=" + reps + " sizes=" + Arrays.toString(sizes) + " MB/run="
                + mb + " metadata=" + mdSize + " B server=" + host + ":" + port);
        out.println("# load before: " + loadAverage());
        Map<String, List<Double>> results = new TreeMap<>();
        String prefix = "rbench-" + Long.toHexString(System.nanoTime()) + "-";
        int seq = 0;
        try (Environment env = Environment.builder().host(host).port(port).build();
                Driver driver = Driver.open("rabbitmq", Metadata.of(options))) {
            String[] modes = {"raw", "driver"};
            for (int rep = warmup ? -1 : 0; rep < reps; rep++) {
                for (int size : sizes) {
                    long n = Math.max(1, (long) (mb * 1e6 / (size + mdSize) / (rep < 0 ? 4 : 1)));
                    for (int k = 0; k < modes.length; k++) {
                        String mode = modes[Math.floorMod(k + rep, modes.length)];
                        String name = prefix + seq++;
                        double[] r = mode.equals("raw") ? raw(env, name, size, mdSize, n)
                                : driver(driver, name, size, mdSize, n);
                        out.printf(Locale.ROOT, "%s size %6d mode %-6s n %8d | produce %10.0f ev/s %7.2f cpu-us/ev |"
                                + " consume %10.0f ev/s %7.2f cpu-us/ev%n", rep < 0 ? "warmup" : "rep " + rep, size,
                                mode, n, r[0], r[2], r[1], r[3]);
                        if (rep >= 0) {
                            results.computeIfAbsent(size + "/" + mode + "/produce", x -> new ArrayList<>()).add(r[0]);
                            results.computeIfAbsent(size + "/" + mode + "/consume", x -> new ArrayList<>()).add(r[1]);
                            results.computeIfAbsent(size + "/" + mode + "/produce-cpu", x -> new ArrayList<>())
                                    .add(r[2]);
                            results.computeIfAbsent(size + "/" + mode + "/consume-cpu", x -> new ArrayList<>())
                                    .add(r[3]);
                        }
                    }
                }
            }
        }
        out.println("# load after: " + loadAverage());
        out.println();
        out.println("| event (data + " + mdSize + " B metadata) | side | raw ev/s (median) | driver ev/s (median)"
                + " | driver/raw, paired per repetition: median | client CPU us/event raw / driver (medians) |");
        out.println("|---|---|---|---|---|---|");
        for (int size : sizes) {
            for (String phase : List.of("produce", "consume")) {
                List<Double> raw = results.get(size + "/raw/" + phase);
                List<Double> drv = results.get(size + "/driver/" + phase);
                if (raw == null || drv == null) {
                    continue;
                }
                double[] ratio = new double[raw.size()];
                for (int i = 0; i < ratio.length; i++) {
                    ratio[i] = drv.get(i) / raw.get(i);
                }
                out.printf(Locale.ROOT, "| %d B | %s | %.0f | %.0f | **%.2f** | %.2f / %.2f |%n", size, phase,
                        median(raw), median(drv), median(Arrays.stream(ratio).boxed().toList()),
                        median(results.get(size + "/raw/" + phase + "-cpu")),
                        median(results.get(size + "/driver/" + phase + "-cpu")));
            }
        }
        return results;
    }

    private static double[] raw(Environment env, String stream, int size, int mdSize, long n) throws Exception {
        env.streamCreator().stream(stream).create();
        try {
            byte[] body = new byte[EVENT_HEADER + mdSize + size];
            com.rabbitmq.stream.Producer producer = env.producerBuilder().stream(stream).name("raw-" + stream)
                    .build();
            CountDownLatch confirmed = new CountDownLatch(1);
            AtomicLong left = new AtomicLong(n);
            long c0 = ProcessCpu.nanos();
            long t0 = System.nanoTime();
            for (long i = 0; i < n; i++) {
                producer.send(producer.messageBuilder().publishingId(i).addData(body).build(), s -> {
                    if (!s.isConfirmed()) {
                        throw new IllegalStateException("raw publish refused: " + s.getCode());
                    }
                    if (left.decrementAndGet() == 0) {
                        confirmed.countDown();
                    }
                });
            }
            await(confirmed, "raw confirms");
            double produce = n / ((System.nanoTime() - t0) / 1e9);
            double produceCpu = (ProcessCpu.nanos() - c0) / 1e3 / n;
            producer.close();
            CountDownLatch consumed = new CountDownLatch(1);
            AtomicLong seen = new AtomicLong();
            long c1 = ProcessCpu.nanos();
            long t1 = System.nanoTime();
            com.rabbitmq.stream.Consumer consumer = env.consumerBuilder().stream(stream)
                    .offset(OffsetSpecification.first()).messageHandler((ctx, m) -> {
                        if (m.getBodyAsBinary().length > 0 && seen.incrementAndGet() == n) {
                            consumed.countDown();
                        }
                    }).build();
            await(consumed, "raw consume");
            double consume = n / ((System.nanoTime() - t1) / 1e9);
            double consumeCpu = (ProcessCpu.nanos() - c1) / 1e3 / n;
            consumer.close();
            return new double[] {produce, consume, produceCpu, consumeCpu};
        } finally {
            env.deleteStream(stream);
        }
    }

    private static double[] driver(Driver driver, String topic, int size, int mdSize, long n) throws Exception {
        driver.createTopic(topic, Metadata.of("{\"num_partitions\":1}"));
        try (dev.diaspora.stream.TopicHandle handle = driver.openTopic(topic)) {
            StringBuilder md = new StringBuilder("{\"p\":\"");
            while (md.length() < mdSize - 2) {
                md.append('x');
            }
            Metadata metadata = Metadata.of(md.append("\"}").toString());
            byte[] data = new byte[size];
            long c0 = ProcessCpu.nanos();
            long t0 = System.nanoTime();
            try (Producer producer = handle.producer()) {
                for (long i = 0; i < n; i++) {
                    producer.push(metadata, DataView.of(data));
                }
                producer.flush().get(300, TimeUnit.SECONDS);
            }
            double produce = n / ((System.nanoTime() - t0) / 1e9);
            double produceCpu = (ProcessCpu.nanos() - c0) / 1e3 / n;
            long c1 = ProcessCpu.nanos();
            long t1 = System.nanoTime();
            try (Consumer consumer = handle.consumer(ConsumerOptions.named("bench"))) {
                for (long i = 0; i < n; i++) {
                    consumer.poll(Duration.ofSeconds(30)).orElseThrow(() -> new IllegalStateException(
                            "driver consume: no event within 30 s"));
                }
            }
            double consume = n / ((System.nanoTime() - t1) / 1e9);
            double consumeCpu = (ProcessCpu.nanos() - c1) / 1e3 / n;
            return new double[] {produce, consume, produceCpu, consumeCpu};
        } finally {
            driver.deleteTopic(topic);
        }
    }

    private static void await(CountDownLatch latch, String what) throws InterruptedException {
        if (!latch.await(300, TimeUnit.SECONDS)) {
            throw new IllegalStateException(what + ": not done within 300 s");
        }
    }

    private static double median(List<Double> values) {
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg"), StandardCharsets.US_ASCII).trim();
        } catch (Exception e) {
            return "unknown (" + e + ")";
        }
    }
}
