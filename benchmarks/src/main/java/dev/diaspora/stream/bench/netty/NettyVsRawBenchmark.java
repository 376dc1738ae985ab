package dev.diaspora.stream.bench.netty;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.EventProcessor;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.bench.ProcessCpu;
import dev.diaspora.stream.files.storage.DirectoryTrees;
import dev.diaspora.stream.netty.PartitionServer;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.HdrHistogram.Histogram;

/**
 * The {@code netty} driver against a plain Java socket program ({@link RawPeer}) moving and storing the same bytes on
 * loopback, in the same run: producer and consumer throughput per event size (interleaved repetitions, median), and
 * the round-trip latency of one event (push until stored, p50/p99 with HdrHistogram).
 *
 * <p>Usage: {@code NettyVsRawBenchmark [--sizes 1048576,1024,100] [--bytes 1073741824] [--max-events 2000000]
 * [--reps 3] [--warmup-reps 0] [--latency-events 20000] [--latency-warmup 0] [--recycle] [--dir DIR]}. Each event
 * carries 16 bytes of metadata. {@code --recycle} consumes on the netty side with a consumer opened with
 * {@code recycleEvents(true)}, through {@code poll(EventProcessor, 256, timeout)} (the default: {@code poll(timeout)},
 * one event at a time). {@code --warmup-reps N} runs N unrecorded repetitions of each size (both programs, produce and
 * consume) before the recorded ones: the first repetition of a size runs much of the driver in the interpreter and is
 * often 3-5x slower, which a median of 3 does not always hide. Each size's line also gives the process CPU time per
 * event of each phase (server, client, JIT and collector: they all run in this process), which a change that saves
 * CPU without moving events/s (the 2 cores shared by five busy threads) still shows.
 * {@code --latency-warmup N} runs N unrecorded round trips on each side before the recorded ones (0, the default,
 * records from the first, as earlier builds did); the round trip line also gives the process CPU time per recorded
 * round trip (server, clients, JIT and collector: they all run in this process).
 *
 * <p>Thread safety: a program; one thread drives it.
 */
public final class NettyVsRawBenchmark {
    private static final int METADATA = 16;
    private static final byte[] MD = "{\"x\":1234567890}".getBytes(StandardCharsets.US_ASCII);

    private final PrintStream out;
    private final Path dir;
    /** Consume through a recycling consumer and an EventProcessor ({@code --recycle}). */
    private final boolean recycle;
    private final PartitionServer server;
    private final RawPeer raw;
    private final Driver driver;
    private int topics;

    private NettyVsRawBenchmark(PrintStream out, Path dir, boolean recycle) throws IOException {
        this.out = out;
        this.dir = dir;
        this.recycle = recycle;
        this.server = PartitionServer.builder().host("127.0.0.1").port(0).rootPath(dir.resolve("server"))
                .ioThreads(1).start();
        this.raw = new RawPeer(dir.resolve("raw.log"));
        this.driver = Driver.open("netty", Metadata.of("{\"servers\":[\"127.0.0.1:" + server.port() + "\"]}"));
    }

    public static void main(String[] args) throws Exception {
        System.exit(run(args, System.out));
    }

    /** Runs the comparison; returns the exit status. */
    public static int run(String[] args, PrintStream out) throws Exception {
        long[] sizes = {1 << 20, 1024, 100};
        long bytes = 1L << 30;
        long maxEvents = 2_000_000;
        int reps = 3;
        int warmupReps = 0;
        int latencyEvents = 20_000;
        int latencyWarmup = 0;
        boolean recycle = false;
        Path dir = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--sizes":
                    sizes = Arrays.stream(args[++i].split(",")).mapToLong(Long::parseLong).toArray();
                    break;
                case "--bytes":
                    bytes = Long.parseLong(args[++i]);
                    break;
                case "--max-events":
                    maxEvents = Long.parseLong(args[++i]);
                    break;
                case "--reps":
                    reps = Integer.parseInt(args[++i]);
                    break;
                case "--warmup-reps":
                    warmupReps = Integer.parseInt(args[++i]);
                    break;
                case "--latency-events":
                    latencyEvents = Integer.parseInt(args[++i]);
                    break;
                case "--latency-warmup":
                    latencyWarmup = Integer.parseInt(args[++i]);
                    break;
                case "--dir":
                    dir = Path.of(args[++i]);
                    break;
                case "--recycle":
                    recycle = true;
                    break;
                default:
                    out.println("unknown option " + args[i] + "; usage: NettyVsRawBenchmark [--sizes a,b] [--bytes B]"
                            + " [--max-events N] [--reps R] [--warmup-reps N] [--latency-events N] [--latency-warmup N]"
                            + " [--recycle] [--dir DIR]");
                    return 2;
            }
        }
        if (reps < 1 || warmupReps < 0) {
            out.println("--reps must be at least 1 and --warmup-reps at least 0 (got " + reps + " and " + warmupReps
                    + ")");
            return 2;
        }
        Path work = Files.createTempDirectory(dir == null ? Path.of(System.getProperty("java.io.tmpdir")) : dir,
                "netty-vs-raw");
        NettyVsRawBenchmark b = new NettyVsRawBenchmark(out, work, recycle);
        try {
            out.println("size_bytes events | produce raw MB/s, netty MB/s, ratio, netty events/s | consume raw MB/s,"
                    + " netty MB/s, ratio, netty events/s" + (warmupReps > 0 ? "   (after " + warmupReps
                    + " unrecorded repetitions per size)" : "") + (recycle ? "   (netty consumer: recycleEvents,"
                    + " poll(EventProcessor))" : ""));
            for (long size : sizes) {
                long n = Math.max(1, Math.min(maxEvents, bytes / (size + METADATA)));
                b.compare((int) size, n, reps, warmupReps);
            }
            if (latencyEvents > 0) {
                b.latency(latencyEvents, latencyWarmup);
            }
        } finally {
            b.close();
            DirectoryTrees.deleteTree(work);
        }
        return 0;
    }

    private void compare(int size, long n, int reps, int warmupReps) throws IOException {
        double[] rawP = new double[reps];
        double[] netP = new double[reps];
        double[] rawC = new double[reps];
        double[] netC = new double[reps];
        ByteBuffer data = ByteBuffer.allocateDirect(Math.max(1, size));
        while (data.hasRemaining()) {
            data.put((byte) data.position());
        }
        data.flip().limit(size);
        double[][] cpu = new double[4][reps]; // process CPU us per event: raw P, netty P, raw C, netty C
        for (int r = -warmupReps; r < reps; r++) {
            long c0 = ProcessCpu.nanos();
            double rp = rawProduce(data, n);
            long c1 = ProcessCpu.nanos();
            String topic = "t" + (++topics);
            double np = nettyProduce(topic, data, n);
            long c2 = ProcessCpu.nanos();
            double rc = rawConsume(n);
            long c3 = ProcessCpu.nanos();
            double nc = nettyConsume(topic, n);
            long c4 = ProcessCpu.nanos();
            driver.deleteTopic(topic);
            if (r >= 0) {
                rawP[r] = rp;
                netP[r] = np;
                rawC[r] = rc;
                netC[r] = nc;
                long[] at = {c0, c1, c2, c3, c4};
                for (int k = 0; k < 4; k++) {
                    cpu[k][r] = (at[k + 1] - at[k]) / 1e3 / n;
                }
            }
        }
        double mb = n * (double) (size + METADATA) / 1e6;
        double rp = mb / median(rawP);
        double np = mb / median(netP);
        double rc = mb / median(rawC);
        double nc = mb / median(netC);
        out.println(String.format(Locale.ROOT, "%d %d | %.1f %.1f %.2f %.0f | %.1f %.1f %.2f %.0f   (s per rep:"
                + " raw P %s netty P %s raw C %s netty C %s; process CPU us per event, medians: raw P %.3f netty P"
                + " %.3f raw C %.3f netty C %.3f)", size, n, rp, np, np / rp, n / median(netP), rc, nc,
                nc / rc, n / median(netC), round(rawP), round(netP), round(rawC), round(netC), median(cpu[0]),
                median(cpu[1]), median(cpu[2]), median(cpu[3])));
        out.flush();
    }

    private double rawProduce(ByteBuffer data, long n) throws IOException {
        try (SocketChannel ch = connect('P')) {
            long t0 = System.nanoTime();
            ByteBuffer header = ByteBuffer.allocateDirect(4 + METADATA);
            int frame = METADATA + data.remaining();
            RawPeer.writeFully(ch, ByteBuffer.allocate(8).putLong(n * (4L + frame)).flip());
            if (frame + 4 <= 64 << 10) { // small events: batched in a buffer, as the driver batches
                ByteBuffer batch = ByteBuffer.allocateDirect(1 << 20);
                for (long i = 0; i < n; i++) {
                    if (batch.remaining() < frame + 4) {
                        RawPeer.writeFully(ch, batch.flip());
                        batch.clear();
                    }
                    batch.putInt(frame).put(MD).put(data.duplicate());
                }
                RawPeer.writeFully(ch, batch.flip());
            } else {
                ByteBuffer[] parts = {header, null};
                for (long i = 0; i < n; i++) {
                    header.clear().putInt(frame).put(MD).flip();
                    parts[1] = data.duplicate();
                    while (parts[1].hasRemaining() || header.hasRemaining()) {
                        ch.write(parts);
                    }
                }
            }
            ByteBuffer ack = ByteBuffer.allocate(8);
            RawPeer.readFully(ch, ack);
            return (System.nanoTime() - t0) / 1e9;
        }
    }

    private double rawConsume(long n) throws IOException {
        try (SocketChannel ch = connect('C')) {
            long t0 = System.nanoTime();
            ByteBuffer len = ByteBuffer.allocate(8);
            RawPeer.readFully(ch, len);
            long left = len.getLong(0);
            ByteBuffer buf = ByteBuffer.allocateDirect(4 << 20);
            while (left > 0) {
                buf.clear().limit((int) Math.min(buf.capacity(), left));
                RawPeer.readFully(ch, buf);
                left -= buf.limit();
            }
            return (System.nanoTime() - t0) / 1e9;
        }
    }

    private SocketChannel connect(char mode) throws IOException {
        SocketChannel ch = SocketChannel.open(new InetSocketAddress("127.0.0.1", raw.port()));
        ch.socket().setTcpNoDelay(true);
        RawPeer.writeFully(ch, ByteBuffer.wrap(new byte[] {(byte) mode}));
        return ch;
    }

    private double nettyProduce(String topic, ByteBuffer data, long n) {
        driver.createTopic(topic, Metadata.of("{\"num_partitions\":1}"));
        Metadata md = Metadata.of(new String(MD, StandardCharsets.US_ASCII));
        try (TopicHandle t = driver.openTopic(topic); Producer p = t.producer()) {
            long t0 = System.nanoTime();
            for (long i = 0; i < n; i++) {
                p.push(md, DataView.of(data.duplicate()), 0, (partition, id, error) -> {
                    if (error != null) {
                        throw new IllegalStateException(error);
                    }
                });
            }
            p.flush().join();
            return (System.nanoTime() - t0) / 1e9;
        }
    }

    private double nettyConsume(String topic, long n) {
        if (recycle) {
            return nettyConsumeRecycled(topic, n);
        }
        try (TopicHandle t = driver.openTopic(topic); Consumer c = t.consumer("bench")) {
            long t0 = System.nanoTime();
            long got = 0;
            long bytes = 0;
            while (got < n) {
                Optional<Event> e = c.poll(Duration.ofSeconds(30));
                if (e.isEmpty()) {
                    throw new IllegalStateException("netty consumer: no event within 30 s after " + got);
                }
                bytes += e.get().data().size();
                got++;
            }
            if (bytes < 0) {
                throw new AssertionError();
            }
            return (System.nanoTime() - t0) / 1e9;
        }
    }

    /**
     * {@link #nettyConsume} through a consumer that recycles its events
     * (and their data buffers), read in batches through an {@link EventProcessor}.
     */
    private double nettyConsumeRecycled(String topic, long n) {
        try (TopicHandle t = driver.openTopic(topic);
                Consumer c = t.consumer(ConsumerOptions.named("bench").recycleEvents(true))) {
            long[] seen = new long[2]; // events, bytes
            EventProcessor count = e -> {
                seen[0]++;
                seen[1] += e.data().size();
            };
            long t0 = System.nanoTime();
            while (seen[0] < n) {
                if (c.poll(count, (int) Math.min(256, n - seen[0]), Duration.ofSeconds(30)) == 0) {
                    throw new IllegalStateException("netty consumer: no event within 30 s after " + seen[0]);
                }
            }
            if (seen[1] < 0) {
                throw new AssertionError();
            }
            return (System.nanoTime() - t0) / 1e9;
        }
    }

    /**
     * One 100 B event at a time, raw then netty: {@code warmup} round trips first, not recorded (the JIT compiles the
     * path meanwhile: without them the first thousands of netty round trips run in the interpreter while the compiler
     * threads take a core of the two), then {@code events} recorded ones, whose process CPU time is counted too.
     */
    private void latency(int events, int warmup) throws IOException {
        ByteBuffer data = ByteBuffer.allocateDirect(100);
        Histogram rawH = new Histogram(3);
        Histogram netH = new Histogram(3);
        long rawCpu;
        long netCpu;
        try (SocketChannel ch = connect('L')) {
            ByteBuffer frame = ByteBuffer.allocateDirect(4 + METADATA + 100);
            ByteBuffer ack = ByteBuffer.allocateDirect(8);
            rawRoundTrips(ch, frame, ack, data, warmup, null);
            rawCpu = -ProcessCpu.nanos();
            rawRoundTrips(ch, frame, ack, data, events, rawH);
            rawCpu += ProcessCpu.nanos();
            RawPeer.writeFully(ch, ByteBuffer.allocate(4).putInt(0).flip());
            ack.clear();
            RawPeer.readFully(ch, ack);
        }
        String topic = "latency" + (++topics);
        driver.createTopic(topic, Metadata.of("{\"num_partitions\":1}"));
        Metadata md = Metadata.of(new String(MD, StandardCharsets.US_ASCII));
        try (TopicHandle t = driver.openTopic(topic); Producer p = t.producer()) {
            nettyRoundTrips(p, md, data, warmup, null);
            netCpu = -ProcessCpu.nanos();
            nettyRoundTrips(p, md, data, events, netH);
            netCpu += ProcessCpu.nanos();
        }
        driver.deleteTopic(topic);
        out.println(String.format(Locale.ROOT, "round trip of one 100 B event (push until stored), %d events after %d"
                + " unrecorded: raw p50 %.1f us p99 %.1f us | netty p50 %.1f us p99 %.1f us | ratio p50 %.2f | process"
                + " CPU per round trip: raw %.1f us, netty %.1f us", events, warmup,
                rawH.getValueAtPercentile(50) / 1e3, rawH.getValueAtPercentile(99) / 1e3,
                netH.getValueAtPercentile(50) / 1e3, netH.getValueAtPercentile(99) / 1e3,
                (double) netH.getValueAtPercentile(50) / rawH.getValueAtPercentile(50), rawCpu / 1e3 / events,
                netCpu / 1e3 / events));
    }

    /** {@code n} raw round trips, each timed into {@code h} unless it is null. */
    private static void rawRoundTrips(SocketChannel ch, ByteBuffer frame, ByteBuffer ack, ByteBuffer data, int n,
            Histogram h) throws IOException {
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            frame.clear().putInt(METADATA + 100).put(MD).put(data.duplicate()).flip();
            RawPeer.writeFully(ch, frame);
            ack.clear();
            RawPeer.readFully(ch, ack);
            if (h != null) {
                h.recordValue(System.nanoTime() - t0);
            }
        }
    }

    /** {@code n} netty round trips (push, then {@code join()}), each timed into {@code h} unless it is null. */
    private static void nettyRoundTrips(Producer p, Metadata md, ByteBuffer data, int n, Histogram h) {
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            p.push(md, DataView.of(data.duplicate()), 0).join();
            if (h != null) {
                h.recordValue(System.nanoTime() - t0);
            }
        }
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    private static List<Double> round(double[] v) {
        List<Double> out = new ArrayList<>();
        for (double x : v) {
            out.add(Math.round(x * 1000) / 1000.0);
        }
        return out;
    }

    private void close() throws IOException {
        driver.close();
        server.close();
        raw.close();
    }

}
