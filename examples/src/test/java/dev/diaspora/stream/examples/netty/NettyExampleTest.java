package dev.diaspora.stream.examples.netty;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Runs the netty example twice on one root: the second run resumes after the first run's acknowledged events. */
class NettyExampleTest {
    @TempDir
    Path root;

    @Test
    @Timeout(120)
    void shouldProduceAndConsumeThroughEmbeddedServersAndResume() {
        String first = run("--root", root.toString(), "--events", "12");
        assertTrue(first.contains("produced 12 events of 65536 bytes"), first);
        assertTrue(first.contains("consumed 12 events, 12288 bytes of data"), first);
        String second = run("--root", root.toString(), "--events", "5");
        assertTrue(second.contains("consumed 5 events, 5120 bytes of data"), second);
    }

    private static String run(String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            NettyExample.main(args);
        } finally {
            System.setOut(old);
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
