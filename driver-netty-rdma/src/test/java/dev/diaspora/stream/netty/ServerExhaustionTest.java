package dev.diaspora.stream.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.DataView;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.ProducerOptions;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.netty.protocol.Protocol;
import dev.diaspora.stream.tck.LogCapture;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Strangers cannot exhaust a partition server: frames above the small pre-handshake limit, idle sockets up to the
 * connection caps, slow handshakes and silent authenticated connections are refused or closed, each refusal logged at
 * WARN (rate-limited), while a legitimate client (from 127.0.0.1; the strangers come from other loopback addresses)
 * keeps pushing and consuming throughout. Also: the safe default bind, and a client that bounds what a server may
 * make it buffer.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ServerExhaustionTest {
    private static final int MAX_TOTAL = 50;
    private static final int MAX_PER_ADDRESS = 40;
    private static final long HANDSHAKE_MS = 3000;
    private static final long IDLE_MS = 1500;

    @TempDir
    static Path dir;
    private static Servers servers;
    private static Driver legit;
    /** Held open all along: the legitimate connection holds a topic, so it is never closed for silence. */
    private static TopicHandle legitTopic;

    @BeforeAll
    static void start() {
        servers = Servers.start(dir, 1, b -> b.maxConnections(MAX_TOTAL).maxConnectionsPerAddress(MAX_PER_ADDRESS)
                .handshakeTimeout(Duration.ofMillis(HANDSHAKE_MS)).idleTimeout(Duration.ofMillis(IDLE_MS)));
        legit = Driver.open("netty", servers.driverOptions());
        RoundTrip.createAndCheck(legit, "legit", 10);
        legitTopic = legit.openTopic("legit");
    }

    @AfterAll
    static void stop() {
        if (legit != null) {
            legitTopic.close();
            legit.close();
        }
        servers.close();
    }

    private static int port() {
        return servers.first().port();
    }

    @Test
    void shouldRefuseLargeFramesBeforeTheHandshakeWithoutBufferingThem() throws IOException {
        List<RawClient> strangers = new ArrayList<>();
        try (LogCapture log = new LogCapture()) {
            for (int i = 0; i < 20; i++) {
                RawClient c = new RawClient(port(), "127.0.0.2");
                strangers.add(c);
                // announces 50 MiB, then sends 100 bytes of it: refused at once, nothing of it buffered
                byte[] part = new byte[105];
                java.nio.ByteBuffer.wrap(part).putInt(50 << 20).put(Protocol.HELLO);
                c.send(part);
            }
            for (RawClient c : strangers) {
                RawClient.Frame f = c.read();
                assertEquals(Protocol.E_BAD_FRAME, f.errorKind(), f::toString);
                assertTrue(f.errorMessage().contains("before the handshake"), f::toString);
                assertNull(c.read(), "closed after the refusal");
            }
            RoundTrip.check(legit, "legit", 20);
            pushLarge(8 << 20);
            assertTrue(log.text().contains("refused /127.0.0.2"), "the refusals are logged");
        } finally {
            strangers.forEach(RawClient::close);
        }
    }

    @Test
    void shouldCapConnectionsPerAddressAndInTotalWhileTheLegitimateClientGoesOn() throws Exception {
        List<RawClient> strangers = new ArrayList<>();
        try (LogCapture log = new LogCapture()) {
            for (int i = 0; i < MAX_PER_ADDRESS; i++) {
                strangers.add(new RawClient(port(), "127.0.0.2"));
            }
            try (RawClient over = new RawClient(port(), "127.0.0.2")) {
                RawClient.Frame f = over.read();
                assertTrue(f.errorMessage().contains("maxConnectionsPerAddress"), f::toString);
                assertNull(over.read(), "closed after the refusal");
            }
            awaitConnections(1 + MAX_PER_ADDRESS);
            for (int i = 1 + MAX_PER_ADDRESS; i < MAX_TOTAL; i++) {
                strangers.add(new RawClient(port(), "127.0.0.3"));
            }
            awaitConnections(MAX_TOTAL);
            int refused = 3 * Refusals.BURST;
            for (int i = 0; i < refused; i++) {
                try (RawClient over = new RawClient(port(), "127.0.0.4")) {
                    RawClient.Frame f = over.read();
                    assertTrue(f.errorMessage().contains("(maxConnections)"), f::toString);
                }
            }
            RoundTrip.check(legit, "legit", 20); // its connection was there before the strangers
            List<String> lines = log.text().lines().filter(l -> l.contains("refused /127.0.0.")
                    && l.contains("(maxConnections")).toList();
            assertTrue(lines.size() >= 1 && lines.size() < refused, "the refusals are logged, rate-limited: "
                    + lines.size() + " lines for " + (refused + 1) + " refusals");
            // the strangers never sent a HELLO: closed by the handshake timeout, which frees the caps
            for (RawClient c : strangers) {
                assertNull(c.read(), "closed by the handshake timeout");
            }
            awaitConnections(1);
            try (Driver another = Driver.open("netty", servers.driverOptions())) {
                RoundTrip.check(another, "legit", 10);
            }
        } finally {
            strangers.forEach(RawClient::close);
        }
    }

    @Test
    void shouldCloseSlowHandshakesAtTheTimeoutEvenWhenTheyTrickle() throws Exception {
        List<RawClient> strangers = new ArrayList<>();
        try {
            byte[] hello = RawClient.frame(Protocol.HELLO, 1, RawClient.hello(""));
            for (int i = 0; i < 10; i++) {
                RawClient c = new RawClient(port(), "127.0.0.2");
                strangers.add(c);
                c.send(new byte[] {hello[0]});
            }
            long start = System.nanoTime();
            long stop = start + TimeUnit.MILLISECONDS.toNanos(HANDSHAKE_MS + 3000);
            int sent = 1;
            boolean allClosed = false;
            while (!allClosed && System.nanoTime() < stop) {
                Thread.sleep(200);
                allClosed = true;
                for (RawClient c : strangers) { // a byte of the HELLO each every 200 ms: not whole in time
                    allClosed &= !c.send(new byte[] {hello[Math.min(sent, hello.length - 2)]});
                }
                sent++;
            }
            long ms = (System.nanoTime() - start) / 1_000_000;
            assertTrue(allClosed, "every trickling handshake is closed");
            assertTrue(ms >= HANDSHAKE_MS - 200, "closed at the handshake timeout, not before: " + ms + " ms");
            RoundTrip.check(legit, "legit", 10);
        } finally {
            strangers.forEach(RawClient::close);
        }
    }

    @Test
    void shouldCloseSilentConnectionsThatHoldNothingButKeepThoseThatHoldATopic() throws Exception {
        try (RawClient silent = RawClient.authenticated(port(), ""); RawClient holding = RawClient.authenticated(port(),
                "")) {
            holding.openOrCreate("legit", 2);
            long start = System.nanoTime();
            RawClient.Frame f;
            do {
                f = silent.read(); // skips nothing: a silent connection holding nothing gets no NOTIFY
            } while (f != null);
            long ms = (System.nanoTime() - start) / 1_000_000;
            assertTrue(ms >= IDLE_MS - 200, "closed at the idle timeout: " + ms + " ms");
            Thread.sleep(IDLE_MS);
            RawClient.Frame bounds = holding.request(Protocol.TOPIC_EXISTS,
                    RawClient.payload(o -> RawClient.string(o, "legit")));
            assertEquals(Protocol.OK, bounds.type(), "a connection holding a topic stays open: " + bounds);
        }
        // a driver left idle: its topic handle keeps the connection
        RoundTrip.check(legit, "legit", 5);
    }

    @Test
    void shouldListenOnLoopbackByDefaultUnlessATokenIsSet() {
        try (PartitionServer open = PartitionServer.builder().rootPath(dir.resolve("default-bind")).port(0)
                .ioThreads(1).workerThreads(1).start()) {
            assertTrue(open.address().getAddress().isLoopbackAddress(), "without a token: " + open.address());
        }
        try (PartitionServer guarded = PartitionServer.builder().rootPath(dir.resolve("token-bind")).port(0)
                .token("t").ioThreads(1).workerThreads(1).start()) {
            assertTrue(guarded.address().getAddress().isAnyLocalAddress(), "with a token: " + guarded.address());
        }
    }

    @Test
    void shouldRefuseAServerThatAnnouncesAHugeFrame() throws Exception {
        try (ServerSocket fake = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Thread t = new Thread(() -> {
                try (Socket s = fake.accept()) {
                    DataInputStream in = new DataInputStream(s.getInputStream());
                    in.readFully(new byte[in.readInt()]); // the HELLO
                    DataOutputStream out = new DataOutputStream(s.getOutputStream());
                    out.writeInt(1 << 30); // an answer of 1 GiB, never sent
                    out.write(new byte[1 << 16]);
                    out.flush();
                    Thread.sleep(20_000);
                } catch (IOException | InterruptedException e) {
                    // the client closed: expected
                }
            }, "fake-server");
            t.setDaemon(true);
            t.start();
            long start = System.nanoTime();
            DiasporaException e = assertThrows(DiasporaException.class, () -> Driver.open("netty", Metadata.of(
                    "{\"servers\":[\"127.0.0.1:" + fake.getLocalPort() + "\"],\"request_timeout_ms\":20000}"))
                    .close());
            long ms = (System.nanoTime() - start) / 1_000_000;
            assertTrue(e.getMessage().contains("above the limit"), e.getMessage());
            assertTrue(ms < 10_000, "refused at once, not at the request timeout: " + ms + " ms");
        }
    }

    private static void pushLarge(int size) {
        try (TopicHandle t = legit.openTopic("legit");
                Producer p = t.producer(ProducerOptions.named("large"))) {
            p.push(Metadata.of("{\"large\":true}"), DataView.of(new byte[size])).join();
        }
    }

    private static void awaitConnections(int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (servers.first().connectionCount() != n && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(n, servers.first().connectionCount(), "connections the server holds");
    }
}
