package dev.diaspora.stream.bench.kafka;

import dev.diaspora.stream.kafka.EmbeddedKafka;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;

/**
 * A single-node KRaft broker (the Kafka test kit the driver's tests use) in a JVM of its own, for benchmarks that must
 * not share their JVM with the broker: {@code benchmarks/bin/kafka-broker} prints {@code bootstrap=host:port} once
 * the broker is ready, then serves until its standard input closes (or the process is stopped); pass the address to
 * {@code kafka-vs-raw --bootstrap}. Its log directory is temporary and deleted at the end.
 *
 * <p>Thread safety: a program; the main thread only waits.
 */
public final class KafkaBrokerMain {
    private KafkaBrokerMain() {
    }

    public static void main(String[] args) throws Exception {
        EmbeddedKafka kafka = EmbeddedKafka.start(Map.of());
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                kafka.close();
            } catch (Exception e) {
                System.err.println("closing the broker failed: " + e);
            }
        }, "kafka-broker-stop"));
        System.out.println("bootstrap=" + kafka.bootstrapServers());
        System.out.flush();
        waitForEndOfInput(System.in);
        System.exit(0); // runs the hook
    }

    private static void waitForEndOfInput(InputStream in) throws IOException {
        byte[] buf = new byte[256];
        while (in.read(buf) >= 0) {
            // serve until the input closes
        }
    }
}
