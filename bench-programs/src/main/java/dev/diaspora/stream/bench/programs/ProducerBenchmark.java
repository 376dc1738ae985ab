package dev.diaspora.stream.bench.programs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.diaspora.stream.BatchSize;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.ProducerOptions;
import dev.diaspora.stream.ThreadPool;
import dev.diaspora.stream.TopicHandle;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Java port of {@code diaspora-producer-benchmark}: same options, same timed region (pushes with results dropped, a
 * flush every {@code -f} events, a final flush), same output lines. Additions: push-to-completion latency
 * percentiles (HdrHistogram), {@code --json}, {@code --processes N} (N producer JVMs on the same topic, aggregate
 * figures), {@code --topic-config JSON} for the topic created when it does not exist, and a progress line on stderr.
 *
 * <p>Differences from C++, on purpose: {@code -m} below 2 is raised to 2 (C++ underflows and never ends), and the
 * data buffer is a pool of at most 256 MiB reused cyclically instead of one {@code n*s} buffer.
 */
public final class ProducerBenchmark {
    static final String[] SPEC = {"d|driver", "c|driver-config", "t|topic", "n|num-events", "s|data-size",
        "m|metadata-size", "b|batch-size", "p|num-threads", "f|flush-interval", "json!", "processes",
        "topic-config", "seed", "h|help!"};

    private ProducerBenchmark() {
    }

    public static void main(String[] argv) {
        ProgramMain.exit(argv, ProducerBenchmark::run, usage());
    }

    /** @return the one-line synopsis, the C++ tool's options first */
    public static String usage() {
        return "usage: ProducerBenchmark -d DRIVER -t TOPIC [-c JSON|FILE] [-n 1000] [-s 0] [-m 16] [-b 1] [-p 1] "
                + "[-f 1000] [--json] [--processes N] [--topic-config JSON] [--seed 42]";
    }

    /** @return one line per option: the names, then what it does and its default */
    public static String[] optionHelp() {
        return new String[] {
            "-d, --driver NAME          driver (required)",
            "-c, --driver-config JSON   driver options: JSON object or file ({})",
            "-t, --topic NAME           topic (required; created if missing)",
            "-n, --num-events N         events to push (1000; suffixes k K m M)",
            "-s, --data-size BYTES      data bytes per event (0)",
            "-m, --metadata-size BYTES  metadata bytes per event, at least 2 (16)",
            "-b, --batch-size N         producer batch size (1)",
            "-p, --num-threads N        driver thread pool size (1)",
            "-f, --flush-interval N     flush every N pushes; 0: at the end (1000)",
            "--json                     results as one JSON document",
            "--processes N              N producer JVMs, aggregate figures (1)",
            "--topic-config JSON        options of a topic it creates ({})",
            "--seed N                   seed of the metadata and data (42)",
        };
    }

    public static int run(String[] argv, PrintStream out) throws Exception {
        Args a = Args.parse(argv, SPEC);
        if (a.has("help")) {
            out.println(usage());
            out.println(String.join(System.lineSeparator(), optionHelp()));
            return 0;
        }
        int processes = a.intValue("processes", 1);
        if (processes > 1) {
            return runProcesses(a, processes, out);
        }
        String driverName = a.required("driver");
        String topic = a.required("topic");
        String config = Args.driverConfig(a.str("driver-config", null));
        long n = a.longValue("num-events", 1000);
        int s = a.intValue("data-size", 0);
        int m = Math.max(2, a.intValue("metadata-size", 16));
        int b = a.intValue("batch-size", 1);
        int p = a.intValue("num-threads", 1);
        long f = a.longValue("flush-interval", 1000);
        boolean json = a.has("json");
        SplittableRandom rnd = new SplittableRandom(a.longValue("seed", 42));

        Map<String, Object> opts = new LinkedHashMap<>();
        opts.put("Driver", driverName);
        opts.put("Driver config", config.replaceAll("\\s+", " "));
        opts.put("Topic", topic);
        opts.put("Number of events", n);
        opts.put("Data size", s);
        opts.put("Metadata size", m);
        opts.put("Batch size", b);
        opts.put("Number of threads", p);
        opts.put("Flush interval", f);

        // Setup (not timed): metadata are JSON string literals of exactly m bytes, as in C++.
        int nMeta = (int) Math.min(n, 4096);
        Metadata[] metadata = new Metadata[nMeta];
        String alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        for (int i = 0; i < nMeta; i++) {
            byte[] md = new byte[m];
            md[0] = '"';
            md[m - 1] = '"';
            for (int j = 1; j < m - 1; j++) {
                md[j] = (byte) alnum.charAt(rnd.nextInt(alnum.length()));
            }
            metadata[i] = Metadata.ofUtf8(md);
        }
        long poolBytes = Math.min((long) s * n, 256L << 20);
        int nData = s == 0 ? 1 : (int) Math.max(1, Math.min(n, poolBytes / s));
        DataView[] data = new DataView[nData];
        if (s == 0) {
            data[0] = DataView.EMPTY;
        } else {
            byte[] pool = new byte[(int) Math.min(Integer.MAX_VALUE - 8, (long) nData * s)];
            rnd.nextBytes(pool);
            ByteBuffer whole = ByteBuffer.wrap(pool);
            for (int i = 0; i < nData; i++) {
                data[i] = DataView.of(whole.slice(i * s, s));
            }
        }

        Recorder recorder = new Recorder(3);
        AtomicLong completed = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        long start;
        long end;
        try (Driver driver = Driver.open(driverName, Metadata.of(config))) {
            if (!driver.topicExists(topic)) {
                driver.createTopic(topic, Metadata.of(a.str("topic-config", "{}")));
            }
            ThreadPool pool = driver.makeThreadPool(p);
            try (TopicHandle th = driver.openTopic(topic);
                    Producer producer = th.producer(ProducerOptions.named("benchmark-producer")
                            .threadPool(pool).batchSize(BatchSize.of(b)))) {
                Thread progress = Report.progress("producer", n, completed::get);
                start = System.nanoTime();
                for (long i = 0; i < n; i++) {
                    final long t0 = System.nanoTime();
                    producer.push(metadata[(int) (i % nMeta)], data[(int) (i % nData)], -1, (part, id, err) -> {
                        recorder.recordValue(Math.min(System.nanoTime() - t0, 60_000_000_000L));
                        completed.incrementAndGet();
                        if (err != null) {
                            failure.compareAndSet(null, err);
                        }
                    });
                    if (f > 0 && (i + 1) % f == 0) {
                        producer.flush().join();
                    }
                }
                producer.flush().join();
                end = System.nanoTime();
                progress.interrupt();
            }
        }
        if (failure.get() != null) {
            System.err.println("push failed: " + failure.get());
            return 255;
        }
        Histogram h = recorder.getIntervalHistogram();
        Map<String, Object> extra = new LinkedHashMap<>();
        Report.print(out, json, opts, (end - start) / 1e9, n, (long) (s + m) * n, h, extra);
        return 0;
    }

    /**
     * @return the options of {@code jvmArgs} that size and set up the heap and the JVM ({@code -Xms}, {@code -Xmx},
     *     {@code -Xmn}, {@code -Xss}, {@code -XX:...}), for the child JVMs: they run as the parent does (its heap,
     *     its {@code -XX:+AlwaysPreTouch}); agents, debuggers and system properties are not passed on
     */
    static List<String> heapOptions(List<String> jvmArgs) {
        List<String> out = new ArrayList<>();
        for (String a : jvmArgs) {
            if (a.startsWith("-XX:") || a.startsWith("-Xms") || a.startsWith("-Xmx") || a.startsWith("-Xmn")
                    || a.startsWith("-Xss")) {
                out.add(a);
            }
        }
        return out;
    }

    /** Runs N producer JVMs concurrently on the same topic and prints aggregate figures (events summed, time max). */
    static int runProcesses(Args a, int processes, PrintStream out) throws Exception {
        List<String> childArgs = Args.without(a.raw(), List.of("--processes"), List.of("--json"));
        // create the topic once, before the children race to create it
        try (Driver driver = Driver.open(a.required("driver"),
                Metadata.of(Args.driverConfig(a.str("driver-config", null))))) {
            if (!driver.topicExists(a.required("topic"))) {
                driver.createTopic(a.required("topic"), Metadata.of(a.str("topic-config", "{}")));
            }
        }
        childArgs.add("--json");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<Process> procs = new ArrayList<>();
        for (int i = 0; i < processes; i++) {
            List<String> cmd = new ArrayList<>(List.of(java));
            cmd.addAll(heapOptions(ManagementFactory.getRuntimeMXBean().getInputArguments()));
            cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), ProducerBenchmark.class.getName()));
            cmd.addAll(childArgs);
            cmd.add("--seed");
            cmd.add(Integer.toString(1000 + i));
            procs.add(new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start());
        }
        ObjectMapper om = new ObjectMapper();
        long events = 0;
        long bytes = 0;
        double maxTime = 0;
        Histogram all = Report.newHistogram();
        JsonNode options = null;
        for (Process pr : procs) {
            String text = new String(pr.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (pr.waitFor() != 0) {
                System.err.println("a producer process failed: " + text);
                return 255;
            }
            JsonNode root = om.readTree(text.lines().filter(l -> l.startsWith("{")).reduce((x, y) -> y).orElse("{}"));
            JsonNode r = root.path("results");
            options = root.path("options");
            events += r.path("total_events").asLong();
            bytes += r.path("bytes").asLong();
            maxTime = Math.max(maxTime, r.path("total_time_s").asDouble());
        }
        Map<String, Object> opts = new LinkedHashMap<>();
        if (options != null) {
            options.fields().forEachRemaining(e -> opts.put(e.getKey(), e.getValue().asText()));
        }
        opts.put("Processes", processes);
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("Note", "aggregate of " + processes + " processes: events summed, time is the slowest process;"
                + " latency percentiles are per process (see each child's JSON)");
        Report.print(out, a.has("json"), opts, maxTime, events, bytes, all, extra);
        return 0;
    }
}
