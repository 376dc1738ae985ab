package dev.diaspora.stream.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.InvalidOptionException;
import dev.diaspora.stream.netty.protocol.Protocol;
import dev.diaspora.stream.tck.LogCapture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Token authentication of partition servers: refused clients get a clear error and the server logs them. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AuthenticationTest {
    private static final String TOKEN = "s3cret-t0ken";

    @TempDir
    static Path dir;
    private static Servers servers;

    @BeforeAll
    static void start() {
        servers = Servers.start(dir.resolve("token"), 1, b -> b.token(TOKEN));
    }

    @AfterAll
    static void stop() {
        servers.close();
    }

    @Test
    void shouldRefuseWrongTokenWithClearErrorAndLogIt() {
        assertRefused(servers, "\"token\":\"not-the-token\"");
    }

    @Test
    void shouldRefuseMissingToken() {
        assertRefused(servers, "");
    }

    @Test
    void shouldRefuseTokenThatIsOnlyAPrefix() {
        assertRefused(servers, "\"token\":\"" + TOKEN.substring(0, TOKEN.length() - 1) + "\"");
    }

    @Test
    void shouldAcceptRightTokenAndRoundTrip() {
        try (Driver d = Driver.open("netty", servers.driverOptions("\"token\":\"" + TOKEN + "\""))) {
            RoundTrip.createAndCheck(d, "with-token", 50);
        }
    }

    @Test
    void shouldRefuseRequestsOfARawClientWithWrongToken() {
        try (RawClient c = new RawClient(servers.first().port())) {
            RawClient.Frame answer = c.request(Protocol.HELLO, RawClient.hello("wrong"));
            assertEquals(Protocol.E_AUTH, answer.errorKind(), answer::toString);
            // the server closes: a request after the refused HELLO gets no answer
            c.send(RawClient.frame(Protocol.LIST_TOPICS, 2, new byte[0]));
            assertNull(c.read(), "the connection is closed after ERROR(AUTH)");
        }
    }

    @Test
    void shouldReadTokenFromFirstLineOfTokenFile() throws IOException {
        Path file = dir.resolve("token.txt");
        Files.writeString(file, "  file-token  \nsecond line is ignored\n");
        try (Servers s = Servers.start(dir.resolve("token-file"), 1, b -> b.tokenFile(file))) {
            try (Driver d = Driver.open("netty", s.driverOptions("\"token\":\"file-token\""))) {
                RoundTrip.createAndCheck(d, "with-token-file", 20);
            }
            assertRefused(s, "\"token\":\"" + TOKEN + "\"");
        }
    }

    @Test
    void shouldRejectEmptyOrMissingTokenFile() throws IOException {
        Path empty = Files.writeString(dir.resolve("empty-token.txt"), "\n");
        InvalidOptionException e = assertThrows(InvalidOptionException.class,
                () -> PartitionServer.builder().tokenFile(empty));
        assertTrue(e.getMessage().contains("empty"), e.getMessage());
        e = assertThrows(InvalidOptionException.class,
                () -> PartitionServer.builder().tokenFile(dir.resolve("no-such-file")));
        assertTrue(e.getMessage().contains("no-such-file"), e.getMessage());
    }

    private static void assertRefused(Servers s, String tokenOption) {
        try (LogCapture log = new LogCapture()) {
            DiasporaException e = s.assertOpenFailsFast(tokenOption);
            String m = e.getMessage();
            assertTrue(m.contains("authentication") && m.contains("token"), "message: " + m);
            assertTrue(!e.isRetriable(), "a refused token is not retriable");
            assertTrue(log.text().contains("refused /127.0.0.1:"), "server log: " + log.text());
            assertTrue(log.text().contains(": wrong or missing token"), "server log: " + log.text());
        }
    }
}
