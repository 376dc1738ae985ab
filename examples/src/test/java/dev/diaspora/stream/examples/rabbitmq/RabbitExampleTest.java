package dev.diaspora.stream.examples.rabbitmq;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.Driver;
import dev.diaspora.stream.tck.ExternalServers;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The example against the machine's RabbitMQ server (127.0.0.1, stream plugin on 5552, guest/guest). */
class RabbitExampleTest {
    @Test
    @Timeout(120)
    void shouldProduceAndConsumeThroughTheServer() {
        ExternalServers.assumeReachable("RabbitMQ stream plugin", "127.0.0.1", 5552,
                "stream plugin not enabled: rabbitmq-plugins enable rabbitmq_stream");
        String topic = "example-test-" + Long.toHexString(System.nanoTime());
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            RabbitExample.main(new String[] {"--uri", "rabbitmq-stream://guest@127.0.0.1:5552/%2f", "--topic", topic,
                "--events", "12"});
        } finally {
            System.setOut(old);
            try (Driver d = Driver.open("rabbitmq", RabbitExample.options("rabbitmq-stream://127.0.0.1:5552", null))) {
                d.deleteTopic(topic);
            }
        }
        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("produced 12 events"), text);
        assertTrue(text.contains("consumed 12 events"), text);
        assertTrue(text.contains("'frame 11'"), text);
    }
}
