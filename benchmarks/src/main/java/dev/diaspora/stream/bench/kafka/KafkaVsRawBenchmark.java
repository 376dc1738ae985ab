package dev.diaspora.stream.bench.kafka;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.ProducerOptions;
import dev.diaspora.stream.StartAt;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.kafka.EmbeddedKafka;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
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
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The {@code kafka} driver against raw kafka-clients, on one in-JVM KRaft broker that this program starts, in one
 * run. Every (size, mode) pair gets a fresh one-partition topic per repetition; the modes (raw, the driver with each
 * record framing) are interleaved within each repetition, in a rotating order, so that the noise of a shared machine
 * hits them alike. A warm-up repetition (a quarter of the events) is not counted. Producer and consumer clients use
 * the same settings ({@link #CLIENT_SETTINGS}) in both modes.
 *
 * <p>Raw producer: one reused value array per event, already framed as the driver's {@code inline} framing
 * ({@code [u32 length][metadata][data]}), sent with {@code ByteArraySerializer}; timed from the first send until
 * {@code flush()} returns. Driver producer: {@code push(metadata, DataView.of(data))} per event, timed until
 * {@code flush()} completes. Raw consumer: {@code assign} + {@code seekToBeginning}, {@code ByteArrayDeserializer}
 * (one copy of each value, as the driver's heap allocator makes one copy of each event's data), timed from creating the
 * consumer until the last record; driver consumer: {@code poll} per event with the default heap allocator and
 * selector {@code ALL}, timed the same way.
 *
 * <p>Usage: {@code benchmarks/bin/kafka-vs-raw [--reps 5] [--sizes 100,1024,65536] [--mb 200] [--metadata 32]
 * [--modes raw,inline,header] [--warmup true] [--metrics false] [--bootstrap host:port]
 * [--max-pending-events 65536] [--max-pending-bytes 67108864]}. {@code --mb} is the event
 * bytes (metadata + data) per run; {@code --metrics true} prints the Kafka producers' batching figures (JMX) after each
 * run, and each producer's heap allocation and CPU time per event over every thread of this JVM, and that CPU time split by thread ({@link JvmCost}); with {@code --bootstrap} the program uses that broker (for example one in another JVM, on other cores) instead
 * of starting one in its own JVM; {@code --max-pending-events} and {@code --max-pending-bytes}
 * set the driver producer's {@code ProducerOptions.maxPendingEvents} and {@code maxPendingBytes} (default: the
 * engine's). Sizes above about 1 MiB (for example
 * {@code --sizes 1048576,8388608,67108864 --mb 400})
 * raise the limits of both sides alike: the driver's {@code max_event_size}, and for raw kafka-clients the
 * {@code max.request.size}, {@code buffer.memory} and topic {@code max.message.bytes} the driver derives from it.
 *
 * <p>Thread safety: a program; {@link #run} is confined to its calling thread.
 */
public final class KafkaVsRawBenchmark {
    /** Settings given to both the raw clients and the driver's clients ({@code kafka} option). */
    static final Map<String, String> CLIENT_SETTINGS = Map.of(
            "linger.ms", "5",
            "batch.size", "16384",
            "compression.type", "none",
            "max.request.size", "1048576",
            "request.timeout.ms", "10000",
            "max.block.ms", "10000");

    private KafkaVsRawBenchmark() {
    }

    /** Runs the benchmark; exit status 0 on success. */
    public static void main(String[] args) throws Exception {
        System.exit(run(args, System.out).isEmpty() ? 1 : 0);
    }

    /**
     * Runs the benchmark and prints each run and the summary table to {@code out}.
     *
     * @return the per-run results, keyed {@code size/mode/phase}, each a list of events/s over the repetitions
     */
    public static Map<String, List<Double>> run(String[] args, PrintStream out) throws Exception {
        Map<String, String> a = parse(args);
        int reps = Integer.parseInt(a.getOrDefault("reps", "5"));
        int[] sizes = Arrays.stream(a.getOrDefault("sizes", "100,1024,65536").split(",")).mapToInt(Integer::parseInt)
                .toArray();
        double mb = Double.parseDouble(a.getOrDefault("mb", "200"));
        int mdSize = Integer.parseInt(a.getOrDefault("metadata", "32"));
        List<String> modes = List.of(a.getOrDefault("modes", "raw,inline,header").split(","));
        boolean warmup = Boolean.parseBoolean(a.getOrDefault("warmup", "true"));
        boolean metrics = Boolean.parseBoolean(a.getOrDefault("metrics", "false"));
        ProducerOptions po = ProducerOptions.defaults();
        if (a.containsKey("max-pending-events")) {
            po = po.maxPendingEvents(Integer.parseInt(a.get("max-pending-events")));
        }
        if (a.containsKey("max-pending-bytes")) {
            po = po.maxPendingBytes(Long.parseLong(a.get("max-pending-bytes")));
        }
        Plan plan = new Plan(reps, sizes, mb, mdSize, modes, warmup, metrics, po);
        Map<String, List<Double>> results = new TreeMap<>();
        out.println("# kafka vs raw: reps=" + reps + " sizes=" + Arrays.toString(sizes) + " MB/run=" + mb
                + " metadata=" + mdSize + " B modes=" + modes + " settings=" + new TreeMap<>(CLIENT_SETTINGS)
                + " driver producer maxPendingEvents=" + (po.maxPendingEventsSet() ? po.maxPendingEvents()
                : "(the driver's)") + " maxPendingBytes=" + (po.maxPendingBytesSet() ? po.maxPendingBytes()
                : "(the driver's)"));
        out.println("# load before: " + loadAverage());
        String bootstrap = a.get("bootstrap");
        if (bootstrap != null) {
            out.println("# broker: " + bootstrap + " (given)");
            measure(bootstrap, plan, results, out);
        } else {
            try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
                out.println("# broker: in this JVM");
                measure(kafka.bootstrapServers(), plan, results, out);
            }
        }
        out.println("# load after: " + loadAverage());
        table(results, sizes, modes, mdSize, out);
        return results;
    }

    /** What to run: the parsed options. */
    private record Plan(int reps, int[] sizes, double mb, int mdSize, List<String> modes, boolean warmup,
            boolean metrics, ProducerOptions producerOptions) {
    }

    /** Runs every repetition against the broker at {@code bootstrap}, adding each run's events/s to {@code results}. */
    private static void measure(String bootstrap, Plan plan, Map<String, List<Double>> results, PrintStream out)
            throws Exception {
        long maxEvent = plan.mdSize + (long) Arrays.stream(plan.sizes).max().orElse(0);
        Runner runner = new Runner(bootstrap, plan.mdSize, maxEvent, plan.metrics, plan.producerOptions);
        try {
            int seq = 0;
            // names of this process only: a broker shared by several runs may still hold a topic a failed run left
            String prefix = "t" + ProcessHandle.current().pid() + "-";
            for (int rep = plan.warmup ? -1 : 0; rep < plan.reps; rep++) {
                for (int size : plan.sizes) {
                    long n = Math.max(1, (long) (plan.mb * 1e6 / (size + plan.mdSize) / (rep < 0 ? 4 : 1)));
                    for (int k = 0; k < plan.modes.size(); k++) {
                        String mode = plan.modes.get(Math.floorMod(k + rep, plan.modes.size())); // rotating order
                        double[] r = runner.run(mode, size, n, prefix + seq++);
                        double mbPerEvent = (size + plan.mdSize) / 1e6;
                        out.printf(Locale.ROOT, "%s size %6d mode %-6s n %8d | produce %10.0f ev/s %8.1f MB/s"
                                + " | consume %10.0f ev/s %8.1f MB/s%n", rep < 0 ? "warmup" : "rep " + rep, size,
                                mode, n, r[0], r[0] * mbPerEvent, r[1], r[1] * mbPerEvent);
                        if (plan.metrics) {
                            producerMetrics(out);
                        }
                        if (rep >= 0) {
                            results.computeIfAbsent(size + "/" + mode + "/produce", x -> new ArrayList<>())
                                    .add(r[0]);
                            results.computeIfAbsent(size + "/" + mode + "/consume", x -> new ArrayList<>())
                                    .add(r[1]);
                        }
                    }
                }
            }
        } finally {
            runner.close();
        }
    }

    /** Prints one markdown row per (size, phase, driver mode): medians, spreads, and the paired ratio to raw. */
    private static void table(Map<String, List<Double>> results, int[] sizes, List<String> modes, int mdSize,
            PrintStream out) {
        out.println();
        out.println("| event (data + " + mdSize + " B metadata) | side | raw ev/s (MB/s) | framing | driver ev/s (MB/s)"
                + " | driver/raw median (min-max) |");
        out.println("|---|---|---|---|---|---|");
        for (int size : sizes) {
            for (String phase : List.of("produce", "consume")) {
                List<Double> raw = results.get(size + "/raw/" + phase);
                for (String mode : modes) {
                    List<Double> drv = results.get(size + "/" + mode + "/" + phase);
                    if (mode.equals("raw") || drv == null) {
                        continue;
                    }
                    String rawCell = raw == null ? "-" : cell(raw, size + mdSize);
                    String ratio = "-";
                    if (raw != null) {
                        double[] rs = new double[Math.min(raw.size(), drv.size())];
                        for (int i = 0; i < rs.length; i++) {
                            rs[i] = drv.get(i) / raw.get(i); // paired: same repetition
                        }
                        Arrays.sort(rs);
                        ratio = String.format(Locale.ROOT, "**%.2f** (%.2f-%.2f)", median(rs), rs[0],
                                rs[rs.length - 1]);
                    }
                    out.printf(Locale.ROOT, "| %d B | %s | %s | %s | %s | %s |%n", size, phase, rawCell, mode,
                            cell(drv, size + mdSize), ratio);
                }
            }
        }
    }

    private static String cell(List<Double> evs, int eventBytes) {
        double[] v = evs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        double m = median(v);
        return String.format(Locale.ROOT, "%.0f (%.1f) [%.0f-%.0f]", m, m * eventBytes / 1e6, v[0], v[v.length - 1]);
    }

    private static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /** Prints the cumulative batching figures of every Kafka producer in this JVM (raw and driver), from JMX. */
    private static void producerMetrics(PrintStream out) throws Exception {
        MBeanServer mbs = ManagementFactory.getPlatformMBeanServer();
        for (ObjectName on : mbs.queryNames(new ObjectName("kafka.producer:type=producer-metrics,*"), null)) {
            StringBuilder sb = new StringBuilder("#   ").append(on.getKeyProperty("client-id")).append(':');
            for (String m : List.of("batch-size-avg", "records-per-request-avg", "request-latency-avg",
                    "record-queue-time-avg", "bufferpool-wait-ratio")) {
                sb.append(' ').append(m).append('=').append(String.format(Locale.ROOT, "%.2f",
                        ((Number) mbs.getAttribute(on, m)).doubleValue()));
            }
            out.println(sb);
        }
    }

    static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (Exception e) {
            return "unknown (" + e + ")";
        }
    }

    private static Map<String, String> parse(String[] args) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("usage: [--reps N] [--sizes 100,1024,65536] [--mb MB]"
                        + " [--metadata BYTES] [--modes raw,inline,header] [--warmup true|false]"
                        + " [--metrics true|false] [--bootstrap host:port] [--max-pending-events N]"
                        + " [--max-pending-bytes N];"
                        + " bad: " + args[i]);
            }
            m.put(args[i].substring(2), args[++i]);
        }
        return m;
    }

    /** One raw producer and one driver, shared by every run; a fresh topic and consumer per run. */
    private static final class Runner implements AutoCloseable {
        private final String bootstrap;
        private final boolean metrics;
        /** The driver producer's options: the engine's defaults, or the pending bounds given. */
        private final ProducerOptions producerOptions;
        private final byte[] metadata;
        private final Admin admin;
        private final KafkaProducer<byte[], byte[]> rawProducer;
        private final Driver driver;
        /** {@link #CLIENT_SETTINGS}, with the producer's limits raised for the largest event of the run. */
        private final Map<String, String> settings;
        /** {@code max.message.bytes} of the raw topics: as the driver sets it on its own. */
        private final long maxMessageBytes;

        /**
         * @param maxEvent the largest event (metadata plus data) of the run: above the driver's default limit, both
         *     sides raise their limits alike (driver: {@code max_event_size}; raw: {@code max.request.size},
         *     {@code buffer.memory} and the topic's {@code max.message.bytes}, the values the driver then uses)
         * @param producerOptions the driver producer's options
         */
        Runner(String bootstrap, int mdSize, long maxEvent, boolean metrics, ProducerOptions producerOptions) {
            this.bootstrap = bootstrap;
            this.metrics = metrics;
            this.producerOptions = producerOptions;
            long maxEventSize = Math.max(1_048_448L, maxEvent);
            long maxRequest = maxEventSize + 128; // the driver's record overhead allowance
            this.maxMessageBytes = maxRequest;
            Map<String, String> st = new java.util.HashMap<>(CLIENT_SETTINGS);
            st.put("max.request.size", String.valueOf(maxRequest));
            st.put("buffer.memory", String.valueOf(Math.max(32L << 20, 2 * maxRequest)));
            this.settings = Map.copyOf(st);
            StringBuilder md = new StringBuilder("{\"event\":123456,\"src\":\"");
            while (md.length() < mdSize - 2) {
                md.append('x');
            }
            this.metadata = md.append("\"}").toString().getBytes(StandardCharsets.UTF_8);
            this.admin = Admin.create(common());
            Properties pp = common();
            pp.putAll(settings);
            pp.put("acks", "all");
            pp.put("enable.idempotence", "true");
            this.rawProducer = new KafkaProducer<>(pp, new ByteArraySerializer(), new ByteArraySerializer());
            StringBuilder kafka = new StringBuilder();
            for (Map.Entry<String, String> e : new TreeMap<>(settings).entrySet()) {
                kafka.append(kafka.length() == 0 ? "" : ",").append('"').append(e.getKey()).append("\":\"")
                        .append(e.getValue()).append('"');
            }
            this.driver = Driver.open("kafka", Metadata.of("{\"bootstrap.servers\":\"" + bootstrap
                    + "\",\"max_event_size\":" + maxEventSize + ",\"kafka\":{" + kafka + "}}"));
        }

        private Properties common() {
            Properties p = new Properties();
            p.put("bootstrap.servers", bootstrap);
            p.put("request.timeout.ms", CLIENT_SETTINGS.get("request.timeout.ms"));
            return p;
        }

        /** @return {produce events/s, consume events/s} */
        double[] run(String mode, int size, long n, String topic) throws Exception {
            byte[] data = new byte[size];
            Arrays.fill(data, (byte) 7);
            double[] r = mode.equals("raw") ? raw(topic, data, n) : driver(mode, topic, data, n);
            if (mode.equals("raw")) {
                admin.deleteTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS);
            } else {
                driver.deleteTopic(topic);
            }
            return r;
        }

        private double[] raw(String topic, byte[] data, long n) throws Exception {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1)
                    .configs(Map.of("message.timestamp.type", "LogAppendTime", "max.message.bytes",
                            String.valueOf(maxMessageBytes))))).all().get(30, TimeUnit.SECONDS);
            while (true) { // as the driver's createTopic: wait until the topic is visible before the first send
                try {
                    admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS);
                    break;
                } catch (java.util.concurrent.ExecutionException e) {
                    Thread.sleep(20);
                }
            }
            byte[] value = new byte[4 + metadata.length + data.length]; // the driver's inline framing
            value[3] = (byte) metadata.length;
            value[2] = (byte) (metadata.length >>> 8);
            System.arraycopy(metadata, 0, value, 4, metadata.length);
            System.arraycopy(data, 0, value, 4 + metadata.length, data.length);
            JvmCost cost = metrics ? JvmCost.now() : null;
            long t0 = System.nanoTime();
            for (long i = 0; i < n; i++) {
                rawProducer.send(new ProducerRecord<>(topic, 0, null, value));
            }
            rawProducer.flush();
            long produce = System.nanoTime() - t0;
            if (metrics) {
                System.out.println(JvmCost.perEvent("raw producer", cost, n));
            }
            Properties cp = common();
            cp.putAll(settings);
            cp.put("group.id", "raw-" + topic);
            cp.put("enable.auto.commit", "false");
            cp.put("group.protocol", "classic"); // as the driver's consumers
            long bytes = 0;
            long got = 0;
            t0 = System.nanoTime();
            try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(consumerOnly(cp),
                    new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
                TopicPartition tp = new TopicPartition(topic, 0);
                c.assign(List.of(tp));
                // an explicit position, as the driver's consumer seeks (seekToBeginning's lazy reset stalls the first
                // fetch by about fetch.max.wait.ms)
                c.seek(tp, c.beginningOffsets(List.of(tp)).get(tp));
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                while (got < n) {
                    for (ConsumerRecord<byte[], byte[]> rec : c.poll(Duration.ofMillis(200))) {
                        bytes += rec.value().length;
                        got++;
                    }
                    if (System.nanoTime() - deadline > 0) {
                        throw new IllegalStateException("raw consumer got " + got + " of " + n + " records");
                    }
                }
            }
            long consume = System.nanoTime() - t0;
            check(bytes, n * value.length, "raw");
            return new double[] {n * 1e9 / produce, n * 1e9 / consume};
        }

        private double[] driver(String framing, String topic, byte[] data, long n) throws Exception {
            // "inline" is the driver's default framing and is not named, so the program also runs against older drivers
            driver.createTopic(topic, Metadata.of(framing.equals("inline") ? "{\"num_partitions\":1}"
                    : "{\"num_partitions\":1,\"framing\":\"" + framing + "\"}"));
            long produce;
            long consume;
            long bytes = 0;
            try (TopicHandle th = driver.openTopic(topic)) {
                Metadata md = Metadata.ofUtf8(metadata);
                DataView view = DataView.of(data);
                JvmCost cost = metrics ? JvmCost.now() : null;
                long t0 = System.nanoTime();
                try (Producer p = th.producer(producerOptions)) {
                    for (long i = 0; i < n; i++) {
                        p.push(md, view);
                    }
                    p.flush().get(300, TimeUnit.SECONDS);
                    produce = System.nanoTime() - t0;
                    if (metrics) { // time push spent blocked at the producer's memory bound
                        System.out.println(JvmCost.perEvent("driver producer", cost, n));
                        System.out.printf(Locale.ROOT, "#   driver producer: %.3f s of %.3f s blocked in push%n",
                                p.metrics().backPressureNanos() / 1e9, produce / 1e9);
                    }
                }
                t0 = System.nanoTime();
                try (Consumer c = th.consumer(ConsumerOptions.named("drv-" + topic).targets(0)
                        .startAt(StartAt.EARLIEST))) {
                    for (long i = 0; i < n; i++) {
                        Optional<Event> e = c.poll(Duration.ofSeconds(60));
                        if (e.isEmpty()) {
                            throw new IllegalStateException("driver consumer got " + i + " of " + n + " events");
                        }
                        bytes += e.get().data().size();
                    }
                    consume = System.nanoTime() - t0;
                }
            }
            check(bytes, n * (long) data.length, framing);
            return new double[] {n * 1e9 / produce, n * 1e9 / consume};
        }

        private static Properties consumerOnly(Properties p) {
            for (String producerOnly : List.of("linger.ms", "batch.size", "compression.type", "max.request.size",
                    "max.block.ms", "buffer.memory")) {
                p.remove(producerOnly); // consumers warn about unknown configurations
            }
            return p;
        }

        private static void check(long got, long expected, String mode) {
            if (got < expected) {
                throw new IllegalStateException(mode + ": consumed " + got + " bytes, expected " + expected);
            }
        }

        @Override
        public void close() {
            driver.close();
            rawProducer.close(Duration.ofSeconds(10));
            admin.close(Duration.ofSeconds(10));
        }
    }
}
