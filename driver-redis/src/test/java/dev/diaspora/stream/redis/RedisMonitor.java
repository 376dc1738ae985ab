package dev.diaspora.stream.redis;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Records the commands a Redis server runs, with Redis's {@code MONITOR} over a plain socket: one line per command,
 * which names its caller ({@code [0 127.0.0.1:port]} for a client's command, {@code [0 lua]} for one a script called),
 * so a test can tell what a client sent from what a script did on the server. For private test servers only (MONITOR
 * slows a server down).
 *
 * <p>Ownership: the test closes it. Thread safety: {@link #lines} may be called from the test's thread while the
 * reader thread records.
 */
final class RedisMonitor implements AutoCloseable {
    private final Socket socket;
    private final List<String> lines = new ArrayList<>();
    private final Thread reader;

    /** Starts monitoring; returns once the server has confirmed it. */
    RedisMonitor(int port) throws IOException {
        socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
        OutputStream out = socket.getOutputStream();
        out.write("MONITOR\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                StandardCharsets.ISO_8859_1));
        String ok = in.readLine();
        if (!"+OK".equals(ok)) {
            throw new IOException("MONITOR answered " + ok);
        }
        reader = new Thread(() -> {
            try {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    synchronized (lines) {
                        lines.add(line);
                        lines.notifyAll();
                    }
                }
            } catch (IOException e) {
                // closed
            }
        }, "test-redis-monitor");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * @param server the monitored server, on which this sends a marker command
     * @return every command the server ran since this monitor started, up to a marker sent now (so that nothing the
     *     server ran before this call is still on its way)
     */
    List<String> lines(RedisServerProcess server) throws Exception {
        String mark = "monitor-mark-" + UUID.randomUUID();
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", server.port()), 2000);
            s.getOutputStream().write(("ECHO " + mark + "\r\n").getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            s.getInputStream().read(new byte[256]);
        }
        long deadline = System.nanoTime() + 10_000_000_000L;
        synchronized (lines) {
            while (true) {
                for (int i = lines.size() - 1; i >= 0; i--) {
                    if (lines.get(i).contains(mark)) {
                        return new ArrayList<>(lines.subList(0, i));
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IllegalStateException("MONITOR did not show the marker within 10 s");
                }
                lines.wait(left / 1_000_000 + 1);
            }
        }
    }

    /**
     * @return the arguments after the key of each of {@code lines} that is the command {@code command} called by a
     *     script ({@code fromScript}) or sent by a client, on a key ending in {@code keySuffix} (for {@code HGET}
     *     and {@code HMGET}: the fields read), all in one list; the arguments must be plain text
     */
    static List<String> arguments(List<String> lines, String command, boolean fromScript, String keySuffix) {
        List<String> out = new ArrayList<>();
        for (String[] w : commands(lines, command, fromScript)) {
            if (w[1].endsWith(keySuffix)) {
                out.addAll(List.of(w).subList(2, w.length));
            }
        }
        return out;
    }

    /**
     * @return the words (command, key, arguments) of each of {@code lines} that is the command {@code command} with a
     *     key, called by a script ({@code fromScript}) or sent by a client; the words must be plain text
     */
    static List<String[]> commands(List<String> lines, String command, boolean fromScript) {
        List<String[]> out = new ArrayList<>();
        for (String l : lines) {
            int close = l.indexOf("] \"");
            if (close < 0 || l.substring(0, close).endsWith(" lua") != fromScript) {
                continue;
            }
            String words = l.substring(close + 3, l.length() - 1); // CMD" "key" "arg" ... "arg
            String[] w = words.split("\" \"");
            if (w.length >= 2 && w[0].equalsIgnoreCase(command)) {
                out.add(w);
            }
        }
        return out;
    }

    @Override
    public void close() throws Exception {
        socket.close();
        reader.join(5000);
    }
}
