package dev.diaspora.stream.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.netty.protocol.Answers;
import dev.diaspora.stream.netty.protocol.ConsumerRequests;
import dev.diaspora.stream.netty.protocol.Handshake;
import dev.diaspora.stream.netty.protocol.PartitionRequests;
import dev.diaspora.stream.netty.protocol.Protocol;
import dev.diaspora.stream.netty.protocol.Request;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server connection's pipeline in an {@link EmbeddedChannel} (frame decoder, {@link HandshakeHandler}, {@link
 * ServerConnection}) in front of a real {@link PartitionServer}: the handshake handler answers a good HELLO and
 * leaves the pipeline, refuses a wrong token or an oversized frame before the handshake and closes the connection;
 * after it, the connection decodes typed requests and routes them (served on the event loop here, so that the
 * answers are written synchronously).
 */
class HandshakeHandlerTest {
    private static final String TOKEN = "s3cret";

    @TempDir
    Path dir;
    private PartitionServer server;
    private EmbeddedChannel ch;

    @BeforeEach
    void start() {
        server = PartitionServer.builder().host("127.0.0.1").port(0).rootPath(dir).token(TOKEN).ioThreads(1)
                .workerThreads(1).start();
        ch = new EmbeddedChannel();
        ServerConnection c = new ServerConnection(server, ch);
        ch.pipeline().addLast("frames", new FrameDecoder(Protocol.MAX_HELLO_FRAME, server.maxFrame(), "client"));
        ch.pipeline().addLast("handshake", c.handshake());
        ch.pipeline().addLast("server", c);
    }

    @AfterEach
    void stop() {
        ch.finishAndReleaseAll();
        server.close();
    }

    @Test
    void aGoodHelloIsAnsweredAndTheHandlerLeavesThePipeline() {
        List<Frame> answers = send(7, Handshake.Hello.of(TOKEN));
        assertEquals(1, answers.size(), answers::toString);
        Frame ok = answers.get(0);
        assertEquals(Protocol.OK, ok.type);
        assertEquals(7, ok.reqId);
        Handshake.HelloAnswer a = Handshake.HelloAnswer.decode(ok.payload);
        assertEquals(new Handshake.HelloAnswer(Protocol.VERSION, server.serverId(), server.maxFrame()), a);
        assertNull(ch.pipeline().get(HandshakeHandler.class), "the handshake handler removed itself");
        assertEquals(server.maxFrame(), ch.pipeline().get(FrameDecoder.class).limit(), "the frame limit rose");
        assertTrue(ch.isOpen());
    }

    @Test
    void aWrongTokenIsRefusedAndTheConnectionClosed() {
        List<Frame> answers = send(3, Handshake.Hello.of("guess"));
        assertEquals(1, answers.size(), answers::toString);
        Answers.ErrorAnswer e = answers.get(0).error();
        assertEquals(Protocol.E_AUTH, e.kind());
        assertFalse(ch.isOpen(), "closed after the refusal");
    }

    @Test
    void aFrameAboveThePreHandshakeLimitIsABadFrame() {
        ByteBuf big = Unpooled.buffer().writeInt(Protocol.MAX_HELLO_FRAME + 1).writeByte(Protocol.HELLO);
        ch.writeInbound(big);
        List<Frame> answers = drain();
        assertEquals(1, answers.size(), answers::toString);
        Answers.ErrorAnswer e = answers.get(0).error();
        assertEquals(Protocol.E_BAD_FRAME, e.kind());
        assertTrue(e.message().contains("before the handshake"), e.message());
        assertFalse(ch.isOpen());
    }

    @Test
    void aFirstFrameOtherThanHelloIsABadFrame() {
        List<Frame> answers = send(5, new ConsumerRequests.Release(1));
        Answers.ErrorAnswer e = answers.get(0).error();
        assertEquals(Protocol.E_BAD_FRAME, e.kind());
        assertTrue(e.message().contains("the first frame must be HELLO, got RELEASE"), e.message());
        assertFalse(ch.isOpen());
    }

    @Test
    void afterTheHandshakeTheConnectionDispatchesTypedRequests() {
        send(1, Handshake.Hello.of(TOKEN));
        List<Frame> released = send(2, new ConsumerRequests.Release(12345)); // no such lease: nothing to release
        assertEquals(List.of(Protocol.OK), types(released));
        assertEquals(0, released.get(0).payload.readableBytes());
        // APPEND goes to the append path, which checks the handle of the connection (none opened)
        ByteBuf append = Unpooled.buffer().writeInt(99).writeInt(0).writeInt(0).writeInt(0).writeLong(1).writeLong(0)
                .writeByte(0);
        List<Frame> refused = send(3, Protocol.APPEND, append);
        Answers.ErrorAnswer e = refused.get(0).error();
        assertTrue(e.message().contains("unknown topic handle 99"), e.message());
        assertTrue(ch.isOpen(), "an unknown handle is an error of the request, not of the connection");
        // a CLOSE_APPENDER with trailing bytes breaks the protocol: bad frame, connection closed
        ByteBuf close = new PartitionRequests.CloseAppender(1, 2).encode(ch.alloc()).writeByte(0);
        Answers.ErrorAnswer bad = send(4, Protocol.CLOSE_APPENDER, close).get(0).error();
        assertEquals(Protocol.E_BAD_FRAME, bad.kind());
        assertTrue(bad.message().contains("CLOSE_APPENDER: 1 unexpected trailing bytes"), bad.message());
        assertFalse(ch.isOpen());
    }

    // ------------------------------------------------------------------ helpers

    private record Frame(byte type, long reqId, ByteBuf payload) {
        Answers.ErrorAnswer error() {
            assertEquals(Protocol.ERROR, type, "an ERROR frame");
            return Answers.ErrorAnswer.decode(payload);
        }
    }

    private List<Frame> send(long reqId, Request r) {
        return send(reqId, r.type(), r.encode(ch.alloc()));
    }

    private List<Frame> send(long reqId, byte type, ByteBuf payload) {
        ByteBuf f = Unpooled.buffer().writeInt(Protocol.HEADER + payload.readableBytes()).writeByte(type)
                .writeLong(reqId).writeBytes(payload);
        payload.release();
        ch.writeInbound(f);
        return drain();
    }

    /** @return the frames the server wrote, whole (answers of payloads are written as header and payload) */
    private List<Frame> drain() {
        ch.runPendingTasks();
        ByteBuf all = Unpooled.buffer();
        for (Object o = ch.readOutbound(); o != null; o = ch.readOutbound()) {
            ByteBuf b = (ByteBuf) o;
            all.writeBytes(b);
            b.release();
        }
        List<Frame> out = new ArrayList<>();
        while (all.isReadable()) {
            int len = all.readInt();
            ByteBuf f = all.readSlice(len);
            out.add(new Frame(f.readByte(), f.readLong(), f));
        }
        return out;
    }

    private static List<Byte> types(List<Frame> frames) {
        List<Byte> out = new ArrayList<>();
        frames.forEach(f -> out.add(f.type));
        return out;
    }
}
