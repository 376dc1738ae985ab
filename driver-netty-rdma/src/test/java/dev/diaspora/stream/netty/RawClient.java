package dev.diaspora.stream.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.diaspora.stream.netty.protocol.Protocol;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * A hand-written client of the wire protocol on a plain socket, for hostile input: it sends whatever bytes it is
 * given and reads frames back, with a read timeout so that a test never hangs.
 *
 * <p>Thread safety: confined to one thread at a time.
 */
final class RawClient implements AutoCloseable {
    static final int TIMEOUT_MS = 5_000;

    /** One frame from the server. */
    record Frame(int type, long requestId, byte[] payload) {
        int errorKind() {
            assertEquals(Protocol.ERROR, type, "frame type");
            return payload[0];
        }

        String errorMessage() {
            ByteBuffer b = ByteBuffer.wrap(payload, 1, payload.length - 1);
            byte[] s = new byte[Short.toUnsignedInt(b.getShort())];
            b.get(s);
            return new String(s, StandardCharsets.UTF_8);
        }

        @Override
        public String toString() {
            return Protocol.typeName(type) + (type == Protocol.ERROR ? "(" + errorKind() + ": " + errorMessage() + ")"
                    : "[" + payload.length + " bytes]");
        }
    }

    /** Writes a payload with big-endian primitives. */
    interface PayloadWriter {
        void write(DataOutputStream out) throws IOException;
    }

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private long nextId;

    RawClient(int port) {
        this(port, null);
    }

    /** Connects from {@code localAddress} (any loopback address, 127.0.0.2 ...), or the default one if null. */
    RawClient(int port, String localAddress) {
        try {
            socket = new Socket();
            if (localAddress != null) {
                socket.bind(new InetSocketAddress(localAddress, 0));
            }
            socket.connect(new InetSocketAddress("127.0.0.1", port), TIMEOUT_MS);
            socket.setSoTimeout(TIMEOUT_MS);
            in = new DataInputStream(socket.getInputStream());
            out = socket.getOutputStream();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @return a RawClient that sent a HELLO with {@code token} and got OK */
    static RawClient authenticated(int port, String token) {
        return authenticated(port, token, Protocol.VERSION);
    }

    /** @return a RawClient that sent a HELLO of protocol {@code version} with {@code token} and got OK */
    static RawClient authenticated(int port, String token, int version) {
        RawClient c = new RawClient(port);
        Frame answer = c.request(Protocol.HELLO, hello(version, token));
        assertEquals(Protocol.OK, answer.type(), () -> "HELLO answered " + answer);
        return c;
    }

    static byte[] payload(PayloadWriter w) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try {
            w.write(new DataOutputStream(b));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return b.toByteArray();
    }

    static byte[] hello(String token) {
        return hello(Protocol.VERSION, token);
    }

    static byte[] hello(int version, String token) {
        return payload(o -> {
            o.writeInt(Protocol.MAGIC);
            o.writeShort(version);
            string(o, token);
        });
    }

    static void string(DataOutputStream o, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        o.writeShort(b.length);
        o.write(b);
    }

    static void json(DataOutputStream o, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        o.writeInt(b.length);
        o.write(b);
    }

    /** @return a whole frame: length, type, request id, payload */
    static byte[] frame(int type, long requestId, byte[] payload) {
        return payload(o -> {
            o.writeInt(Protocol.HEADER + payload.length);
            o.writeByte(type);
            o.writeLong(requestId);
            o.write(payload);
        });
    }

    /** @return a handle of topic {@code name} (OPEN_TOPIC), which this creates first if missing */
    int openOrCreate(String name, int partitions) {
        Frame f = request(Protocol.OPEN_TOPIC, payload(o -> string(o, name)));
        if (f.type() == Protocol.ERROR && f.errorKind() == Protocol.E_TOPIC_NOT_FOUND) {
            Frame created = request(Protocol.CREATE_TOPIC, payload(o -> {
                string(o, name);
                json(o, "{\"num_partitions\":" + partitions + "}");
                json(o, "{}");
            }));
            assertEquals(Protocol.OK, created.type(), created::toString);
            return openOrCreate(name, partitions);
        }
        assertEquals(Protocol.OK, f.type(), f::toString);
        return ByteBuffer.wrap(f.payload()).getInt();
    }

    /** Sends a frame with the next request id and returns the first answer (OK or ERROR), skipping NOTIFY. */
    Frame request(int type, byte[] payload) {
        send(frame(type, ++nextId, payload));
        return answer();
    }

    /** @return the next OK or ERROR frame; fails on a timeout or if the server closed instead */
    Frame answer() {
        Frame f;
        do {
            f = read();
            if (f == null) {
                fail("the server closed the connection without an answer");
            }
        } while (f.type() == Protocol.NOTIFY);
        return f;
    }

    /** Sends raw bytes; false if the server had already closed the connection. */
    boolean send(byte[] bytes) {
        try {
            out.write(bytes);
            out.flush();
            return true;
        } catch (SocketException e) {
            return false; // reset or broken pipe: the server closed
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Half-closes: the server sees the end of the stream. */
    void shutdownOutput() {
        try {
            socket.shutdownOutput();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @return the next frame, or null when the server closed the connection; fails after the read timeout */
    Frame read() {
        try {
            int len;
            try {
                len = in.readInt();
            } catch (EOFException e) {
                return null;
            }
            assertTrue(len >= Protocol.HEADER && len < (64 << 20), "answer length " + len);
            int type = in.readUnsignedByte();
            long id = in.readLong();
            byte[] p = new byte[len - Protocol.HEADER];
            in.readFully(p);
            return new Frame(type, id, p);
        } catch (SocketTimeoutException e) {
            throw new AssertionError("no frame and no close from the server within " + TIMEOUT_MS + " ms", e);
        } catch (SocketException e) {
            return null; // connection reset: closed
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Reads until the server closes the connection, failing after the read timeout. Every frame read must be an
     * ERROR of kind BAD_FRAME (or a NOTIFY).
     *
     * @return the BAD_FRAME errors read
     */
    int expectBadFrameAndClose() {
        int errors = 0;
        Frame f;
        while ((f = read()) != null) {
            if (f.type() == Protocol.NOTIFY) {
                continue;
            }
            Frame g = f;
            assertEquals(Protocol.E_BAD_FRAME, f.errorKind(), () -> "expected ERROR(BAD_FRAME), got " + g);
            errors++;
        }
        return errors;
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // nothing to do
        }
    }
}
