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

    @Option(names = "--host", defaultValue = "0.0.0.0", paramLabel = "ADDR",
            description = "Address to listen on (default ${DEFAULT-VALUE}: every interface).")
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

    ServerCommand(CtlContext ctx) {
        super(ctx);
    }

    @Override
    int execute() throws InterruptedException {
        if ((tlsCert == null) != (tlsKey == null)) {
            throw new CtlException("Give both --tls-cert and --tls-key to serve TLS, or neither");
        }
        PartitionServer.Builder b = PartitionServer.builder().host(host).port(port).rootPath(rootPath)
                .maxFrameLength(maxFrame);
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
