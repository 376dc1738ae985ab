package dev.diaspora.stream.bench.jmh;

import dev.diaspora.stream.DataDescriptor;
import dev.diaspora.stream.Metadata;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Per-event API costs that every driver pays: {@link DataDescriptor#flatten()} of a derived view (sub-view of a
 * strided view), and metadata creation plus syntax check for a 128 B JSON object, from bytes and from a String.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
@State(Scope.Benchmark)
public class ApiBenchmark {
    DataDescriptor strided;
    DataDescriptor subOfStrided;
    String json;
    byte[] jsonUtf8;

    @Setup
    public void setup() {
        DataDescriptor base = DataDescriptor.of(42L, 1 << 20);
        strided = base.makeStridedView(0, 16, 1024, 3072);
        subOfStrided = strided.makeSubView(512, 8192);
        StringBuilder sb = new StringBuilder("{\"run\":1234,\"step\":56,\"name\":\"");
        while (sb.length() < 126) {
            sb.append('x');
        }
        json = sb.append("\"}").toString();
        jsonUtf8 = json.getBytes(StandardCharsets.UTF_8);
        if (jsonUtf8.length != 128) {
            throw new IllegalStateException("metadata is " + jsonUtf8.length + " bytes");
        }
    }

    @Benchmark
    public List<DataDescriptor.Range> flattenStrided() {
        return strided.flatten();
    }

    @Benchmark
    public List<DataDescriptor.Range> flattenSubOfStrided() {
        return subOfStrided.flatten();
    }

    @Benchmark
    public void flattenToConsumer(Blackhole bh) {
        subOfStrided.flatten((off, len) -> bh.consume(off + len));
    }

    @Benchmark
    public Metadata metadataCheckSyntaxUtf8() {
        Metadata m = Metadata.ofUtf8(jsonUtf8);
        m.checkSyntax();
        return m;
    }

    @Benchmark
    public Metadata metadataCheckSyntaxString() {
        Metadata m = Metadata.of(json);
        m.checkSyntax();
        return m;
    }
}
