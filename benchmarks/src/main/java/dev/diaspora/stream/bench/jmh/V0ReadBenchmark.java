package dev.diaspora.stream.bench.jmh;

import dev.diaspora.stream.BatchSize;
import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.StartAt;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.files.storage.DirectoryTrees;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
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
 * Issue 19: a consumer reading {@link #EVENTS} events (128 B metadata + 1 KiB data) from the start of a topic in the
 * C++ layout ({@code files-v0}: no checksums, one length-prefixed metadata record and one 32-byte index record per
 * event) next to the same events in the files layout ({@code files}: CRC32C per record and per 64 KiB data block).
 * Same engine, same consumer options, same bytes; both topics are written in the trial setup, so both are in the
 * page cache. Score: events/s; the ratio v0 / files is the figure to report.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
@State(Scope.Benchmark)
public class V0ReadBenchmark {
    public static final int EVENTS = 50_000;
    public static final int DATA_SIZE = 1024;

    /** The driver whose topic is read: the C++ layout or the files layout. */
    @Param({"files-v0", "files"})
    public String driver;

    private Path dir;
    private Driver open;
    private TopicHandle topic;
    private int consumers;

    @Setup(Level.Trial)
    public void setup() throws IOException {
        dir = Payload.newDir("bench-v0-read-");
        byte[] md = Payload.jsonString(Payload.METADATA_SIZE, 1);
        byte[] data = new byte[DATA_SIZE];
        new SplittableRandom(3).nextBytes(data);
        open = Driver.open(driver, Metadata.of("{\"root_path\":" + Payload.jsonPath(dir) + "}"));
        open.createTopic("bench", Metadata.of("{\"num_partitions\":1}"));
        topic = open.openTopic("bench");
        Payload.fill(topic, md, data, EVENTS);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        topic.close();
        open.close();
        DirectoryTrees.deleteTree(dir);
    }

    /** Each invocation: a new consumer (new name) reads all EVENTS events, full data, from the start. */
    @Benchmark
    @OperationsPerInvocation(EVENTS)
    public long read() {
        long sum = 0;
        try (Consumer c = topic.consumer(ConsumerOptions.named("bench-" + (consumers++)).startAt(StartAt.EARLIEST)
                .batchSize(BatchSize.adaptive()))) {
            for (int i = 0; i < EVENTS; i++) {
                Optional<Event> e = c.poll(Duration.ofSeconds(10));
                if (e.isEmpty()) {
                    throw new IllegalStateException("only " + i + " events read from " + driver);
                }
                sum += e.get().data().size() + e.get().metadata().size();
            }
        }
        return sum;
    }
}
