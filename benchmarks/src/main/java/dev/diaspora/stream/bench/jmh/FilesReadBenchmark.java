package dev.diaspora.stream.bench.jmh;

import dev.diaspora.stream.BatchSize;
import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataDescriptor;
import dev.diaspora.stream.DataSelector;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.EventProcessor;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.StartAt;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.bench.jmh.baseline.ChannelLog;
import dev.diaspora.stream.bench.jmh.baseline.ChronicleLog;
import dev.diaspora.stream.files.storage.DirectoryTrees;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Issue 3 consumer figures: a consumer reading a pre-filled {@code files} topic of {@link #EVENTS} events (128 B
 * metadata + 1 KiB data) from the start, with the full data or a 25 % sub-view per event ({@code selectivity}),
 * against a plain sequential FileChannel read of the same bytes and a Chronicle Queue tailer. Score: events/s; the
 * {@code dataBytes} counter gives the data bytes delivered per second, so {@code dataBytes / score} is the bytes
 * read per event (1024 at full selectivity, 256 at 25 %). The files are in the page cache (they were just written).
 * At {@code selectivity} 0 the consumers read metadata only (the selector returns an empty view), which leaves in the
 * allocation per event ({@code -prof gc}) what the engine and the driver allocate, without the 1 KiB data buffer.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g", "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED",
    "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
    "-Dchronicle.analytics.disable=true"})
@State(Scope.Benchmark)
public class FilesReadBenchmark {
    public static final int EVENTS = 50_000;
    public static final int DATA_SIZE = 1024;

    @Param({"1.0", "0.25", "0"})
    public double selectivity;

    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Bytes {
        public long dataBytes;

        @Setup(Level.Iteration)
        public void reset() {
            dataBytes = 0;
        }
    }

    @State(Scope.Benchmark)
    public static class Filled {
        Path dir;
        Driver driver;
        TopicHandle topic;
        Path channelFile;
        ChronicleLog chronicle;
        int consumers;

        @Setup(Level.Trial)
        public void setup() throws IOException {
            dir = Payload.newDir("bench-read-");
            byte[] md = Payload.jsonString(Payload.METADATA_SIZE, 1);
            byte[] data = new byte[DATA_SIZE];
            new SplittableRandom(3).nextBytes(data);
            driver = Driver.open("files", Metadata.of("{\"root_path\":" + Payload.jsonPath(dir.resolve("files")) + "}"));
            driver.createTopic("bench", Metadata.of("{\"num_partitions\":1}"));
            topic = driver.openTopic("bench");
            Payload.fill(topic, md, data, EVENTS);
            channelFile = dir.resolve("channel.log");
            ByteBuffer direct = ByteBuffer.allocateDirect(DATA_SIZE);
            direct.put(data).flip();
            try (ChannelLog log = new ChannelLog(channelFile)) {
                for (int i = 0; i < EVENTS; i++) {
                    log.append(md, direct.duplicate());
                }
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            topic.close();
            driver.close();
            if (chronicle != null) {
                chronicle.close();
            }
            DirectoryTrees.deleteTree(dir);
        }

        ChronicleLog chronicle() {
            if (chronicle == null) {
                byte[] md = Payload.jsonString(Payload.METADATA_SIZE, 1);
                byte[] data = new byte[DATA_SIZE];
                new SplittableRandom(3).nextBytes(data);
                chronicle = new ChronicleLog(dir.resolve("chronicle"));
                for (int i = 0; i < EVENTS; i++) {
                    chronicle.append(md, data);
                }
            }
            return chronicle;
        }
    }

    /** @return the data selector of the {@code selectivity} parameter */
    private DataSelector selector() {
        double sel = selectivity;
        if (sel <= 0) {
            return (m, d) -> DataDescriptor.NONE;
        }
        return sel >= 1.0 ? DataSelector.ALL : (m, d) -> d.makeSubView(0, (long) Math.floor(d.size() * sel));
    }

    /** Each invocation: a new consumer (new name) reads all EVENTS events from the start. */
    @Benchmark
    @OperationsPerInvocation(EVENTS)
    public long filesDriver(Filled f, Bytes bytes) {
        DataSelector selector = selector();
        long sum = 0;
        try (Consumer c = f.topic.consumer(ConsumerOptions.named("bench-" + (f.consumers++))
                .startAt(StartAt.EARLIEST).dataSelector(selector).batchSize(BatchSize.adaptive()))) {
            for (int i = 0; i < EVENTS; i++) {
                Optional<Event> e = c.poll(Duration.ofSeconds(10));
                if (e.isEmpty()) {
                    throw new IllegalStateException("only " + i + " events read");
                }
                DataView d = e.get().data();
                sum += d.size();
            }
        }
        bytes.dataBytes += sum;
        return sum;
    }

    /**
     * As {@link #filesDriver}, through the batch poll ({@code poll(EventProcessor, maxEvents, timeout)}), which
     * allocates nothing per event on the calling thread; run with {@code -prof gc} for the allocation per event.
     */
    @Benchmark
    @OperationsPerInvocation(EVENTS)
    public long filesDriverBatchPoll(Filled f, Bytes bytes) {
        return batchPoll(f, bytes, false);
    }

    /**
     * As {@link #filesDriverBatchPoll}, with the consumer opened with {@code recycleEvents(true)}: each event is valid
     * only during the processor's call and the consumer reuses the event object and its data buffer; with the
     * driver's reused read objects, {@code -prof gc} gives what is left per event.
     */
    @Benchmark
    @OperationsPerInvocation(EVENTS)
    public long filesDriverBatchPollRecycled(Filled f, Bytes bytes) {
        return batchPoll(f, bytes, true);
    }

    private long batchPoll(Filled f, Bytes bytes, boolean recycle) {
        DataSelector selector = selector();
        long[] sum = new long[1];
        EventProcessor sink = e -> sum[0] += e.data().size();
        try (Consumer c = f.topic.consumer(ConsumerOptions.named("bench-" + (f.consumers++))
                .startAt(StartAt.EARLIEST).dataSelector(selector).batchSize(BatchSize.adaptive())
                .recycleEvents(recycle))) {
            int read = 0;
            while (read < EVENTS) {
                int n = c.poll(sink, EVENTS - read, Duration.ofSeconds(10));
                if (n <= 0) {
                    throw new IllegalStateException("only " + read + " events read");
                }
                read += n;
            }
        }
        bytes.dataBytes += sum[0];
        return sum[0];
    }

    /** Ceiling: one sequential pass over the FileChannel log of the same bytes, 1 MiB direct reads. */
    @Benchmark
    @OperationsPerInvocation(EVENTS)
    public long fileChannel(Filled f, Bytes bytes) throws IOException {
        long sum = 0;
        int events = 0;
        ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
        try (FileChannel ch = FileChannel.open(f.channelFile, StandardOpenOption.READ)) {
            while (ch.read(buf) > 0 || buf.position() > 0) {
                buf.flip();
                while (buf.remaining() >= 4) {
                    int start = buf.position();
                    int ml = buf.getInt(start);
                    if (buf.remaining() < 4 + ml + 8) {
                        break;
                    }
                    long dl = buf.getLong(start + 4 + ml);
                    long total = 4 + ml + 8 + dl;
                    if (buf.remaining() < total) {
                        break;
                    }
                    buf.position((int) (start + total));
                    sum += dl; // the plain reader reads every byte whatever the selectivity
                    events++;
                }
                buf.compact();
                if (events == EVENTS) {
                    break;
                }
            }
        }
        if (events != EVENTS) {
            throw new IllegalStateException("read " + events + " events");
        }
        bytes.dataBytes += sum;
        return sum;
    }

    /** Chronicle Queue tailer over the same bytes (filled on first use). */
    @Benchmark
    @OperationsPerInvocation(EVENTS)
    public long chronicleQueue(Filled f, Bytes bytes) {
        long[] sink = new long[1];
        long n = f.chronicle().readAll(sink);
        if (n != EVENTS) {
            throw new IllegalStateException("read " + n + " events");
        }
        long sum = sink[0]; // reads every byte whatever the selectivity
        bytes.dataBytes += sum;
        return sum;
    }
}
