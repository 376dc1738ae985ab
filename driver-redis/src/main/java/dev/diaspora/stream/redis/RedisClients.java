package dev.diaspora.stream.redis;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.SslOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.protocol.CommandType;
import io.lettuce.core.protocol.RedisCommand;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.DefaultEventLoopGroupProvider;
import io.lettuce.core.resource.EventLoopGroupProvider;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutorGroup;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ImmediateEventExecutor;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The Lettuce client of one driver, for a single server (or Sentinel) or for a Redis Cluster, and the connections it
 * opens. Everything above it talks through {@link RedisClusterAsyncCommands}, the command interface a standalone and a
 * cluster connection share; on a cluster, Lettuce routes each command to the node serving its key's slot, follows
 * {@code MOVED} and {@code ASK} redirections, and refreshes its view of the cluster when a redirection, a persistent
 * reconnection or an unknown node says the topology changed (at most once a second), and every 30 s.
 *
 * <p>Ownership: the driver opens one and closes it last, after every connection it handed out was closed by its
 * user. Thread safety: thread-safe.
 */
final class RedisClients implements AutoCloseable {
    private static volatile ClientResources resources;

    private final RedisConfig config;
    private final AbstractRedisClient client;
    private final StatefulConnection<String, Object> shared;
    private final RedisClusterAsyncCommands<String, Object> commands;

    /** A connection and its commands. */
    record Connection(StatefulConnection<String, Object> stateful, RedisClusterAsyncCommands<String, Object> commands) {
    }

    /**
     * Opens the client and its shared connection.
     *
     * @throws RuntimeException Lettuce's error when the server cannot be reached; the client is shut down then
     */
    RedisClients(RedisConfig config) {
        this.config = config;
        SocketOptions socket = SocketOptions.builder().connectTimeout(config.connectTimeout).keepAlive(true).build();
        SslOptions ssl = config.tlsCaFile == null ? null
                : SslOptions.builder().jdkSslProvider().trustManager(config.tlsCaFile.toFile()).build();
        if (config.cluster) {
            RedisClusterClient c = RedisClusterClient.create(sharedResources(), config.seeds);
            ClusterClientOptions.Builder o = ClusterClientOptions.builder().socketOptions(socket)
                    .timeoutOptions(timeouts(config.commandTimeout))
                    .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                            .enableAllAdaptiveRefreshTriggers()
                            .adaptiveRefreshTriggersTimeout(Duration.ofSeconds(1))
                            .enablePeriodicRefresh(Duration.ofSeconds(30))
                            .build());
            if (ssl != null) {
                o.sslOptions(ssl);
            }
            c.setOptions(o.build());
            this.client = c;
        } else {
            RedisClient c = RedisClient.create(sharedResources(), config.uri);
            ClientOptions.Builder o = ClientOptions.builder().socketOptions(socket)
                    .timeoutOptions(timeouts(config.commandTimeout));
            if (ssl != null) {
                o.sslOptions(ssl);
            }
            c.setOptions(o.build());
            this.client = c;
        }
        Connection first;
        try {
            first = connect();
        } catch (RuntimeException e) {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            throw e;
        }
        this.shared = first.stateful();
        this.commands = first.commands();
    }

    /**
     * Command timeouts: {@code command_timeout_ms} for every command but {@code XREAD}, which only the tail watcher
     * sends, blocked on the server for {@link RedisTailWatcher#BLOCK_MS}; it gets that much more, so that a command
     * timeout below the block time does not fail an idle watcher's read (and make it reconnect) every block period.
     */
    static TimeoutOptions timeouts(Duration command) {
        long ms = command.toMillis();
        long xread = ms + RedisTailWatcher.BLOCK_MS;
        return TimeoutOptions.builder().timeoutCommands().timeoutSource(new TimeoutOptions.TimeoutSource() {
            @Override
            public long getTimeout(RedisCommand<?, ?, ?> c) {
                return c.getType() == CommandType.XREAD ? xread : ms;
            }

            @Override
            public TimeUnit getTimeUnit() {
                return TimeUnit.MILLISECONDS;
            }
        }).build();
    }

    /**
     * One set of Lettuce event loops for the JVM (their threads are daemons), as Lettuce recommends. Their I/O event
     * loops are never shut down: Lettuce's default provider shuts them down when the last client using them shuts
     * down, and a reconnection the client had scheduled before (its server was down) then runs on the computation
     * loops against dead I/O loops, which Netty logs as an ERROR ("Failed to submit a listener notification task.
     * Event loop shut down?").
     */
    private static ClientResources sharedResources() {
        ClientResources r = resources;
        if (r == null) {
            synchronized (RedisClients.class) {
                r = resources;
                if (r == null) {
                    r = DefaultClientResources.builder().eventLoopGroupProvider(new JvmEventLoops(2))
                            .computationThreadPoolSize(2).build();
                    resources = r;
                }
            }
        }
        return r;
    }

    /** @return the commands of the shared connection: Lettuce pipelines the commands of every thread on it */
    RedisClusterAsyncCommands<String, Object> commands() {
        return commands;
    }

    /** @return a new connection of its own (for blocking reads), closed by its user before this client */
    Connection connect() {
        if (client instanceof RedisClusterClient c) {
            StatefulRedisClusterConnection<String, Object> conn = c.connect(RedisCodecs.CODEC);
            return new Connection(conn, conn.async());
        }
        StatefulRedisConnection<String, Object> conn = ((RedisClient) client).connect(RedisCodecs.CODEC);
        return new Connection(conn, conn.async());
    }

    /** Closes the shared connection, then shuts the client down. */
    @Override
    public void close() {
        shared.close();
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }

    /** Lettuce's event loop groups, allocated once and kept for the JVM: a client's release does not shut them down. */
    private static final class JvmEventLoops implements EventLoopGroupProvider {
        private final DefaultEventLoopGroupProvider groups;

        JvmEventLoops(int threads) {
            this.groups = new DefaultEventLoopGroupProvider(threads);
        }

        @Override
        public <T extends EventLoopGroup> T allocate(Class<T> type) {
            return groups.allocate(type);
        }

        @Override
        public int threadPoolSize() {
            return groups.threadPoolSize();
        }

        @Override
        public Future<Boolean> release(EventExecutorGroup group, long quietPeriod, long timeout, TimeUnit unit) {
            return ImmediateEventExecutor.INSTANCE.newSucceededFuture(Boolean.TRUE);
        }

        @Override
        public Future<Boolean> shutdown(long quietPeriod, long timeout, TimeUnit unit) {
            return groups.shutdown(quietPeriod, timeout, unit);
        }
    }

    @Override
    public String toString() {
        return "redis client of " + config.address();
    }
}
