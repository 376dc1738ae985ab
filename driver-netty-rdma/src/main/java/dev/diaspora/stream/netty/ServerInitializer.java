package dev.diaspora.stream.netty;

import dev.diaspora.stream.netty.protocol.Protocol;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The pipeline of each connection a {@link PartitionServer} accepts, in order: the admission guard (connection limits,
 * handshake deadline), the idle timer, TLS when configured, the length-limited frame decoder, the handshake (removes
 * itself after HELLO) and the {@link ServerConnection} that serves requests. It also keeps the server's set of open
 * connections.
 *
 * <p>Thread safety: thread-safe (Netty calls it on the connection's event loop; the connection set is concurrent).
 */
final class ServerInitializer extends ChannelInitializer<SocketChannel> {
    private final PartitionServer server;
    private final ConnectionGuard.Admission admission;
    private final long handshakeMillis;
    private final SslContext ssl;
    private final Set<ServerConnection> connections;

    /**
     * @param ssl the TLS context, or null for plaintext
     * @param connections the server's open connections: each is added here and removed when its channel closes
     */
    ServerInitializer(PartitionServer server, ConnectionGuard.Admission admission, long handshakeMillis, SslContext ssl,
            Set<ServerConnection> connections) {
        this.server = server;
        this.admission = admission;
        this.handshakeMillis = handshakeMillis;
        this.ssl = ssl;
        this.connections = connections;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        ch.pipeline().addLast("guard", new ConnectionGuard(admission, server.refusals(), handshakeMillis,
                ssl != null));
        long idleTimeoutMillis = server.idleTimeoutMillis();
        if (idleTimeoutMillis > 0) { // sees every byte received, not only whole frames
            ch.pipeline().addLast("idle", new IdleStateHandler(idleTimeoutMillis, 0, 0, TimeUnit.MILLISECONDS));
        }
        if (ssl != null) {
            ch.pipeline().addLast("tls-only", new TlsOnlyHandler());
            ch.pipeline().addLast("tls", ssl.newHandler(ch.alloc()));
        }
        ch.pipeline().addLast("frames", new FrameDecoder(Protocol.MAX_HELLO_FRAME, server.maxFrame(), "client"));
        ServerConnection c = new ServerConnection(server, ch);
        connections.add(c);
        ch.closeFuture().addListener(f -> connections.remove(c));
        ch.pipeline().addLast("handshake", c.handshake()); // removes itself after HELLO
        ch.pipeline().addLast("server", c);
    }
}
