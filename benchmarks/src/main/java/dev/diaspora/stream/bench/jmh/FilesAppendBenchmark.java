package dev.diaspora.stream.bench.jmh;

import dev.diaspora.stream.BatchSize;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.ProducerOptions;
import dev.diaspora.stream.PushCallback;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.bench.jmh.baseline.ChannelLog;
import dev.diaspora.stream.bench.jmh.baseline.ChronicleLog;
import dev.diaspora.stream.bench.jmh.baseline.SplitChannelLog;
import dev.diaspora.stream.files.storage.DirectoryTrees;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Issue 3 producer figures: the {@code files} driver appending batches of 128 events (128 B metadata + 0 B / 1 KiB
 * / 1 MiB data), against a plain sequential FileChannel writer and Chronicle Queue writing the same bytes, and a
 * FileChannel writer of the driver's three files ({@link SplitChannelLog}: the layout's floor), in the same run.
 * Score: events/s. Each iteration writes into a fresh directory that is deleted afterwards.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g", "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED",
    "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
    "-Dchronicle.analytics.disable=true"})
public class FilesAppendBenchmark {

    /** The files driver, topic of 1 partition, producer with batch size 128. */
    @State(Scope.Benchmark)
    public static class FilesState {
        Path dir;
        Driver driver;
        TopicHandle topic;
        Producer producer;
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        PushCallback callback;

        @Setup(Level.Iteration)
        public void setup() throws IOException {
            dir = Payload.newDir("bench-files-");
            driver = Driver.open("files", Metadata.of("{\"root_path\":" + Payload.jsonPath(dir) + "}"));
            driver.createTopic("bench", Metadata.of("{\"num_partitions\":1}"));
            topic = driver.openTopic("bench");
            producer = topic.producer(ProducerOptions.named("bench").batchSize(BatchSize.of(Payload.BATCH)));
            callback = (p, id, err) -> {
                if (err != null) {
                    failure.compareAndSet(null, err);
                }
            };
        }

        @TearDown(Level.Iteration)
        public void tearDown() {
            producer.close();
            topic.close();
            driver.close();
            DirectoryTrees.deleteTree(dir);
            if (failure.get() != null) {
                throw new IllegalStateException("push failed", failure.get());
            }
        }
    }

    @State(Scope.Benchmark)
    public static class ChannelState {
        Path dir;
        ChannelLog log;

        @Setup(Level.Iteration)
        public void setup() throws IOException {
            dir = Payload.newDir("bench-channel-");
            log = new ChannelLog(dir.resolve("log"));
        }

        @TearDown(Level.Iteration)
        public void tearDown() throws IOException {
            log.close();
            DirectoryTrees.deleteTree(dir);
        }
    }

    @State(Scope.Benchmark)
    public static class SplitChannelState {
        Path dir;
        SplitChannelLog log;

        @Setup(Level.Iteration)
        public void setup() throws IOException {
            dir = Payload.newDir("bench-split-");
            log = new SplitChannelLog(dir);
        }

        @TearDown(Level.Iteration)
        public void tearDown() throws IOException {
            log.close();
            DirectoryTrees.deleteTree(dir);
        }
    }

    @State(Scope.Benchmark)
    public static class ChronicleState {
        Path dir;
        ChronicleLog log;

        @Setup(Level.Iteration)
        public void setup() throws IOException {
            dir = Payload.newDir("bench-chronicle-");
            log = new ChronicleLog(dir);
        }

        @TearDown(Level.Iteration)
        public void tearDown() {
            if (log != null) {
                log.close();
            }
            DirectoryTrees.deleteTree(dir);
        }
    }

    @Benchmark
    @OperationsPerInvocation(Payload.BATCH)
    public void filesDriver(Payload p, FilesState s) {
        Producer producer = s.producer;
        for (int i = 0; i < Payload.BATCH; i++) {
            producer.push(p.metadata, p.data, 0, s.callback);
        }
        producer.flush().join();
    }

    @Benchmark
    @OperationsPerInvocation(Payload.BATCH)
    public void fileChannel(Payload p, ChannelState s) throws IOException {
        ChannelLog log = s.log;
        for (int i = 0; i < Payload.BATCH; i++) {
            log.append(p.metadataBytes, p.directData.limit(p.dataSize));
        }
        log.flush();
    }

    /** The files layout's floor: the same bytes as the driver stores, into its three files, nothing else. */
    @Benchmark
    @OperationsPerInvocation(Payload.BATCH)
    public void splitFileChannel(Payload p, SplitChannelState s) throws IOException {
        SplitChannelLog log = s.log;
        for (int i = 0; i < Payload.BATCH; i++) {
            log.append(p.metadataBytes, p.directData.limit(p.dataSize));
        }
        log.flush();
    }

    @Benchmark
    @OperationsPerInvocation(Payload.BATCH)
    public void chronicleQueue(Payload p, ChronicleState s) {
        ChronicleLog log = s.log;
        for (int i = 0; i < Payload.BATCH; i++) {
            log.append(p.metadataBytes, p.dataBytes);
        }
    }
}
