package dev.diaspora.stream.rabbitmq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.InvalidOptionException;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.TopicHandle;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * TLS against a RabbitMQ node of the test's own (the shared server has no TLS listener): events stream through the
 * stream plugin's TLS port with the server's certificate trusted through {@code tls_trust}; an untrusted certificate,
 * TLS against the plain port and {@code tls_trust} without {@code tls} fail with errors that say what to do.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class RabbitTlsTest {
    private static PrivateTlsNode node;

    @BeforeAll
    static void start() throws Exception {
        RabbitServer.assumeStreamPlugin(); // the machine's RabbitMQ: the same installation runs the private node
        node = PrivateTlsNode.start();
    }

    @AfterAll
    static void stop() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    void eventsStreamThroughTlsWithTheServerCertificateTrusted() throws Exception {
        try (Driver driver = Driver.open("rabbitmq", Metadata.of(node.tlsOptions()))) {
            driver.createTopic("tls-topic");
            try (TopicHandle topic = driver.openTopic("tls-topic")) {
                try (Producer producer = topic.producer()) {
                    for (int i = 0; i < 3; i++) {
                        producer.push(Metadata.of("{\"i\":" + i + "}"),
                                DataView.of(("data " + i).getBytes(StandardCharsets.UTF_8)));
                    }
                    producer.flush();
                }
                try (Consumer consumer = topic.consumer("tls-consumer")) {
                    for (int i = 0; i < 3; i++) {
                        Event e = consumer.pull().get(30, TimeUnit.SECONDS);
                        assertEquals(i, e.id());
                        assertEquals("{\"i\":" + i + "}", e.metadata().toString());
                        assertEquals("data " + i, new String(e.data().toByteArray(), StandardCharsets.UTF_8));
                    }
                }
            }
            driver.deleteTopic("tls-topic");
        }
    }

    @Test
    void anUntrustedCertificateNamesTheTrustOption() {
        String options = "{\"host\":\"127.0.0.1\",\"port\":" + node.tlsPort + ",\"tls\":true,\"timeout_ms\":5000}";
        DiasporaException e = assertThrows(DiasporaException.class,
                () -> Driver.open("rabbitmq", Metadata.of(options)).close());
        assertTrue(e.getMessage().contains("TLS handshake") && e.getMessage().contains("tls_trust"), e.getMessage());
    }

    @Test
    void tlsAgainstThePlainPortFailsWithinTheTimeout() {
        String options = "{\"host\":\"127.0.0.1\",\"port\":" + node.plainPort + ",\"tls\":true,\"tls_trust\":\""
                + node.certificate.certificate() + "\",\"timeout_ms\":3000}";
        long start = System.nanoTime();
        DiasporaException e = assertThrows(DiasporaException.class,
                () -> Driver.open("rabbitmq", Metadata.of(options)).close());
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(30), "took too long: " + e);
        assertTrue(e.getMessage().contains("127.0.0.1:" + node.plainPort), e.getMessage());
    }

    @Test
    void trustWithoutTlsIsAnInvalidOption() {
        String options = "{\"host\":\"127.0.0.1\",\"port\":" + node.plainPort + ",\"tls_trust\":\""
                + node.certificate.certificate() + "\"}";
        InvalidOptionException e = assertThrows(InvalidOptionException.class,
                () -> Driver.open("rabbitmq", Metadata.of(options)).close());
        assertTrue(e.getMessage().contains("'tls': true"), e.getMessage());
    }
}
