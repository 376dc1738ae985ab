package dev.diaspora.stream.tck;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;

import org.junit.jupiter.api.Assumptions;

/**
 * Gates tests that need a server the test cannot start itself (a Redis or RabbitMQ server provisioned on the machine):
 * such a test is skipped, with a reason naming what is missing and how to start it, when the server is not there;
 * but when the build runs with {@code -Ddiaspora.requireServers=true} (as CI does) it fails instead, so a CI machine
 * without its servers cannot pass by skipping.
 *
 * <p>Use it in a {@code @BeforeAll} method or at the start of a test:
 * <pre>{@code
 * ExternalServers.assumeReachable("Redis", "127.0.0.1", 6379,
 *         "start one with: redis-server --port 6379 --save ''");
 * }</pre>
 *
 * <p>Thread safety: stateless; every method may be called from any thread.
 */
public final class ExternalServers {
    /** The system property that turns a missing server from a skip into a failure. */
    public static final String REQUIRE_PROPERTY = "diaspora.requireServers";

    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);

    private ExternalServers() {
    }

    /** Whether this run requires every external server ({@code -Ddiaspora.requireServers=true}). */
    public static boolean required() {
        return Boolean.getBoolean(REQUIRE_PROPERTY);
    }

    /**
     * Skips the calling test (or fails it when servers are {@linkplain #required() required}) unless a TCP
     * connection to {@code host:port} succeeds within two seconds.
     *
     * @param what   the server, for the message ("Redis", "RabbitMQ stream plugin")
     * @param host   the host to try
     * @param port   the port to try
     * @param advice how to make the server available, for the message
     */
    public static void assumeReachable(String what, String host, int port, String advice) {
        String failure = null;
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), (int) CONNECT_TIMEOUT.toMillis());
        } catch (IOException e) {
            failure = e.getClass().getSimpleName() + ": " + e.getMessage();
        }
        assumeAvailable(what, failure == null,
                "nothing accepts connections at " + host + ":" + port + " (" + failure + "); " + advice);
    }

    /**
     * Skips the calling test (or fails it when servers are {@linkplain #required() required}) unless
     * {@code available} holds.
     *
     * @param what      the server or feature, for the message
     * @param available whether it is there
     * @param reason    what is missing and how to provide it, for the message
     */
    public static void assumeAvailable(String what, boolean available, String reason) {
        if (available) {
            return;
        }
        String message = what + " is not available: " + reason;
        if (required()) {
            throw new AssertionError(message + " (-D" + REQUIRE_PROPERTY
                    + "=true is set, so this test fails instead of being skipped)");
        }
        Assumptions.abort(message + " (skipped; run with -D" + REQUIRE_PROPERTY + "=true to make this a failure)");
    }
}
