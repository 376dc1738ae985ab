package dev.diaspora.stream.tck;

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
 * A TCP proxy on loopback that forwards each accepted connection to one server, byte for byte, until closed; closing
 * it ends every connection through it at once, as the death of the process at its client's end would. Drivers' test
 * classes use it for the TCK's crash hook ({@link TckFixture#crashableMember}): the member's driver connects through
 * the proxy, and {@link CrashableMember#crash()} closes it.
 *
 * <p>Ownership: the test closes it. Thread safety: thread-safe; it runs its own daemon threads (named
 * {@code tck-proxy-*}), which {@link #close()} joins.
 */
public final class LoopbackProxy implements AutoCloseable {
    private final InetSocketAddress target;
    private final ServerSocket listener;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final List<Thread> threads = new ArrayList<>(); // guarded by itself
    private volatile boolean closed;

    /**
     * Opens the proxy on a free loopback port.
     *
     * @param target where accepted connections are forwarded
     */
    public LoopbackProxy(InetSocketAddress target) {
        this.target = target;
        try {
            this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open a proxy port on loopback", e);
        }
        start("tck-proxy-accept-" + port(), this::accept);
    }

    /** @return the loopback port the proxy accepts connections on */
    public int port() {
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

    /** Closes the port and every forwarded connection (both sides), and waits for the threads to end. Idempotent. */
    @Override
    public void close() {
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
