package dev.diaspora.stream.netty;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.tck.CrashableMember;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The netty driver's crash hook for the TCK (rule G5): the member has its own driver instance, whose connections go
 * through a TCP proxy on loopback, one per partition server. {@link #crash()} closes the proxies and every connection
 * through them: the partition servers see the member's connections end as they would when its process is killed (its
 * membership ends, its leases are dropped), and the member can no longer reach them. The test never uses the member
 * again; {@link #close()} closes its driver quietly.
 *
 * <p>Thread safety: used by the test's thread; the proxies run their own threads (named {@code tck-proxy-*}).
 */
final class CrashableNettyMember implements CrashableMember {
    private final List<Proxy> proxies;
    private final Driver driver;
    private final Consumer consumer;

    private CrashableNettyMember(List<Proxy> proxies, Driver driver, Consumer consumer) {
        this.proxies = proxies;
        this.driver = driver;
        this.consumer = consumer;
    }

    /** Opens a member of {@code topic} through proxies to the servers of {@code driverOptions}. */
    static CrashableNettyMember open(Metadata driverOptions, String topic, ConsumerOptions options) {
        ObjectNode o = ((ObjectNode) driverOptions.json()).deepCopy();
        List<Proxy> proxies = new ArrayList<>();
        ArrayNode proxied = o.arrayNode();
        Driver d = null;
        try {
            for (JsonNode s : o.get("servers")) {
                String a = s.asText();
                int colon = a.lastIndexOf(':');
                Proxy p = new Proxy(new InetSocketAddress(a.substring(0, colon), Integer.parseInt(a.substring(colon
                        + 1))));
                proxies.add(p);
                proxied.add("127.0.0.1:" + p.port());
            }
            o.set("servers", proxied);
            d = Driver.open("netty", Metadata.of(o));
            return new CrashableNettyMember(proxies, d, d.openTopic(topic).consumer(options));
        } catch (RuntimeException e) {
            if (d != null) {
                d.close();
            }
            proxies.forEach(Proxy::close);
            throw e;
        }
    }

    @Override
    public Consumer consumer() {
        return consumer;
    }

    @Override
    public void crash() {
        proxies.forEach(Proxy::close);
    }

    @Override
    public void close() {
        proxies.forEach(Proxy::close);
        try {
            driver.close(); // closes the consumer too; its servers are out of reach, which it reports in its log
        } catch (RuntimeException e) {
            // a crashed member cannot close cleanly, by design
        }
    }

    /** Forwards the connections accepted on a loopback port to one server, byte for byte, until closed. */
    private static final class Proxy {
        private final InetSocketAddress target;
        private final ServerSocket listener;
        private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
        private final List<Thread> threads = new ArrayList<>(); // guarded by itself
        private volatile boolean closed;

        Proxy(InetSocketAddress target) {
            this.target = target;
            try {
                this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot open a proxy port on loopback", e);
            }
            start("tck-proxy-accept-" + port(), this::accept);
        }

        int port() {
            return listener.getLocalPort();
        }

        private void start(String name, Runnable r) {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            synchronized (threads) {
                threads.add(t);
            }
            t.start();
        }

        private void accept() {
            while (!closed) {
                try {
                    Socket client = listener.accept();
                    Socket server = new Socket();
                    sockets.add(client);
                    sockets.add(server);
                    if (closed) {
                        close();
                        return;
                    }
                    server.connect(target, 5_000);
                    start("tck-proxy-up-" + port(), () -> pump(client, server));
                    start("tck-proxy-down-" + port(), () -> pump(server, client));
                } catch (IOException e) {
                    if (!closed) {
                        close(); // a proxy that cannot forward behaves as a crash
                    }
                    return;
                }
            }
        }

        private void pump(Socket from, Socket to) {
            byte[] buf = new byte[64 << 10];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    out.write(buf, 0, n);
                }
            } catch (IOException e) {
                // one side closed: close both
            } finally {
                closeQuietly(from);
                closeQuietly(to);
            }
        }

        /** Closes the port and every forwarded connection (both sides), and waits for the threads to end. */
        void close() {
            closed = true;
            try {
                listener.close();
            } catch (IOException e) {
                // closing
            }
            for (Socket s : sockets) {
                closeQuietly(s);
            }
            List<Thread> all;
            synchronized (threads) {
                all = new ArrayList<>(threads);
            }
            for (Thread t : all) {
                if (t != Thread.currentThread()) {
                    try {
                        t.join(5_000);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            }
        }

        private static void closeQuietly(Socket s) {
            try {
                s.close();
            } catch (IOException e) {
                // closing
            }
        }
    }
}
