package dev.diaspora.stream.bench.jmh;

import dev.diaspora.stream.BatchSize;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.ProducerOptions;
import dev.diaspora.stream.PushCallback;
import dev.diaspora.stream.TopicHandle;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
 * Engine overhead per event over the in-process {@code memory} driver: push of 128 B metadata + {@code dataSize}
 * bytes in batches of 128 then a flush, with the allocation-free {@link PushCallback} form and with the
 * {@link CompletableFuture} form (P2). Score: ns per event; run with {@code -prof gc} for
 * {@code gc.alloc.rate.norm} (bytes per invocation; divide by 128 for bytes per event). Every iteration uses a fresh
 * driver instance so that the retained events do not accumulate.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g"})
@State(Scope.Benchmark)
public class EngineMemoryBenchmark {
    private static final AtomicInteger INSTANCES = new AtomicInteger();

    @Param({"0", "1024"})
    public int dataSize;

    Payload payload;
    Driver driver;
    TopicHandle topic;
    Producer producer;
    final PushCallback callback = (p, id, err) -> {
        if (err != null) {
            throw new IllegalStateException(err);
        }
    };

    @Setup(Level.Iteration)
    public void setup() {
        payload = new Payload();
        payload.dataSize = dataSize;
        payload.setup();
        driver = Driver.open("memory", Metadata.of("{\"instance\":\"bench-" + INSTANCES.incrementAndGet() + "\"}"));
        driver.createTopic("bench");
        topic = driver.openTopic("bench");
        producer = topic.producer(ProducerOptions.named("bench").batchSize(BatchSize.of(Payload.BATCH)));
    }

    @TearDown(Level.Iteration)
    public void tearDown() {
        producer.close();
        topic.close();
        driver.deleteTopic("bench");
        driver.close();
    }

    @Benchmark
    @OperationsPerInvocation(Payload.BATCH)
    public void pushCallback() {
        for (int i = 0; i < Payload.BATCH; i++) {
            producer.push(payload.metadata, payload.data, 0, callback);
        }
        producer.flush().join();
    }

    @Benchmark
    @OperationsPerInvocation(Payload.BATCH)
    public Object pushFuture() {
        CompletableFuture<Long> last = null;
        for (int i = 0; i < Payload.BATCH; i++) {
            last = producer.push(payload.metadata, payload.data, 0);
        }
        producer.flush().join();
        return last;
    }
}
