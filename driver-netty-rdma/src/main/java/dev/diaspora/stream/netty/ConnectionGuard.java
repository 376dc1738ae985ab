package dev.diaspora.stream.netty;

import dev.diaspora.stream.netty.protocol.Protocol;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The first handler of a server connection: admits it under the connection caps (total and per client address) and
 * closes it if its handshake (HELLO) has not succeeded within the handshake timeout. A refused connection gets a
 * plaintext {@code ERROR} naming the cap (on a TLS server it is closed without one: the client expects TLS records),
 * and every refusal is logged through {@link Refusals} (rate-limited).
 *
 * <p>Thread safety: one instance per connection, confined to its event loop, except {@link #handshakeDone}, which
 * may be called from any thread; {@link Admission} is thread-safe.
 */
final class ConnectionGuard extends ChannelInboundHandlerAdapter {
    private final Admission admission;
    private final Refusals refusals;
    private final long handshakeTimeoutMillis;
    private final boolean tls;
    private InetAddress address;
    private ScheduledFuture<?> handshakeTimer;
    private volatile boolean handshakeDone;

    ConnectionGuard(Admission admission, Refusals refusals, long handshakeTimeoutMillis, boolean tls) {
        this.admission = admission;
        this.refusals = refusals;
        this.handshakeTimeoutMillis = handshakeTimeoutMillis;
        this.tls = tls;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        InetAddress a = ((InetSocketAddress) ctx.channel().remoteAddress()).getAddress();
        String refusal = admission.admit(a);
        if (refusal != null) {
            refusals.warn("connection cap", ctx.channel().remoteAddress(), refusal);
            ctx.channel().config().setAutoRead(false);
            if (tls) {
                ctx.close();
            } else {
                ctx.writeAndFlush(Protocol.errorFrame(ctx.alloc(), 0, Protocol.E_GENERIC, "partition server refused"
                        + " the connection: " + refusal)).addListener(ChannelFutureListener.CLOSE);
            }
            return; // the handlers after this one never see the connection
        }
        address = a;
        if (!handshakeDone) {
            handshakeTimer = ctx.executor().schedule(() -> {
                if (!handshakeDone && ctx.channel().isActive()) {
                    refusals.warn("handshake timeout", ctx.channel().remoteAddress(), "no successful handshake (HELLO)"
                            + " within " + handshakeTimeoutMillis + " ms (handshakeTimeout)");
                    ctx.close();
                }
            }, handshakeTimeoutMillis, TimeUnit.MILLISECONDS);
        }
        ctx.fireChannelActive();
    }

    /** The client authenticated: the handshake timeout no longer applies. */
    void handshakeDone() {
        handshakeDone = true;
        ScheduledFuture<?> t = handshakeTimer;
        if (t != null) {
            t.cancel(false);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (handshakeTimer != null) {
            handshakeTimer.cancel(false);
        }
        if (address != null) {
            admission.leave(address);
            address = null;
            ctx.fireChannelInactive();
        }
    }

    /**
     * Counts a server's connections, in total and per client address, against the caps.
     *
     * <p>Thread safety: thread-safe.
     */
    static final class Admission {
        private final int maxTotal;
        private final int maxPerAddress;
        private final AtomicInteger total = new AtomicInteger();
        private final Map<InetAddress, AtomicInteger> perAddress = new ConcurrentHashMap<>();

        Admission(int maxTotal, int maxPerAddress) {
            this.maxTotal = maxTotal;
            this.maxPerAddress = maxPerAddress;
        }

        /** @return null if admitted (counted until {@link #leave}), else why not */
        String admit(InetAddress a) {
            if (total.incrementAndGet() > maxTotal) {
                total.decrementAndGet();
                return "it has " + maxTotal + " connections, its cap (maxConnections); close idle clients or raise"
                        + " the cap";
            }
            String[] refused = new String[1];
            perAddress.compute(a, (k, n) -> {
                AtomicInteger c = n == null ? new AtomicInteger() : n;
                if (c.get() >= maxPerAddress) {
                    refused[0] = "it has " + maxPerAddress + " connections from " + a.getHostAddress()
                            + ", the cap per client address (maxConnectionsPerAddress); close idle clients there or"
                            + " raise the cap";
                } else {
                    c.incrementAndGet();
                }
                return c;
            });
            if (refused[0] != null) {
                total.decrementAndGet();
            }
            return refused[0];
        }

        void leave(InetAddress a) {
            total.decrementAndGet();
            perAddress.computeIfPresent(a, (k, n) -> n.decrementAndGet() == 0 ? null : n);
        }

        /** @return the connections admitted now */
        int total() {
            return total.get();
        }
    }
}
