package dev.diaspora.stream.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.diaspora.stream.BatchSize;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.ProducerOptions;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.netty.protocol.Protocol;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A producer keeps more than one batch of a partition on the wire: the second batch goes out while the first one's
 * answer is still on its way, so that the transfer of one batch overlaps the server's storing of the other. A proxy
 * between client and server holds the server's first APPEND answer back until it has forwarded a second APPEND (or
 * for {@link #HOLD_MILLIS}, after which it gives up and releases it) and records how many APPENDs it saw meanwhile.
 */
class NettyAppendPipelineTest {
    private static final long HOLD_MILLIS = 5_000;

    @TempDir
    Path dir;

    @Test
    @Timeout(60)
    void shouldSendTheNextBatchBeforeTheFirstIsAnswered() throws Exception {
        try (Servers servers = Servers.start(dir, 1); HoldingProxy proxy = new HoldingProxy(servers.list().get(0).port());
                Driver d = Driver.open("netty", Metadata.of("{\"servers\":[\"127.0.0.1:" + proxy.port() + "\"]}"))) {
            d.createTopic("pipe", Metadata.of("{\"num_partitions\":1}"));
            try (TopicHandle t = d.openTopic("pipe");
                    Producer p = t.producer(ProducerOptions.defaults().batchSize(BatchSize.of(1))
                            .maxInFlightBatches(2))) {
                List<CompletableFuture<Long>> pushes = new ArrayList<>();
                for (int i = 0; i < 2; i++) {
                    pushes.add(p.push(Metadata.of("{\"n\":" + i + "}"), DataView.of(new byte[100]), 0));
                }
                assertEquals(0L, pushes.get(0).get(30, TimeUnit.SECONDS));
                assertEquals(1L, pushes.get(1).get(30, TimeUnit.SECONDS));
            }
            assertEquals(2, proxy.appendsBeforeFirstAnswer(), "APPEND frames on the wire before the first answer"
                    + " reached the client");
        }
    }

    /**
     * Forwards one client connection at a time to the server, frame-aware towards the server (counts APPENDs), and
     * holds back what the server sends once the first APPEND went out, until a second one did or the hold expired.
     */
    private static final class HoldingProxy implements AutoCloseable {
        private final ServerSocket listen;
        private final int target;
        private final List<Socket> sockets = new ArrayList<>();
        private int appends; // guarded by this
        private int appendsAtRelease = -1; // guarded by this

        HoldingProxy(int target) throws IOException {
            this.target = target;
            this.listen = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread t = new Thread(this::accept, "holding-proxy");
            t.setDaemon(true);
            t.start();
        }

        int port() {
            return listen.getLocalPort();
        }

        synchronized int appendsBeforeFirstAnswer() {
            return appendsAtRelease;
        }

        private void accept() {
            try {
                while (true) {
                    Socket client = listen.accept();
                    Socket server = new Socket(InetAddress.getLoopbackAddress(), target);
                    client.setTcpNoDelay(true);
                    server.setTcpNoDelay(true);
                    synchronized (this) {
                        sockets.add(client);
                        sockets.add(server);
                    }
                    start(() -> toServer(client.getInputStream(), server.getOutputStream()));
                    start(() -> toClient(server.getInputStream(), client.getOutputStream()));
                }
            } catch (IOException e) {
                // closed
            }
        }

        private interface Pump {
            void run() throws IOException, InterruptedException;
        }

        private static void start(Pump p) {
            Thread t = new Thread(() -> {
                try {
                    p.run();
                } catch (IOException | InterruptedException e) {
                    // a side closed
                }
            }, "holding-proxy-pump");
            t.setDaemon(true);
            t.start();
        }

        /** Copies whole frames (length, type, ...) and counts the APPENDs. */
        private void toServer(InputStream in, OutputStream out) throws IOException {
            DataInputStream frames = new DataInputStream(in);
            while (true) {
                int len = frames.readInt();
                byte[] frame = new byte[len];
                frames.readFully(frame);
                out.write(new byte[] {(byte) (len >>> 24), (byte) (len >>> 16), (byte) (len >>> 8), (byte) len});
                out.write(frame);
                out.flush();
                if (frame.length > 0 && frame[0] == Protocol.APPEND) {
                    synchronized (this) {
                        appends++;
                        notifyAll();
                    }
                }
            }
        }

        private void toClient(InputStream in, OutputStream out) throws IOException, InterruptedException {
            byte[] buf = new byte[1 << 16];
            while (true) {
                int n = in.read(buf);
                if (n < 0) {
                    out.close();
                    return;
                }
                synchronized (this) {
                    if (appends >= 1 && appendsAtRelease < 0) {
                        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(HOLD_MILLIS);
                        while (appends < 2 && System.nanoTime() < until) {
                            wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(until - System.nanoTime())));
                        }
                        appendsAtRelease = appends;
                    }
                }
                out.write(buf, 0, n);
                out.flush();
            }
        }

        @Override
        public void close() throws IOException {
            listen.close();
            synchronized (this) {
                for (Socket s : sockets) {
                    s.close();
                }
            }
        }
    }
}
