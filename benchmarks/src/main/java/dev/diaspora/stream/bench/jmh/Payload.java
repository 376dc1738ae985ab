package dev.diaspora.stream.bench.jmh;

import dev.diaspora.stream.BatchSize;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.ProducerOptions;
import dev.diaspora.stream.TopicHandle;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The event every append benchmark writes: 128 B of JSON metadata (a string literal, as the C++ benchmark makes it)
 * plus {@code dataSize} random bytes, 128 events per batch. Each peer writes exactly these bytes.
 */
@State(Scope.Benchmark)
public class Payload {
    public static final int METADATA_SIZE = 128;
    public static final int BATCH = 128;

    @Param({"0", "1024", "1048576"})
    public int dataSize;

    public Metadata metadata;
    public byte[] metadataBytes;
    public byte[] dataBytes;
    public DataView data;
    /** the same data as a direct buffer, for the FileChannel peer (no JDK staging copy, P4). */
    public ByteBuffer directData;

    @Setup(Level.Trial)
    public void setup() {
        metadataBytes = jsonString(METADATA_SIZE, 1);
        metadata = Metadata.ofUtf8(metadataBytes);
        dataBytes = new byte[dataSize];
        new SplittableRandom(2).nextBytes(dataBytes);
        data = dataSize == 0 ? DataView.EMPTY : DataView.of(dataBytes);
        directData = ByteBuffer.allocateDirect(Math.max(1, dataSize));
        directData.put(dataBytes).flip();
    }

    /** A JSON string literal of exactly {@code size} bytes (quotes included). */
    public static byte[] jsonString(int size, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        String alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        byte[] b = new byte[size];
        b[0] = '"';
        b[size - 1] = '"';
        for (int i = 1; i < size - 1; i++) {
            b[i] = (byte) alnum.charAt(r.nextInt(alnum.length()));
        }
        return b;
    }

    /**
     * Pushes {@code events} copies of one event to partition 0 of {@code topic} in batches of {@link #BATCH}, and
     * waits until they are stored (the data the read benchmarks read).
     */
    public static void fill(TopicHandle topic, byte[] metadata, byte[] data, int events) {
        try (Producer p = topic.producer(ProducerOptions.named("fill").batchSize(BatchSize.of(BATCH)))) {
            Metadata m = Metadata.ofUtf8(metadata);
            DataView d = DataView.of(data);
            for (int i = 0; i < events; i++) {
                p.push(m, d, 0, (part, id, err) -> {
                });
            }
            p.flush().join();
        }
    }

    /** Base directory for benchmark data: {@code -Dbench.dir}, else the system temporary directory. */
    public static Path newDir(String prefix) throws IOException {
        Path base = Path.of(System.getProperty("bench.dir", System.getProperty("java.io.tmpdir")));
        Files.createDirectories(base);
        return Files.createTempDirectory(base, prefix);
    }

    /** JSON string escaping for a path inside driver options. */
    public static String jsonPath(Path p) {
        return "\"" + p.toAbsolutePath().toString().replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
