package dev.diaspora.stream.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.netty.protocol.AppendRequest;
import dev.diaspora.stream.netty.protocol.Protocol;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The split-batch rules of PROTOCOL.md ("Split batches"), spoken by hand on raw sockets: a batch sent as several
 * APPEND parts is stored whole when its last part arrives, whatever another connection appends in between; a part of
 * another batch is a bad frame; a batch above the server's bound on incomplete batches is refused and nothing of it
 * is stored, and the connection goes on.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SplitBatchProtocolTest {
    private static final int PART_DATA = 60 << 10;

    @TempDir
    static Path dir;
    private static Servers servers;

    @BeforeAll
    static void start() {
        servers = Servers.start(dir, 1, b -> b.maxFrameLength(Protocol.MIN_MAX_FRAME).maxPendingAppendBytes(1 << 20));
    }

    @AfterAll
    static void stop() {
        servers.close();
    }

    @Test
    void shouldStoreASplitBatchWholeWhenItsLastPartArrives() {
        try (RawClient a = client(); RawClient b = client()) {
            int ha = open(a, "interleaved");
            int hb = open(b, "interleaved");
            assertTrue(a.send(RawClient.frame(Protocol.APPEND, 1001, part(ha, 0, true, 3, 100))));
            // another producer (8): a batch of producer 7 with the same sequence would be a retry (deduplicated)
            RawClient.Frame other = b.request(Protocol.APPEND, part(hb, 8, 0, false, 1, 100));
            assertEquals(Protocol.OK, other.type(), other::toString);
            long otherId = ByteBuffer.wrap(other.payload()).getLong();
            assertTrue(a.send(RawClient.frame(Protocol.APPEND, 1002, part(ha, 0, false, 2, 100))));
            Map<Long, Long> ids = new HashMap<>();
            for (int i = 0; i < 2; i++) {
                RawClient.Frame f = a.answer();
                assertEquals(Protocol.OK, f.type(), f::toString);
                ids.put(f.requestId(), ByteBuffer.wrap(f.payload()).getLong());
            }
            long first = ids.get(1001L);
            assertEquals(first + 3, ids.get(1002L), "the second part's first event follows the first part's three");
            assertTrue(otherId < first || otherId >= first + 5,
                    "the other connection's event " + otherId + " landed inside the batch at " + first + "..+5");
            assertEquals(5 + 1, next(b, hb), "the batch and the other event, nothing else");
        }
    }

    @Test
    void shouldCloseOnAPartOfAnotherBatch() {
        try (RawClient a = client(); RawClient check = client()) {
            int ha = open(a, "mixed");
            assertTrue(a.send(RawClient.frame(Protocol.APPEND, 1, part(ha, 0, true, 2, 100))));
            assertTrue(a.send(RawClient.frame(Protocol.APPEND, 2, part(ha, 1, false, 2, 100))));
            assertEquals(1, a.expectBadFrameAndClose(), "one BAD_FRAME, then closed");
            assertEquals(0, next(check, open(check, "mixed")), "nothing of the incomplete batch is stored");
        }
    }

    @Test
    void shouldRefuseASplitBatchAboveTheServersBoundAndStoreNothingOfIt() {
        try (RawClient a = client()) {
            int h = open(a, "huge");
            int parts = 20; // 20 x 60 KiB > the 1 MiB bound on incomplete batches
            for (int i = 0; i < parts; i++) {
                assertTrue(a.send(RawClient.frame(Protocol.APPEND, 100 + i, part(h, 0, i < parts - 1, 1, PART_DATA))));
            }
            for (int i = 0; i < parts; i++) {
                RawClient.Frame f = a.answer();
                assertEquals(Protocol.E_GENERIC, f.errorKind(), f::toString);
                assertTrue(f.errorMessage().contains("maxPendingAppendBytes"), f::toString);
            }
            assertEquals(0, next(a, h), "nothing of the refused batch is stored");
            RawClient.Frame after = a.request(Protocol.APPEND, part(h, 1, false, 1, 100));
            assertEquals(Protocol.OK, after.type(), "the connection goes on: " + after);
            assertEquals(1, next(a, h));
        }
    }

    private static RawClient client() {
        return RawClient.authenticated(servers.first().port(), "");
    }

    /** @return a handle of topic {@code name} (one partition), created first if missing */
    private static int open(RawClient c, String name) {
        return c.openOrCreate(name, 1);
    }

    /** @return the next id of partition 0 */
    private static long next(RawClient c, int h) {
        RawClient.Frame f = c.request(Protocol.BOUNDS, RawClient.payload(o -> {
            o.writeInt(h);
            o.writeInt(0);
        }));
        assertEquals(Protocol.OK, f.type(), f::toString);
        return ByteBuffer.wrap(f.payload()).getLong(8);
    }

    /** @return the payload of an APPEND part of batch {@code sequence} of producer 7 (key 1, partition 0) */
    private static byte[] part(int h, long sequence, boolean more, int events, int dataSize) {
        return part(h, 7, sequence, more, events, dataSize);
    }

    /** @return the payload of an APPEND part of batch {@code sequence} of {@code producer} (key 1, partition 0) */
    private static byte[] part(int h, long producer, long sequence, boolean more, int events, int dataSize) {
        byte[] md = "{}".getBytes(StandardCharsets.UTF_8);
        return RawClient.payload(o -> {
            o.writeInt(h);
            o.writeInt(1);
            o.writeInt(0);
            o.writeInt(events);
            o.writeLong(producer);
            o.writeLong(sequence);
            o.writeByte(more ? AppendRequest.FLAG_MORE : 0);
            for (int i = 0; i < events; i++) {
                o.writeInt(md.length);
            }
            for (int i = 0; i < events; i++) {
                o.writeLong(dataSize);
            }
            for (int i = 0; i < events; i++) {
                o.write(md);
            }
            for (int i = 0; i < events; i++) {
                o.write(new byte[dataSize]);
            }
        });
    }
}
