package dev.diaspora.stream.bench.jmh;

import dev.diaspora.stream.DataDescriptor;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Validator;
import java.nio.ByteBuffer;
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
 * strided view), and metadata creation plus syntax check for a 128 B JSON object, from bytes and from a String. Next
 * to the syntax check, what a topic with the {@code schema} validator adds per event: the check plus parse plus
 * validation of the same object ({@code metadataSchemaValidateUtf8}, the producer's path), and the validation alone
 * on an already parsed tree ({@code metadataSchemaValidateParsed}); and what the consumer pays per event for its
 * metadata with the default serializer ({@code metadataOfUtf8Window}).
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
    Validator schemaValidator;
    Metadata parsed;
    ByteBuffer window;

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
        window = ByteBuffer.wrap(jsonUtf8);
        if (jsonUtf8.length != 128) {
            throw new IllegalStateException("metadata is " + jsonUtf8.length + " bytes");
        }
        // the kind of schema a topic holds (required fields, types, bounds), in keywords that the hand-written checker
        // before json-schema-validator also knew, so that this benchmark measures both
        schemaValidator = Validator.fromConfig(Metadata.of("{\"type\":\"schema\",\"schema\":{\"type\":\"object\","
                + "\"required\":[\"run\",\"step\"],\"properties\":{\"run\":{\"type\":\"integer\",\"minimum\":0},"
                + "\"step\":{\"type\":\"integer\",\"minimum\":0},\"name\":{\"type\":\"string\",\"maxLength\":200}},"
                + "\"additionalProperties\":false}}"));
        parsed = Metadata.ofUtf8(jsonUtf8);
        schemaValidator.validate(parsed, DataView.EMPTY); // parses once, and fails setup if the object did not match
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

    /**
     * What the consumer does per event with the default serializer: metadata over a window on the batch's buffer (no
     * copy, no check).
     */
    @Benchmark
    public Metadata metadataOfUtf8Window() {
        return Metadata.ofUtf8(window.limit(jsonUtf8.length).position(0));
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

    @Benchmark
    public Metadata metadataSchemaValidateUtf8() {
        Metadata m = Metadata.ofUtf8(jsonUtf8);
        m.checkSyntax();
        schemaValidator.validate(m, DataView.EMPTY);
        return m;
    }

    @Benchmark
    public Metadata metadataSchemaValidateParsed() {
        schemaValidator.validate(parsed, DataView.EMPTY);
        return parsed;
    }
}
