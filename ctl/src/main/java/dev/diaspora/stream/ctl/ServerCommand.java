package dev.diaspora.stream.ctl;

import dev.diaspora.stream.netty.PartitionServer;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code diaspora-ctl server}: runs a partition server of the {@code netty} driver until SIGINT/SIGTERM.
 *
 * <p>Thread safety: confined to the thread that runs the command.
 */
@Command(name = "server", mixinStandardHelpOptions = true, description = {"Run a partition server of the netty "
    + "driver until SIGINT/SIGTERM.", "",
    "It stores the partitions it holds under --root-path with the files engine (restarting on the same root keeps "
        + "every acknowledged event). Clients use the driver 'netty' with {\"servers\":[\"host:port\",...]}. Prints "
        + "'listening on HOST:PORT id ID' on stdout once it accepts connections."})
final class ServerCommand extends CtlCommand {
    @Option(names = "--port", defaultValue = "7400", paramLabel = "P",
            description = "Port to listen on (default ${DEFAULT-VALUE}; 0 for any free port).")
    int port;

    @Option(names = "--host", paramLabel = "ADDR",
            description = "Address to listen on (default: 127.0.0.1, loopback only, without --token-file; 0.0.0.0, "
                    + "every interface, with it).")
    String host;

    @Option(names = "--root-path", required = true, paramLabel = "DIR",
            description = "Directory of the server's identity and partitions (created if missing).")
    Path rootPath;

    @Option(names = "--token-file", paramLabel = "FILE",
            description = "File whose first line is the token clients must give (driver option 'token').")
    Path tokenFile;

    @Option(names = "--tls-cert", paramLabel = "PEM", description = "Certificate chain (PEM) to serve TLS with.")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "PEM", description = "Private key (PEM, PKCS#8) of --tls-cert.")
    Path tlsKey;

    @Option(names = "--max-frame", defaultValue = "268435456", paramLabel = "BYTES",
            description = "Longest frame accepted (default ${DEFAULT-VALUE}); longer ones close the connection.")
    int maxFrame;

    @Option(names = "--max-connections", defaultValue = "4096", paramLabel = "N",
            description = "Most connections served at once (default ${DEFAULT-VALUE}); more are refused.")
    int maxConnections;

    @Option(names = "--max-connections-per-address", defaultValue = "1024", paramLabel = "N",
            description = "Most connections served at once from one client address (default ${DEFAULT-VALUE}).")
    int maxConnectionsPerAddress;

    @Option(names = "--handshake-timeout-ms", defaultValue = "10000", paramLabel = "MS",
            description = "A connection that has not authenticated within this time is closed (default "
                    + "${DEFAULT-VALUE}).")
    long handshakeTimeoutMs;

    @Option(names = "--idle-timeout-ms", defaultValue = "300000", paramLabel = "MS",
            description = "A connection holding no topic, lease or group member and silent this long is closed "
                    + "(default ${DEFAULT-VALUE}; 0: never).")
    long idleTimeoutMs;

    ServerCommand(CtlContext ctx) {
        super(ctx);
    }

    @Override
    int execute() throws InterruptedException {
        if ((tlsCert == null) != (tlsKey == null)) {
            throw new CtlException("Give both --tls-cert and --tls-key to serve TLS, or neither");
        }
        PartitionServer.Builder b = PartitionServer.builder().port(port).rootPath(rootPath)
                .maxFrameLength(maxFrame).maxConnections(maxConnections)
                .maxConnectionsPerAddress(maxConnectionsPerAddress)
                .handshakeTimeout(Duration.ofMillis(handshakeTimeoutMs)).idleTimeout(Duration.ofMillis(idleTimeoutMs));
        if (host != null) {
            b.host(host);
        }
        if (tokenFile != null) {
            b.tokenFile(tokenFile);
        }
        if (tlsCert != null) {
            b.tls(tlsCert, tlsKey);
        }
        try (StopSignal stop = StopSignal.install(ctx); PartitionServer server = b.start()) {
            ctx.out().println("listening on " + server.address().getHostString() + ":" + server.port() + " id "
                    + server.serverId());
            ctx.out().flush();
            while (!stop.await(Duration.ofSeconds(1))) {
                // serve until asked to stop
            }
        }
        return 0;
    }
}
