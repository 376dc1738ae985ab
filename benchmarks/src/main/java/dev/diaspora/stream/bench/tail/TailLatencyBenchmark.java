package dev.diaspora.stream.bench.tail;

import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.files.storage.DirectoryTrees;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.wire.DocumentContext;

/**
 * Cross-process tail latency (issue 16): this process appends one small event at a time, and a tailer in another JVM
 * receives it; the latency of each event is its receipt time minus the time just before the append (both
 * {@link System#nanoTime()}, one monotonic clock on Linux). The {@code files} driver (a consumer of a one-partition
 * topic) and a Chronicle Queue tailer (with a Chronicle {@code Pauser}, {@code balanced} by default) run side by side
 * in the same run: appends alternate between the two, spaced by a random pause (uniform within half to one and a half
 * of {@code --interval-ms}, seeded), so each tailer is usually idle when its event comes. Then, after 3 s for the
 * tailers' JIT compilers to finish, both tailers idle for {@code --idle-seconds} and the CPU time of each tailer
 * process per second is printed (from the operating system, which counts in ticks of 10 ms on Linux: use several
 * seconds).
 *
 * <p>Usage: {@code TailLatencyBenchmark [--events N] [--warmup W] [--interval-ms D] [--idle-seconds S]
 * [--systems files,chronicle] [--chronicle-pauser balanced|busy|sleepy|millis] [--seed S] [--dir DIR]}; prints n,
 * p50, p99, p99.9 and max in microseconds per system, their ratios, and the idle CPU.
 *
 * <p>Thread safety: a program; {@link #run} owns everything it starts.
 */
public final class TailLatencyBenchmark {
    private static final List<String> SYSTEMS = List.of(TailerMain.FILES, TailerMain.CHRONICLE);
    private static final long WAIT_MILLIS = 120_000;
    private static final long SETTLE_MILLIS = 3000;

    private TailLatencyBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals(TailerMain.FLAG)) {
            TailerMain.run(args);
            return;
        }
        System.exit(run(args, System.out));
    }

    /** Runs the measure; returns the exit status (2 on a usage error, 1 if a tailer failed). */
    public static int run(String[] args, PrintStream out) throws Exception {
        int events = 2000;
        int warmup = 200;
        double intervalMs = 5;
        int idleSeconds = 5;
        long seed = System.nanoTime();
        String pauser = "balanced";
        List<String> systems = SYSTEMS;
        Path dir = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--events" -> events = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--interval-ms" -> intervalMs = Double.parseDouble(args[++i]);
                case "--idle-seconds" -> idleSeconds = Integer.parseInt(args[++i]);
                case "--systems" -> systems = List.of(args[++i].split(","));
                case "--chronicle-pauser" -> pauser = args[++i];
                case "--seed" -> seed = Long.parseLong(args[++i]);
                case "--dir" -> dir = Path.of(args[++i]);
                default -> {
                    out.println("unknown option " + args[i] + "; usage: TailLatencyBenchmark [--events N]"
                            + " [--warmup W] [--interval-ms D] [--idle-seconds S] [--systems files,chronicle]"
                            + " [--chronicle-pauser balanced|busy|sleepy|millis] [--seed S] [--dir DIR]");
                    return 2;
                }
            }
        }
        if (systems.isEmpty() || !SYSTEMS.containsAll(systems)) {
            out.println("--systems takes a comma-separated list of " + SYSTEMS + ", got " + systems);
            return 2;
        }
        try {
            TailerMain.pauser(pauser);
        } catch (IllegalArgumentException e) {
            out.println(e.getMessage());
            return 2;
        }
        Path work = Files.createTempDirectory(dir == null ? Path.of(System.getProperty("java.io.tmpdir")) : dir,
                "tail-latency");
        out.printf(Locale.ROOT, "append in this process -> event delivered in another; %d events per system after %d"
                + " warm-up, %.2f ms apart on average (seed %d), Chronicle pauser %s; JDK %s; times in us%n", events,
                warmup, intervalMs, seed, pauser, System.getProperty("java.version"));
        List<Appender> appenders = new ArrayList<>();
        List<TailerProcess> tailers = new ArrayList<>();
        try {
            for (String s : systems) {
                Path d = work.resolve(s);
                Appender a = s.equals(TailerMain.FILES) ? new FilesAppender(d) : new ChronicleAppender(d);
                appenders.add(a);
                tailers.add(TailerProcess.start(s, d, warmup, pauser, TailLatencyBenchmark.class));
            }
            for (TailerProcess t : tailers) {
                t.awaitLine("READY", WAIT_MILLIS);
            }
            SplittableRandom random = new SplittableRandom(seed);
            long pauseNanos = (long) (intervalMs * 1e6);
            for (long seq = 0; seq < warmup + events; seq++) {
                for (Appender a : appenders) {
                    LockSupport.parkNanos(pauseNanos / 2 + random.nextLong(Math.max(1, pauseNanos)));
                    a.append(seq, System.nanoTime());
                }
            }
            for (Appender a : appenders) {
                a.append(-1, System.nanoTime());
            }
            double[][] results = new double[tailers.size()][];
            for (int i = 0; i < tailers.size(); i++) {
                results[i] = tailers.get(i).result(WAIT_MILLIS);
                out.printf(Locale.ROOT, "%-10s n=%d p50 %.1f p99 %.1f p99.9 %.1f max %.1f%n", systems.get(i),
                        (long) results[i][0], results[i][1], results[i][2], results[i][3], results[i][4]);
            }
            if (results.length == 2) {
                out.printf(Locale.ROOT, "ratio %s/%s: p50 %.2f p99 %.2f%n", systems.get(0), systems.get(1),
                        results[0][1] / results[1][1], results[0][2] / results[1][2]);
            }
            idleCpu(out, systems, tailers, idleSeconds);
            return 0;
        } catch (IllegalStateException e) {
            out.println("FAILED: " + e.getMessage());
            return 1;
        } finally {
            for (TailerProcess t : tailers) {
                t.close();
            }
            for (Appender a : appenders) {
                a.close();
            }
            DirectoryTrees.deleteTree(work);
        }
    }

    /** Prints the CPU time per second of each tailer process while nothing is appended. */
    private static void idleCpu(PrintStream out, List<String> systems, List<TailerProcess> tailers, int seconds)
            throws InterruptedException {
        if (seconds <= 0) {
            return;
        }
        Thread.sleep(SETTLE_MILLIS); // the tailers' JIT compilers finish what the latency phase started
        long[] c0 = new long[tailers.size()];
        for (int i = 0; i < c0.length; i++) {
            c0[i] = tailers.get(i).cpuNanos();
        }
        long t0 = System.nanoTime();
        Thread.sleep(TimeUnit.SECONDS.toMillis(seconds)); // the window: nothing is appended meanwhile
        double wall = (System.nanoTime() - t0) / 1e9;
        StringBuilder line = new StringBuilder("idle tailer process CPU over " + seconds + " s, % of a core:");
        for (int i = 0; i < c0.length; i++) {
            double pct = (tailers.get(i).cpuNanos() - c0[i]) / 1e9 / wall * 100;
            line.append(String.format(Locale.ROOT, " %s %.2f", systems.get(i), pct));
        }
        out.println(line);
    }

    /** Appends one record holding a sequence number and the time before the append. */
    private interface Appender extends AutoCloseable {
        void append(long seq, long sentNanos);

        @Override
        void close();
    }

    private static final class FilesAppender implements Appender {
        private final Driver driver;
        private final TopicHandle topic;
        private final Producer producer;

        FilesAppender(Path root) {
            driver = Driver.open(TailerMain.FILES, Metadata.of("{\"root_path\":\"" + root + "\"}"));
            driver.createTopic(TailerMain.TOPIC, Metadata.of("{\"num_partitions\":1}"));
            topic = driver.openTopic(TailerMain.TOPIC);
            producer = topic.producer();
        }

        @Override
        public void append(long seq, long sentNanos) {
            ByteBuffer b = ByteBuffer.allocate(16).putLong(seq).putLong(sentNanos).flip();
            producer.push(Metadata.of("{}"), DataView.of(b));
            producer.flush().join();
        }

        @Override
        public void close() {
            producer.close();
            topic.close();
            driver.close();
        }
    }

    private static final class ChronicleAppender implements Appender {
        private final ChronicleQueue queue;
        private final ExcerptAppender appender;

        ChronicleAppender(Path dir) {
            queue = SingleChronicleQueueBuilder.binary(dir.toFile()).blockSize(64L << 20).build();
            appender = queue.createAppender();
        }

        @Override
        public void append(long seq, long sentNanos) {
            try (DocumentContext dc = appender.writingDocument()) {
                dc.wire().bytes().writeLong(seq).writeLong(sentNanos);
            }
        }

        @Override
        public void close() {
            queue.close(); // closes its appenders
        }
    }
}
