package dev.diaspora.stream.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.InvalidOptionException;
import dev.diaspora.stream.netty.protocol.Protocol;
import dev.diaspora.stream.tck.LogCapture;
import dev.diaspora.stream.tck.TestCertificate;
import io.netty.buffer.ByteBufUtil;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** TLS between the driver and a partition server started from PEM files, as users start one. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TlsTest {
    private static final String TOKEN = "tls-token";

    @TempDir
    static Path dir;
    private static TestCertificate cert;
    private static Servers servers;

    @BeforeAll
    static void start() throws Exception {
        cert = TestCertificate.generate(dir.resolve("certs"));
        servers = Servers.start(dir.resolve("tls"), 1, b -> b.token(TOKEN).tls(cert.certificate(),
                cert.privateKey()));
    }

    @AfterAll
    static void stop() {
        servers.close();
    }

    private static String tlsOptions(Path trust) {
        return "\"tls\":true,\"tls_trust\":" + Protocol.jsonString(trust.toString()) + ",\"token\":\"" + TOKEN + "\"";
    }

    @Test
    void shouldProduceAndConsumeOverTls() {
        try (Driver d = Driver.open("netty", servers.driverOptions(tlsOptions(cert.certificate())))) {
            RoundTrip.createAndCheck(d, "over-tls", 100);
        }
    }

    @Test
    void shouldFailPlaintextClientAgainstTlsServerQuickly() {
        DiasporaException e = servers.assertOpenFailsFast("\"token\":\"" + TOKEN + "\"");
        assertTrue(e.getMessage().contains("TLS") && e.getMessage().contains("'tls'"), e.getMessage());
    }

    @Test
    void shouldAnswerPlaintextClientInPlaintextAndNeverLogItsToken() {
        String secret = "secret-sent-in-clear";
        try (LogCapture log = new LogCapture(); RawClient c = new RawClient(servers.first().port())) {
            RawClient.Frame answer = c.request(Protocol.HELLO, RawClient.hello(secret));
            assertEquals(Protocol.E_BAD_FRAME, answer.errorKind(), answer::toString);
            assertTrue(answer.errorMessage().contains("'tls'"), answer::toString);
            assertNull(c.read(), "closed after the error");
            assertTrue(log.text().contains("not a TLS connection"), log.text());
            String hex = ByteBufUtil.hexDump(secret.getBytes(StandardCharsets.UTF_8));
            assertFalse(log.text().contains(secret) || log.text().contains(hex), log.text());
        }
    }

    @Test
    void shouldFailTlsClientAgainstPlaintextServerQuickly() {
        try (Servers plain = Servers.start(dir.resolve("plain"), 1)) {
            DiasporaException e = plain.assertOpenFailsFast(tlsOptions(cert.certificate()));
            assertTrue(e.getMessage().contains("TLS") && e.getMessage().contains("'tls'"), e.getMessage());
        }
    }

    @Test
    void shouldRefuseServerNotInTrustedCertificates() throws Exception {
        Path other = TestCertificate.unrelatedCaPem(dir.resolve("other-certs"));
        DiasporaException e = servers.assertOpenFailsFast(tlsOptions(other));
        assertTrue(e.getMessage().contains("tls_trust"), e.getMessage());
    }

    @Test
    void shouldRejectUnreadableKeyFile() throws Exception {
        Path bad = Files.writeString(dir.resolve("bad.key"), "not a key\n");
        InvalidOptionException e = assertThrows(InvalidOptionException.class,
                () -> PartitionServer.builder().tls(cert.certificate(), bad));
        assertTrue(e.getMessage().contains("bad.key"), e.getMessage());
    }
}
