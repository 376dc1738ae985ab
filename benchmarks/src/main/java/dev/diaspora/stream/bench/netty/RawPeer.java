package dev.diaspora.stream.bench.netty;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The peer the {@code netty} driver is measured against: a plain Java program that moves the same bytes over a
 * loopback socket with blocking NIO and direct buffers, and stores them with a plain {@code FileChannel} (so the
 * driver's storage is matched too). One connection at a time; the first byte of a connection picks the mode:
 * <ul>
 *   <li>{@code 'P'} produce: a u64 total, then that many bytes (the client's frames {@code [u32 length][bytes]}),
 *       read in 4 MiB chunks and appended to the file, then an 8-byte answer (bytes stored);</li>
 *   <li>{@code 'C'} consume: the whole file sent with {@code transferTo} (sendfile), after its 8-byte length;</li>
 *   <li>{@code 'L'} latency: each frame is stored and answered with 8 bytes, until a zero length.</li>
 * </ul>
 *
 * <p>Thread safety: its accept thread owns all state.
 */
final class RawPeer implements AutoCloseable {
    private final ServerSocketChannel server;
    private final Path file;
    private final Thread thread;

    RawPeer(Path file) throws IOException {
        this.file = file;
        this.server = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
        this.thread = new Thread(this::serve, "raw-peer");
        thread.setDaemon(true);
        thread.start();
    }

    int port() throws IOException {
        return ((InetSocketAddress) server.getLocalAddress()).getPort();
    }

    private void serve() {
        ByteBuffer buf = ByteBuffer.allocateDirect(4 << 20);
        ByteBuffer small = ByteBuffer.allocateDirect(16);
        while (server.isOpen()) {
            try (SocketChannel ch = server.accept()) {
                ch.socket().setTcpNoDelay(true);
                small.clear().limit(1);
                readFully(ch, small);
                byte mode = small.get(0);
                if (mode == 'C') {
                    try (FileChannel f = FileChannel.open(file, StandardOpenOption.READ)) {
                        long size = f.size();
                        small.clear().putLong(size).flip();
                        writeFully(ch, small);
                        long at = 0;
                        while (at < size) {
                            at += f.transferTo(at, size - at, ch);
                        }
                    }
                    continue;
                }
                try (FileChannel f = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING)) {
                    if (mode == 'P') {
                        small.clear().limit(8);
                        readFully(ch, small);
                        long total = small.getLong(0);
                        store(ch, f, buf, total);
                        small.clear().putLong(total).flip();
                        writeFully(ch, small);
                        continue;
                    }
                    long stored = 0;
                    while (true) {
                        small.clear().limit(4);
                        readFully(ch, small);
                        int len = small.getInt(0);
                        if (len == 0) {
                            break;
                        }
                        store(ch, f, buf, len);
                        stored += len;
                        if (mode == 'L') {
                            small.clear().putLong(stored).flip();
                            writeFully(ch, small);
                        }
                    }
                    small.clear().putLong(stored).flip();
                    writeFully(ch, small);
                }
            } catch (IOException e) {
                if (server.isOpen()) {
                    System.err.println("raw peer: " + e);
                }
            }
        }
    }

    /** Copies {@code n} bytes from the socket to the file through {@code buf}. */
    private static void store(SocketChannel ch, FileChannel f, ByteBuffer buf, long n) throws IOException {
        for (long left = n; left > 0; ) {
            buf.clear().limit((int) Math.min(buf.capacity(), left));
            readFully(ch, buf);
            buf.flip();
            left -= buf.remaining();
            while (buf.hasRemaining()) {
                f.write(buf);
            }
        }
    }

    static void readFully(SocketChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) {
                throw new IOException("connection closed with " + b.remaining() + " bytes missing");
            }
        }
    }

    static void writeFully(SocketChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
