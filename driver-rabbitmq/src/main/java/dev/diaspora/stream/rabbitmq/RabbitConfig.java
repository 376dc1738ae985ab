package dev.diaspora.stream.rabbitmq;

import com.rabbitmq.stream.Address;
import com.rabbitmq.stream.AuthenticationFailureException;
import com.rabbitmq.stream.BackOffDelayPolicy;
import com.rabbitmq.stream.Environment;
import com.rabbitmq.stream.EnvironmentBuilder;
import com.rabbitmq.stream.impl.Client;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.InvalidOptionException;
import dev.diaspora.stream.spi.Options;
import dev.diaspora.stream.spi.SecretOption;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The validated driver options: where the server is, how to log in, and the bound of every request. The password
 * (or token) is kept here only and never appears in {@link #toString()} or in an error message.
 *
 * <p>Thread safety: immutable.
 */
final class RabbitConfig {
    /**
     * The start of the name of every connection the driver opens (as the server lists them). The client also names
     * its threads after it: it must not start with {@code diaspora-}, the prefix of threads the driver owns.
     */
    static final String CONNECTION_PREFIX = "rabbitmq-stream-diaspora";

    final String host;
    final int port;
    final String username;
    private final String password;
    final String virtualHost;
    final boolean tls;
    /** PEM certificates to trust instead of the JDK's default trust store; null for the default. */
    private final Path tlsTrust;
    final Duration timeout;
    /** Every connection to host:port, whatever address a node advertises. */
    final boolean loadBalancer;
    /** The bound of a push (see {@link PartitionTail}). */
    final Duration pushTimeout;

    private RabbitConfig(String host, int port, String username, String password, String virtualHost, boolean tls,
            Path tlsTrust, Duration timeout, boolean loadBalancer, Duration pushTimeout) {
        this.host = host;
        this.port = port;
        this.username = username;
        this.password = password;
        this.virtualHost = virtualHost;
        this.tls = tls;
        this.tlsTrust = tlsTrust;
        this.timeout = timeout;
        this.loadBalancer = loadBalancer;
        this.pushTimeout = pushTimeout;
    }

    static RabbitConfig from(Options o) {
        String host = o.string(RabbitDriverProvider.HOST);
        if (host == null || host.isBlank()) {
            throw new InvalidOptionException("Option 'host' of driver 'rabbitmq' must not be empty");
        }
        String password = SecretOption.read("Options of driver 'rabbitmq'", RabbitDriverProvider.PASSWORD,
                o.string(RabbitDriverProvider.PASSWORD), o.string(RabbitDriverProvider.PASSWORD_FILE),
                o.string(RabbitDriverProvider.PASSWORD_ENV), System::getenv);
        if (password == null) {
            password = "guest"; // RabbitMQ's default user
        }
        boolean tls = o.bool(RabbitDriverProvider.TLS, false);
        return new RabbitConfig(host, o.intValue(RabbitDriverProvider.PORT, 5552),
                o.string(RabbitDriverProvider.USERNAME), password, o.string(RabbitDriverProvider.VIRTUAL_HOST),
                tls, trust(o, tls), Duration.ofMillis(o.integer(RabbitDriverProvider.TIMEOUT_MS,
                        10_000)), o.bool(RabbitDriverProvider.LOAD_BALANCER, false),
                Duration.ofMillis(o.integer(RabbitDriverProvider.PUSH_TIMEOUT_MS, 30_000)));
    }

    private static Path trust(Options o, boolean tls) {
        if (!o.has(RabbitDriverProvider.TLS_TRUST)) {
            return null;
        }
        Path file = Path.of(o.string(RabbitDriverProvider.TLS_TRUST));
        if (!tls) {
            throw new InvalidOptionException("Option 'tls_trust' of driver 'rabbitmq' needs 'tls': true (the"
                    + " certificates to trust are for TLS connections; set 'tls' and a TLS port, 5551 by default)");
        }
        if (!Files.isReadable(file)) {
            throw new InvalidOptionException("Option 'tls_trust' of driver 'rabbitmq': cannot read " + file
                    + "; give a readable PEM file of the CA or server certificates to trust");
        }
        return file;
    }

    /** @return where the driver connects, for messages: {@code host:port vhost /} */
    String address() {
        return host + ":" + port + " (virtual host '" + virtualHost + "')";
    }

    private SslContext sslContext() {
        try {
            SslContextBuilder b = SslContextBuilder.forClient();
            if (tlsTrust != null) {
                b.trustManager(tlsTrust.toFile());
            }
            return b.build();
        } catch (IOException | IllegalArgumentException e) { // Netty: IllegalArgumentException for a bad PEM file
            throw new DiasporaException("cannot set up TLS for RabbitMQ at " + address() + ": " + e.getMessage(), e);
        }
    }

    /** Connects a low-level client (admin requests, bounds), turning connection failures into clear errors. */
    Client client(Client.ClientParameters parameters, EventLoopGroup group) {
        parameters.clientProperty("connection_name", CONNECTION_PREFIX + "-admin").eventLoopGroup(group).host(host).port(port).username(username).password(password).virtualHost(virtualHost)
                .rpcTimeout(timeout)
                .bootstrapCustomizer(b -> b.option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) timeout.toMillis()));
        if (tls) {
            parameters.sslContext(sslContext());
        }
        try {
            return new Client(parameters);
        } catch (RuntimeException e) {
            throw connectFailure(e);
        }
    }

    /** Builds the client environment (producers and consumers that recover from lost connections). */
    Environment environment(ScheduledExecutorService scheduler, EventLoopGroup group) {
        EnvironmentBuilder b = Environment.builder().id(CONNECTION_PREFIX).host(host).port(port).username(username).password(password)
                .virtualHost(virtualHost).rpcTimeout(timeout).scheduledExecutorService(scheduler).codec(new DataSectionCodec())
                .recoveryBackOffDelayPolicy(BackOffDelayPolicy.fixedWithInitialDelay(Duration.ofMillis(200),
                        Duration.ofMillis(500)))
                .topologyUpdateBackOffDelayPolicy(BackOffDelayPolicy.fixedWithInitialDelay(Duration.ofMillis(200),
                        Duration.ofMillis(500)))
                .netty().eventLoopGroup(group).bootstrapCustomizer(bs -> bs.option(ChannelOption.CONNECT_TIMEOUT_MILLIS,
                        (int) timeout.toMillis())).environmentBuilder();
        if (loadBalancer) {
            Address entry = new Address(host, port);
            b = b.addressResolver(advertised -> entry);
        }
        if (tls) {
            b = b.tls().sslContext(sslContext()).environmentBuilder();
        }
        try {
            return b.build();
        } catch (RuntimeException e) {
            throw connectFailure(e);
        }
    }

    DiasporaException connectFailure(Throwable e) {
        String m = String.valueOf(e.getMessage());
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof AuthenticationFailureException) {
                return new DiasporaException("RabbitMQ at " + address() + " refused user '" + username + "': wrong"
                        + " user name or password/token; check the options 'username' and 'password',"
                        + " 'password_file' or 'password_env'", e);
            }
            if (String.valueOf(c.getMessage()).contains("VIRTUAL_HOST_ACCESS_FAILURE")
                    || String.valueOf(c.getMessage()).contains("code 12")) {
                return new DiasporaException("RabbitMQ at " + host + ":" + port + " refused the virtual host '"
                        + virtualHost + "' to user '" + username + "': it does not exist or the user has no access;"
                        + " create it (rabbitmqctl add_vhost) and grant permissions, or fix option 'virtual_host'", e);
            }
            if (c instanceof javax.net.ssl.SSLHandshakeException) {
                return new DiasporaException("the TLS handshake with RabbitMQ at " + host + ":" + port + " failed ("
                        + c.getMessage() + "): if the server's certificate is not trusted, give its CA in option"
                        + " 'tls_trust' (a PEM file); check that the port is the stream plugin's TLS port (5551 by"
                        + " default)", e);
            }
            if (c instanceof java.net.ConnectException || c instanceof io.netty.channel.ConnectTimeoutException) {
                return new DiasporaException("cannot connect to RabbitMQ's stream protocol at " + host + ":" + port
                        + " within " + timeout.toMillis() + " ms (" + c.getMessage() + "): is the server running"
                        + " with the stream plugin enabled (rabbitmq-plugins enable rabbitmq_stream, port 5552)?", e,
                        true);
            }
        }
        return new DiasporaException("cannot connect to RabbitMQ's stream protocol at " + address() + ": " + m, e);
    }

    @Override
    public String toString() {
        return "rabbitmq " + username + "@" + address() + (tls ? " tls" : "");
    }
}
