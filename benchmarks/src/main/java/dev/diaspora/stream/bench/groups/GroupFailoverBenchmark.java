package dev.diaspora.stream.bench.groups;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataDescriptor;
import dev.diaspora.stream.DataSelector;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.files.storage.DirectoryTrees;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.HdrHistogram.Histogram;

/**
 * Consumer-group failover and rebalance times (issue 12), with their peers in the same run:
 *
 * <ul>
 *   <li><b>SIGKILL, per driver</b> ({@code --drivers}, default {@code files,netty,kafka}): a member in a child JVM
 *       holds half the partitions, an event waits on each of them in its prefetch (it never polls), and it is killed
 *       with SIGKILL; measured from the kill to the first of those events delivered by the surviving member (in this
 *       JVM). The child is a new JVM per kill; the drivers are interleaved (kill k runs every driver once, in an order
 *       rotated by k), each with its own topic and survivor. {@code netty} talks to a partition server on loopback
 *       and {@code kafka} to a single-node broker, both started in this JVM ({@link FailoverDrivers}).</li>
 *   <li><b>files, clean close</b> (the peer): the same handoff when the member closes cleanly (a second member in this
 *       JVM: from {@code close()} to the first event of its partitions delivered by the survivor).</li>
 *   <li><b>files, join</b>: from opening a second consumer of the name next to one that holds every partition to
 *       both holding their balanced share.</li>
 *   <li><b>memory, stalled member</b> (a second peer): the memory driver's in-process failover: a member whose fetch
 *       thread blocks (in its data selector) is dropped after its session timeout; from the moment it blocks to the
 *       first of its partitions' events delivered by the survivor.</li>
 *   <li><b>files, idle CPU</b>: the CPU time per second of an idle member process (nothing to read), against a
 *       process consuming every partition as explicit targets (same tailing, no group): the cost of heartbeats,
 *       member listings and lease checks.</li>
 * </ul>
 *
 * <p>Usage: {@code GroupFailoverBenchmark [--drivers files,netty,kafka] [--kills 20] [--joins 20] [--stalls 10]
 * [--partitions 4] [--session-timeout-ms 1000] [--idle-seconds 5] [--idle-reps 2] [--dir DIR]}; prints n, p50, p99
 * and max per measure, in milliseconds, and the SIGKILL ratios of each driver to {@code files}. With
 * {@code --member ...} it is the child member ({@link MemberProcess}).
 *
 * <p>Thread safety: a program; one thread drives it, one per survivor polls.
 */
public final class GroupFailoverBenchmark {
    private static final String NAME = "g";
    private static final long WAIT_MILLIS = Survivor.WAIT_MILLIS;

    private final PrintStream out;
    private final int partitions;
    private final Duration sessionTimeout;

    private GroupFailoverBenchmark(PrintStream out, int partitions, Duration sessionTimeout) {
        this.out = out;
        this.partitions = partitions;
        this.sessionTimeout = sessionTimeout;
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals(MemberProcess.FLAG)) {
            MemberProcess.run(args);
            return;
        }
        System.exit(run(args, System.out));
    }

    /** Runs the measures; returns the exit status (2 on a usage error). */
    public static int run(String[] args, PrintStream out) throws Exception {
        int kills = 20;
        int joins = 20;
        int stalls = 10;
        int partitions = 4;
        long timeoutMs = 1000;
        int idleSeconds = 5;
        int idleReps = 2;
        Path dir = null;
        List<String> drivers = FailoverDrivers.KNOWN;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--drivers" -> drivers = List.of(args[++i].split(","));
                case "--kills" -> kills = Integer.parseInt(args[++i]);
                case "--joins" -> joins = Integer.parseInt(args[++i]);
                case "--stalls" -> stalls = Integer.parseInt(args[++i]);
                case "--partitions" -> partitions = Integer.parseInt(args[++i]);
                case "--idle-seconds" -> idleSeconds = Integer.parseInt(args[++i]);
                case "--idle-reps" -> idleReps = Integer.parseInt(args[++i]);
                case "--session-timeout-ms" -> timeoutMs = Long.parseLong(args[++i]);
                case "--dir" -> dir = Path.of(args[++i]);
                default -> {
                    out.println("unknown option " + args[i] + "; usage: GroupFailoverBenchmark [--drivers D1,D2]"
                            + " [--kills N] [--joins N] [--stalls N] [--partitions P] [--session-timeout-ms MS]"
                            + " [--idle-seconds S] [--idle-reps R] [--dir DIR]");
                    return 2;
                }
            }
        }
        if (partitions < 2 || partitions % 2 != 0) {
            out.println("--partitions must be even and at least 2 (two members share them), got " + partitions);
            return 2;
        }
        if (!FailoverDrivers.KNOWN.containsAll(drivers) || drivers.isEmpty()) {
            out.println("--drivers takes a comma-separated list of " + FailoverDrivers.KNOWN + ", got " + drivers);
            return 2;
        }
        Path work = Files.createTempDirectory(dir == null ? Path.of(System.getProperty("java.io.tmpdir")) : dir,
                "group-failover");
        GroupFailoverBenchmark b = new GroupFailoverBenchmark(out, partitions, Duration.ofMillis(timeoutMs));
        out.printf(Locale.ROOT, "%d partitions, 2 members, session timeout %d ms; JDK %s; times in ms%n", partitions,
                timeoutMs, System.getProperty("java.version"));
        List<String> withFiles = new ArrayList<>(drivers);
        if (!withFiles.contains("files")) {
            withFiles.add("files"); // the clean-close, join and idle measures
        }
        try (FailoverDrivers opened = new FailoverDrivers(withFiles, work)) {
            Map<String, Histogram> kill = b.kills(opened, drivers, kills);
            for (String d : drivers) {
                print(out, d + " SIGKILL -> first event at the successor", kill.get(d));
            }
            for (String d : drivers) {
                if (!d.equals("files") && kill.containsKey("files") && kills > 0) {
                    out.printf(Locale.ROOT, "ratio %s/files SIGKILL: p50 %.2f, p99 %.2f%n", d,
                            ratio(kill.get(d), kill.get("files"), 50), ratio(kill.get(d), kill.get("files"), 99));
                }
            }
            Driver files = opened.driver("files");
            Histogram[] joinAndClose = b.filesJoinsAndCloses(files, joins);
            print(out, "files clean close -> first event at the successor", joinAndClose[1]);
            print(out, "files join -> both members balanced", joinAndClose[0]);
            if (kill.containsKey("files") && kills > 0 && joinAndClose[1].getTotalCount() > 0) {
                out.printf(Locale.ROOT, "ratio files SIGKILL / clean close: p50 %.2f, p99 %.2f%n",
                        ratio(kill.get("files"), joinAndClose[1], 50), ratio(kill.get("files"), joinAndClose[1], 99));
            }
            double[][] cpu = b.idleCpu(files, opened.options("files"), idleSeconds, idleReps);
            if (idleSeconds > 0 && idleReps > 0) {
                out.printf(Locale.ROOT, "idle member process CPU, ms per s: group %s, explicit targets %s; group upkeep"
                        + " %.2f ms/s (mean difference)%n", java.util.Arrays.toString(round(cpu[0])),
                        java.util.Arrays.toString(round(cpu[1])), mean(cpu[0]) - mean(cpu[1]));
            }
        } finally {
            DirectoryTrees.deleteTree(work);
        }
        try (Driver memory = Driver.open("memory")) {
            print(out, "memory stalled member -> first event at the successor", b.memoryStalls(memory, stalls));
        }
        return 0;
    }

    private static double ratio(Histogram a, Histogram b, double percentile) {
        return a.getValueAtPercentile(percentile) / (double) b.getValueAtPercentile(percentile);
    }

    private static double[] round(double[] v) {
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = Math.round(v[i] * 100) / 100.0;
        }
        return out;
    }

    private static double mean(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return v.length == 0 ? 0 : s / v.length;
    }

    private static void print(PrintStream out, String what, Histogram h) {
        out.printf(Locale.ROOT, "%-55s n=%d p50=%.1f p99=%.1f max=%.1f%n", what, h.getTotalCount(),
                h.getValueAtPercentile(50) / 1e3, h.getValueAtPercentile(99) / 1e3, h.getMaxValue() / 1e3);
    }

    private ConsumerOptions options() {
        return ConsumerOptions.named(NAME).sessionTimeout(sessionTimeout);
    }

    private static void await(BooleanSupplier done, String what) throws InterruptedException {
        Survivor.await(done, what);
    }

    private Set<Integer> others(Set<Integer> mine) {
        Set<Integer> out = new TreeSet<>();
        for (int p = 0; p < partitions; p++) {
            if (!mine.contains(p)) {
                out.add(p);
            }
        }
        return out;
    }

    private static void pushOneEach(TopicHandle t, Set<Integer> to) {
        try (Producer p = t.producer()) {
            for (int part : to) {
                p.push(Metadata.of("{\"probe\":true}"), DataView.EMPTY, part);
            }
            p.flush().join();
        }
    }

    // ------------------------------------------------------------------ files

    /** SIGKILL failovers, {@code kills} per driver, interleaved: kill k runs the drivers in an order rotated by k. */
    private Map<String, Histogram> kills(FailoverDrivers opened, List<String> drivers, int kills) throws Exception {
        Map<String, Histogram> out = new LinkedHashMap<>();
        Map<String, TopicHandle> topics = new LinkedHashMap<>();
        Map<String, Survivor> survivors = new LinkedHashMap<>();
        try {
            for (String d : drivers) {
                out.put(d, new Histogram(3));
                if (kills > 0) {
                    opened.driver(d).createTopic("kill", Metadata.of("{\"num_partitions\":" + partitions + "}"));
                    TopicHandle t = opened.driver(d).openTopic("kill");
                    topics.put(d, t);
                    survivors.put(d, new Survivor(t.consumer(options()), d));
                }
            }
            for (int k = 0; k < kills; k++) {
                for (int j = 0; j < drivers.size(); j++) {
                    String d = drivers.get((j + k) % drivers.size());
                    out.get(d).recordValue(kill(d, opened.options(d), topics.get(d), survivors.get(d)));
                }
            }
        } finally {
            for (Survivor s : survivors.values()) {
                s.close();
            }
            for (TopicHandle t : topics.values()) {
                t.close();
            }
        }
        return out;
    }

    /** One SIGKILL failover; returns microseconds from the kill to the survivor's first event of the victim's share. */
    private long kill(String driver, String driverOptions, TopicHandle t, Survivor s) throws Exception {
        await(() -> s.consumer.assignment().size() == partitions, driver + ": the survivor alone holds every partition");
        AtomicInteger childShare = new AtomicInteger(-1);
        Process child = MemberProcess.start(driver, driverOptions, "kill", NAME, sessionTimeout, false, childShare);
        try {
            await(() -> childShare.get() == partitions / 2 && s.consumer.assignment().size() == partitions / 2,
                    driver + ": the child member holds its share");
            Set<Integer> victims = others(s.consumer.assignment());
            s.watch(victims);
            pushOneEach(t, victims);
            Thread.sleep(100); // the child prefetches them (it never polls, so it never acknowledges them)
            long t0 = System.nanoTime();
            child.destroyForcibly(); // SIGKILL
            return Math.max(0, TimeUnit.NANOSECONDS.toMicros(s.awaitFirst() - t0));
        } finally {
            child.destroyForcibly();
            child.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /**
     * CPU of an idle member process (nothing to read) per second of wall time, in ms/s: a group member, against a
     * consumer of every partition as explicit targets (no group: the same tailing, no heartbeats, member listings or
     * lease checks), alternating, {@code reps} of each; the difference is the group's upkeep.
     *
     * @return {group, static} CPU per repetition, ms/s
     */
    private double[][] idleCpu(Driver files, String filesOptions, int seconds, int reps) throws Exception {
        double[][] out = new double[2][reps];
        if (seconds <= 0 || reps <= 0) {
            return out;
        }
        files.createTopic("idle", Metadata.of("{\"num_partitions\":" + partitions + "}"));
        for (int r = 0; r < reps; r++) {
            for (int mode = 0; mode < 2; mode++) {
                AtomicInteger share = new AtomicInteger(-1);
                Process child = MemberProcess.start("files", filesOptions, "idle",
                        mode == 0 ? "idle-group" : "idle-static", sessionTimeout, mode == 1, share);
                try {
                    await(() -> share.get() == partitions, "the idle member holds every partition");
                    Thread.sleep(1000); // past the JVM's start-up work
                    long c0 = cpuNanos(child);
                    long t0 = System.nanoTime();
                    Thread.sleep(seconds * 1000L);
                    out[mode][r] = (cpuNanos(child) - c0) / 1e6 / ((System.nanoTime() - t0) / 1e9);
                } finally {
                    child.destroyForcibly();
                    child.waitFor(10, TimeUnit.SECONDS);
                }
            }
        }
        return out;
    }

    private static long cpuNanos(Process p) {
        return p.info().totalCpuDuration().orElseThrow(() -> new IllegalStateException("this platform does not"
                + " report the CPU time of a process")).toNanos();
    }

    /** @return {join -> balanced, clean close -> first event at the successor} */
    private Histogram[] filesJoinsAndCloses(Driver files, int joins) throws Exception {
        Histogram join = new Histogram(3);
        Histogram close = new Histogram(3);
        files.createTopic("join", Metadata.of("{\"num_partitions\":" + partitions + "}"));
        try (TopicHandle t = files.openTopic("join"); Survivor s = new Survivor(t.consumer(options()), "files")) {
            for (int j = 0; j < joins; j++) {
                await(() -> s.consumer.assignment().size() == partitions, "the first member holds every partition");
                long t0 = System.nanoTime();
                Consumer second = t.consumer(options());
                try {
                    await(() -> second.assignment().size() == partitions / 2
                            && s.consumer.assignment().size() == partitions / 2, "two balanced members");
                    join.recordValue(TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - t0));
                    Set<Integer> leaving = new TreeSet<>(second.assignment());
                    s.watch(leaving);
                    pushOneEach(t, leaving);
                    Thread.sleep(100); // prefetched by the second member, never delivered there
                } finally {
                    long t1 = System.nanoTime();
                    second.close();
                    close.recordValue(TimeUnit.NANOSECONDS.toMicros(s.awaitFirst() - t1));
                }
            }
        }
        return new Histogram[] {join, close};
    }

    // ------------------------------------------------------------------ memory

    private static void block(CountDownLatch release) {
        try {
            if (!release.await(WAIT_MILLIS, TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("the stalled member was not released");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private Histogram memoryStalls(Driver memory, int stalls) throws Exception {
        Histogram h = new Histogram(3);
        memory.createTopic("stall", Metadata.of("{\"num_partitions\":" + partitions + "}"));
        try (TopicHandle t = memory.openTopic("stall"); Survivor s = new Survivor(t.consumer(options()), "memory")) {
            for (int k = 0; k < stalls; k++) {
                await(() -> s.consumer.assignment().size() == partitions, "the survivor alone holds every partition");
                AtomicBoolean stall = new AtomicBoolean();
                CountDownLatch stalled = new CountDownLatch(1);
                CountDownLatch release = new CountDownLatch(1);
                long[] t0 = new long[1];
                DataSelector blocking = (md, data) -> {
                    if (stall.get() && stalled.getCount() > 0) {
                        t0[0] = System.nanoTime(); // the fetch thread stops here: no more heartbeats
                        stalled.countDown();
                        block(release);
                    }
                    return DataDescriptor.NONE;
                };
                try (Consumer victim = t.consumer(options().dataSelector(blocking))) {
                    try {
                        await(() -> victim.assignment().size() == partitions / 2
                                && s.consumer.assignment().size() == partitions / 2, "two balanced members");
                        Set<Integer> victims = new HashSet<>(victim.assignment());
                        s.watch(victims);
                        stall.set(true);
                        pushOneEach(t, victims);
                        if (!stalled.await(WAIT_MILLIS, TimeUnit.MILLISECONDS)) {
                            throw new IllegalStateException("the victim never read an event");
                        }
                        h.recordValue(Math.max(0, TimeUnit.NANOSECONDS.toMicros(s.awaitFirst() - t0[0])));
                    } finally {
                        release.countDown();
                    }
                }
            }
        }
        return h;
    }
}
