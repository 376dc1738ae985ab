package dev.diaspora.stream.bench.engine;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.bench.ProcessCpu;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The consumer engine's own CPU per event, over the in-process {@code memory} driver (no network, no client library):
 * one one-partition topic is filled once with {@code --events} events of {@code --size} bytes of data and 32 bytes of
 * metadata, then each repetition opens a consumer of a new name that reads them all from the start, with
 * {@code poll(Duration)} per event ({@code --mode poll}, the path of the rabbitmq and netty comparisons) or the batch
 * poll ({@code --mode batch}, {@code poll(processor, 1024, timeout)}). Each repetition prints the CPU time of the whole
 * JVM per consumed event (every thread: the application's, the fetch thread, JIT and GC), the CPU time of the engine's
 * threads alone per event (the pulling thread and the {@code diaspora-*} threads: steadier, as it leaves out JIT
 * compilation and GC) and events/s. What a driver adds on top of these figures is its own read path.
 *
 * <p>Usage: {@code benchmarks/bin/engine-consume [--size 100] [--events 1000000] [--reps 10] [--mode poll|batch]}.
 *
 * <p>Thread safety: a program; {@link #run} is confined to its calling thread.
 */
public final class EngineConsumeBenchmark {
    private EngineConsumeBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        run(args, System.out);
    }

    /** Runs the benchmark, printing one line per repetition to {@code out}. */
    public static void run(String[] args, PrintStream out) throws Exception {
        Map<String, String> a = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i += 2) {
            String name = args[i].replaceFirst("^--", "");
            if (!Set.of("size", "events", "reps", "mode").contains(name) || i + 1 == args.length) {
                throw new IllegalArgumentException("bad option " + args[i] + "; usage: engine-consume [--size 100]"
                        + " [--events 1000000] [--reps 10] [--mode poll|batch]");
            }
            a.put(name, args[i + 1]);
        }
        int size = Integer.parseInt(a.getOrDefault("size", "100"));
        int events = Integer.parseInt(a.getOrDefault("events", "1000000"));
        int reps = Integer.parseInt(a.getOrDefault("reps", "10"));
        String mode = a.getOrDefault("mode", "poll");
        if (!mode.equals("poll") && !mode.equals("batch")) {
            throw new IllegalArgumentException("--mode " + mode + ": use poll or batch");
        }
        boolean batch = mode.equals("batch");
        out.println("# engine consume over the memory driver: size=" + size + " events=" + events + " reps=" + reps
                + " mode=" + (batch ? "batch" : "poll"));
        try (Driver driver = Driver.open("memory", Metadata.of("{}"))) {
            driver.createTopic("engine", Metadata.of("{\"num_partitions\":1}"));
            try (TopicHandle topic = driver.openTopic("engine")) {
                Metadata md = Metadata.of("{\"p\":\"xxxxxxxxxxxxxxxxxxxxxxxxx\"}");
                byte[] data = new byte[size];
                try (Producer producer = topic.producer()) {
                    for (int i = 0; i < events; i++) {
                        producer.push(md, DataView.of(data));
                    }
                    producer.flush().get();
                }
                for (int rep = 0; rep < reps; rep++) {
                    long c0 = ProcessCpu.nanos();
                    long t0 = System.nanoTime();
                    long[] threads = new long[1];
                    long sum = consume(topic, "engine-" + rep, events, batch, threads);
                    double cpu = (ProcessCpu.nanos() - c0) / 1e3 / events;
                    double rate = events / ((System.nanoTime() - t0) / 1e9);
                    out.printf(Locale.ROOT, "rep %2d size %6d %-5s %8.3f cpu-us/ev %8.3f engine-threads-us/ev %10.0f ev/s"
                            + " (check %d)%n", rep, size, batch ? "batch" : "poll", cpu, threads[0] / 1e3 / events, rate,
                            sum);
                }
            }
        }
    }

    /**
     * Reads {@code events} events with a new consumer; returns the sum of their ids (so that none is skipped), and in
     * {@code threadNanos} the CPU time the engine's threads spent meanwhile (measured before the consumer closes, while
     * its fetch thread lives).
     */
    private static long consume(TopicHandle topic, String name, int events, boolean batch, long[] threadNanos) {
        long[] sum = new long[1];
        Map<Long, Long> before = engineThreadCpu();
        try (Consumer c = topic.consumer(ConsumerOptions.named(name))) {
            int got = 0;
            while (got < events) {
                if (batch) {
                    int k = c.poll(e -> sum[0] += e.id(), Math.min(1024, events - got), Duration.ofSeconds(10));
                    if (k <= 0) {
                        throw new IllegalStateException("no event within 10 s after " + got);
                    }
                    got += k;
                } else {
                    sum[0] += c.poll(Duration.ofSeconds(10)).orElseThrow(() -> new IllegalStateException(
                            "no event within 10 s")).id();
                    got++;
                }
            }
            Map<Long, Long> after = engineThreadCpu();
            for (Map.Entry<Long, Long> t : after.entrySet()) {
                threadNanos[0] += t.getValue() - before.getOrDefault(t.getKey(), 0L);
            }
        }
        return sum[0];
    }

    /** @return the CPU time so far of this thread and of every {@code diaspora-*} thread, by thread id */
    private static Map<Long, Long> engineThreadCpu() {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        Map<Long, Long> cpu = new HashMap<>();
        for (ThreadInfo t : mx.getThreadInfo(mx.getAllThreadIds())) {
            if (t != null && (t.getThreadId() == Thread.currentThread().getId()
                    || t.getThreadName().startsWith("diaspora-"))) {
                long ns = mx.getThreadCpuTime(t.getThreadId());
                if (ns >= 0) {
                    cpu.put(t.getThreadId(), ns);
                }
            }
        }
        return cpu;
    }
}
