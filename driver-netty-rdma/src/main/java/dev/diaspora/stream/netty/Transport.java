package dev.diaspora.stream.netty;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The socket transport: native epoll when it loads, NIO otherwise (logged once per JVM). {@code
 * -Ddiaspora.netty.transport=nio} forces NIO.
 *
 * <p>Thread safety: immutable.
 */
final class Transport {
    private static final Logger LOG = LoggerFactory.getLogger(Transport.class);
    private static final AtomicBoolean LOGGED = new AtomicBoolean();
    private static volatile Transport instance;

    private final boolean epoll;

    private Transport(boolean epoll) {
        this.epoll = epoll;
    }

    static Transport get() {
        Transport t = instance;
        if (t == null) {
            boolean forceNio = "nio".equalsIgnoreCase(System.getProperty("diaspora.netty.transport", ""));
            boolean native_ = !forceNio && Epoll.isAvailable();
            t = new Transport(native_);
            instance = t;
            if (LOGGED.compareAndSet(false, true)) {
                if (native_) {
                    LOG.info("netty driver: using the native epoll transport");
                } else if (forceNio) {
                    LOG.info("netty driver: using the NIO transport (diaspora.netty.transport=nio)");
                } else {
                    LOG.info("netty driver: native epoll transport unavailable ({}); using NIO",
                            String.valueOf(Epoll.unavailabilityCause()));
                }
            }
        }
        return t;
    }

    String name() {
        return epoll ? "epoll" : "nio";
    }

    EventLoopGroup group(int threads, String prefix) {
        IoHandlerFactory f = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(prefix, true), f);
    }

    Class<? extends ServerChannel> serverChannel() {
        return epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    Class<? extends SocketChannel> channel() {
        return epoll ? EpollSocketChannel.class : NioSocketChannel.class;
    }

    static void shutdown(EventLoopGroup g) {
        g.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
