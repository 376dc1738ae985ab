package dev.diaspora.stream.bench.kafka;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.kafka.EmbeddedKafka;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * Group failover time on the {@code files} and {@code kafka} drivers in one run: from the SIGKILL of a group member
 * (a child JVM) to the first event its successor (a member in this JVM) delivers from a partition the killed member
 * held. Per repetition and driver: a fresh two-partition topic with a backlog of events on each partition, a child
 * member that joins first and then holds one partition without pulling (so its partition keeps a backlog), a member
 * here that holds the other; then the child is killed ({@link Process#destroyForcibly()}, SIGKILL on Linux) and this
 * member polls until it delivers an event of the child's partition. Both drivers use the same session timeout and
 * heartbeat interval; the Kafka broker runs in this JVM with {@code group.min.session.timeout.ms} lowered (a killed
 * Kafka member leaves no LeaveGroup: its partitions move when the broker's session timeout expires; a killed
 * {@code files} member releases its OS locks at once).
 *
 * <p>Usage: {@code benchmarks/bin/group-failover-kafka [--reps 5] [--session-ms 1000] [--drivers files,kafka]}. Prints one
 * line per repetition, then min / median / max per driver and the ratio of the medians (kafka / files).
 *
 * <p>Thread safety: a program; {@link #run} is confined to its calling thread.
 */
public final class GroupFailoverBenchmark {
    private static final int BACKLOG = 200;
    private static final Duration WAIT = Duration.ofSeconds(60);

    private GroupFailoverBenchmark() {
    }

    /** Runs the benchmark (or, with first argument {@code member}, one child member); exit status 0 on success. */
    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("member")) {
            member(args[1], args[2], args[3], args[4], Long.parseLong(args[5]));
            return;
        }
        run(args, System.out);
        System.exit(0);
    }

    /**
     * Measures and prints.
     *
     * @return per driver, the failover times in ms over the repetitions
     */
    public static Map<String, List<Double>> run(String[] args, PrintStream out) throws Exception {
        Map<String, String> a = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("expected --option value, got '" + args[i] + "'; options: --reps,"
                        + " --session-ms, --drivers");
            }
            a.put(args[i].substring(2), args[i + 1]);
        }
        int reps = Integer.parseInt(a.getOrDefault("reps", "5"));
        long sessionMs = Long.parseLong(a.getOrDefault("session-ms", "1000"));
        List<String> drivers = List.of(a.getOrDefault("drivers", "files,kafka").split(","));
        out.println("# group failover: reps=" + reps + " session-ms=" + sessionMs + " heartbeat-ms=" + sessionMs / 4
                + " drivers=" + drivers + " backlog=" + BACKLOG + "/partition");
        out.println("# load before: " + load() + "; JDK " + System.getProperty("java.version"));
        Map<String, List<Double>> results = new LinkedHashMap<>();
        Path root = Files.createTempDirectory("diaspora-failover");
        try (EmbeddedKafka kafka = drivers.contains("kafka") ? EmbeddedKafka.start(EmbeddedKafka.SHORT_GROUP_TIMEOUTS)
                : null) {
            Map<String, String> options = new LinkedHashMap<>();
            options.put("files", "{\"root_path\":\"" + root + "\"}");
            if (kafka != null) {
                options.put("kafka", "{\"bootstrap.servers\":\"" + kafka.bootstrapServers() + "\"}");
            }
            for (int rep = 0; rep < reps; rep++) {
                for (int k = 0; k < drivers.size(); k++) {
                    String driver = drivers.get(Math.floorMod(k + rep, drivers.size())); // rotating order
                    double ms = once(driver, options.get(driver), "fo-" + rep, sessionMs);
                    results.computeIfAbsent(driver, d -> new ArrayList<>()).add(ms);
                    out.printf(Locale.ROOT, "rep %d %-5s failover %8.1f ms%n", rep, driver, ms);
                }
            }
        }
        out.println("# load after: " + load());
        Map<String, Double> medians = new LinkedHashMap<>();
        for (Map.Entry<String, List<Double>> e : results.entrySet()) {
            List<Double> v = new ArrayList<>(e.getValue());
            Collections.sort(v);
            double median = v.size() % 2 == 1 ? v.get(v.size() / 2)
                    : (v.get(v.size() / 2 - 1) + v.get(v.size() / 2)) / 2;
            medians.put(e.getKey(), median);
            out.printf(Locale.ROOT, "%-5s min %8.1f  median %8.1f  max %8.1f ms (n=%d)%n", e.getKey(), v.get(0),
                    median, v.get(v.size() - 1), v.size());
        }
        if (medians.containsKey("files") && medians.containsKey("kafka")) {
            out.printf(Locale.ROOT, "kafka/files median ratio %.2f%n", medians.get("kafka") / medians.get("files"));
        }
        return results;
    }

    /** One failover on {@code driver}: returns the ms from the kill to the successor's first event of the victim. */
    private static double once(String driver, String options, String topicName, long sessionMs) throws Exception {
        try (Driver d = Driver.open(driver, Metadata.of(options))) {
            d.createTopic(topicName, Metadata.of("{\"num_partitions\":2}"));
            TopicHandle topic = d.openTopic(topicName);
            try (Producer producer = topic.producer()) {
                for (int p = 0; p < 2; p++) {
                    for (int i = 0; i < BACKLOG; i++) {
                        producer.push(Metadata.of("{\"i\":" + i + "}"), DataView.EMPTY, p);
                    }
                }
                producer.flush().get(30, TimeUnit.SECONDS);
            }
            Process child = startMember(driver, options, topicName, "g", sessionMs);
            try {
                BufferedReader lines = new BufferedReader(new InputStreamReader(child.getInputStream(),
                        StandardCharsets.UTF_8));
                expect(lines, "ASSIGNMENT [0, 1]", child); // the first member holds both partitions
                try (Consumer successor = topic.consumer(member("g", sessionMs))) {
                    long deadline = System.nanoTime() + WAIT.toNanos();
                    while (successor.assignment().size() != 1) {
                        successor.poll(Duration.ofMillis(10)).ifPresent(Event::acknowledge);
                        if (System.nanoTime() - deadline > 0) {
                            throw new IllegalStateException(driver + ": the group did not split the two partitions");
                        }
                    }
                    int victim = 1 - successor.assignment().iterator().next();
                    long t0 = System.nanoTime();
                    child.destroyForcibly();
                    while (true) {
                        Optional<Event> e = successor.poll(Duration.ofMillis(5));
                        if (e.isPresent() && e.get().partition() == victim) {
                            return (System.nanoTime() - t0) / 1e6;
                        }
                        if (System.nanoTime() - t0 > WAIT.toNanos()) {
                            throw new IllegalStateException(driver + ": the successor got no event of partition "
                                    + victim + " within " + WAIT + " of the kill");
                        }
                    }
                }
            } finally {
                child.destroyForcibly();
                child.waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    private static void expect(BufferedReader lines, String wanted, Process child) throws IOException {
        String line;
        while ((line = lines.readLine()) != null) {
            if (line.equals(wanted)) {
                return;
            }
            if (line.startsWith("ERROR")) {
                break;
            }
        }
        throw new IllegalStateException("the child member ended before printing '" + wanted + "': " + line
                + " (exit " + (child.isAlive() ? "none yet" : child.exitValue()) + ")");
    }

    private static ConsumerOptions member(String name, long sessionMs) {
        return ConsumerOptions.named(name).sessionTimeout(Duration.ofMillis(sessionMs))
                .heartbeatInterval(Duration.ofMillis(sessionMs / 4));
    }

    private static Process startMember(String driver, String options, String topic, String name, long sessionMs)
            throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx256m");
        cmd.add("-XX:+UseSerialGC");
        cmd.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(GroupFailoverBenchmark.class.getName());
        cmd.addAll(List.of("member", driver, options, topic, name, Long.toString(sessionMs)));
        return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    /**
     * The child: a member that prints {@code ASSIGNMENT [..]} whenever its partitions change and never pulls (its
     * fetch thread heartbeats), until it is killed.
     */
    private static void member(String driver, String options, String topicName, String name, long sessionMs) {
        try (Driver d = Driver.open(driver, Metadata.of(options));
                TopicHandle topic = d.openTopic(topicName);
                Consumer c = topic.consumer(member(name, sessionMs))) {
            Set<Integer> last = null;
            while (true) {
                Set<Integer> now = new TreeSet<>(c.assignment());
                if (!now.equals(last)) {
                    System.out.println("ASSIGNMENT " + now);
                    System.out.flush();
                    last = now;
                }
                Thread.sleep(5);
            }
        } catch (Throwable e) {
            System.out.println("ERROR " + e);
            System.out.flush();
        }
    }

    private static String load() {
        return String.format(Locale.ROOT, "%.2f", ManagementFactory.getOperatingSystemMXBean()
                .getSystemLoadAverage());
    }
}
