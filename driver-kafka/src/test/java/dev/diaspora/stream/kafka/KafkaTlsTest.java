package dev.diaspora.stream.kafka;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.tck.TestCertificate;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A broker with a TLS listener (a self-signed certificate for localhost): the driver connects when its trust store
 * (a Kafka client setting in the {@code kafka} option) trusts the certificate; trusting another CA fails the open with
 * a message about the TLS handshake; a plain client fails within its timeout naming the address.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class KafkaTlsTest {
    private static Path dir;
    private static TestCertificate certificate;
    private static EmbeddedKafka kafka;

    @BeforeAll
    static void startTlsBroker() throws Exception {
        dir = Files.createTempDirectory("kafka-tls-test");
        certificate = TestCertificate.generate(dir);
        kafka = EmbeddedKafka.start(1, SecurityProtocol.PLAINTEXT, tlsListener(certificate));
    }

    @AfterAll
    static void stop() throws Exception {
        if (kafka != null) {
            kafka.close();
        }
        if (dir != null) {
            try (var files = Files.walk(dir)) {
                for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(f);
                }
            }
        }
    }

    /**
     * Broker settings that turn the brokers' listener into TLS ({@code SSL}) with {@code certificate}, which the
     * brokers also trust for their own inter-broker connections; the controller listener stays plain. Give them to
     * {@link EmbeddedKafka#start(int, SecurityProtocol, Map)} with {@code PLAINTEXT} (the kit itself offers only plain
     * and SASL listeners; these settings override its protocol map).
     */
    private static Map<String, String> tlsListener(TestCertificate certificate) throws IOException {
        String cert = Files.readString(certificate.certificate(), StandardCharsets.US_ASCII);
        String key = Files.readString(certificate.privateKey(), StandardCharsets.US_ASCII);
        return Map.of("listener.security.protocol.map", "EXTERNAL:SSL,CONTROLLER:PLAINTEXT",
                "ssl.keystore.type", "PEM",
                "ssl.keystore.certificate.chain", cert,
                "ssl.keystore.key", key,
                "ssl.truststore.type", "PEM",
                "ssl.truststore.certificates", cert);
    }

    private static String options(Path trusted) {
        return "{\"bootstrap.servers\":\"" + kafka.bootstrapServers() + "\",\"kafka\":{\"security.protocol\":\"SSL\","
                + "\"ssl.truststore.type\":\"PEM\",\"ssl.truststore.location\":\"" + trusted + "\"}}";
    }

    @Test
    void connectsOverTlsTrustingTheBrokersCertificate() throws Exception {
        try (Driver driver = Driver.open("kafka", Metadata.of(options(certificate.certificate())))) {
            KafkaSaslTest.roundTrip(driver, "tls-topic");
        }
    }

    @Test
    void anUntrustedBrokerCertificateFailsTheOpenNamingTheHandshake() throws Exception {
        Path other = TestCertificate.unrelatedCaPem(dir);
        DiasporaException e = assertThrows(DiasporaException.class,
                () -> Driver.open("kafka", Metadata.of(options(other))).close());
        assertTrue(e.getMessage().contains("TLS handshake") && e.getMessage().contains(kafka.bootstrapServers())
                && e.getMessage().contains("ssl.truststore"), e.getMessage());
    }

    @Test
    void aPlainClientOnTheTlsListenerFailsWithinItsTimeoutNamingTheAddress() {
        long start = System.nanoTime();
        DiasporaException e = assertThrows(DiasporaException.class, () -> Driver.open("kafka", Metadata.of(
                "{\"bootstrap.servers\":\"" + kafka.bootstrapServers() + "\",\"kafka\":"
                        + "{\"default.api.timeout.ms\":2000,\"request.timeout.ms\":2000}}")).close());
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(ms < 8_000, "took " + ms + " ms for a 2000 ms timeout");
        assertTrue(e.getMessage().contains(kafka.bootstrapServers()) && e.getMessage().contains("security.protocol"),
                e.getMessage());
    }
}
