package dev.diaspora.stream.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.netty.protocol.InlineData;
import dev.diaspora.stream.netty.protocol.PartitionRequests;
import dev.diaspora.stream.netty.protocol.Protocol;
import dev.diaspora.stream.netty.protocol.ReadAnswer;
import dev.diaspora.stream.netty.protocol.Request;
import dev.diaspora.stream.spi.IncomingBatch;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The READ_INLINE answer's data section (PROTOCOL.md, "READ_INLINE"): what a server encodes decodes to the same bytes
 * per event, whether the frame arrived in one piece or several, and a hostile answer (more events than the batch,
 * an event too large to be inline, fewer bytes than announced) is a bad frame, never a read past the frame.
 */
class InlineDataCodecTest {
    private static final long BASE_SEED = Long.getLong("tck.seed", 0x1A11E_14L);
    private static final int CASES = 300;

    @Test
    void inlineDataDecodesToTheBytesOfEachEvent() {
        SeededCases.forEachCase(BASE_SEED, "round trip of READ_INLINE answer", CASES, r -> {
            IncomingBatch batch = batch(r, 1 + r.nextInt(30), 2000);
            int k = r.nextInt(batch.count() + 1);
            byte[][] data = new byte[k][];
            ByteBuf frame = Unpooled.buffer();
            new ReadAnswer(77, batch).encode(frame);
            frame.writeInt(k);
            for (int i = 0; i < k; i++) {
                data[i] = new byte[(int) batch.dataSize(i)];
                r.nextBytes(data[i]);
                frame.writeBytes(data[i]);
            }
            ByteBuf in = r.nextBoolean() ? frame : pieces(frame, r);
            ReadAnswer a = ReadAnswer.decode(in, 0, "s");
            InlineData d = InlineData.decode(in, a.batch());
            if (k == 0) {
                assertNull(d);
                in.release();
                return;
            }
            in.release(); // the data holds its own reference
            try {
                assertEquals(k, d.count());
                for (int i = 0; i < k; i++) {
                    long id = batch.firstId() + i;
                    assertTrue(d.holds(id));
                    assertEquals(ByteBuffer.wrap(data[i]), d.of(id), "data of event " + id);
                }
                for (int j = 0; j < k; j++) { // out of order too: the pieces are walked again from the first
                    int i = r.nextInt(k);
                    assertEquals(ByteBuffer.wrap(data[i]), d.of(batch.firstId() + i), "again, event " + i);
                }
                assertTrue(!d.holds(batch.firstId() + k) && !d.holds(batch.firstId() - 1));
            } finally {
                d.release();
            }
        });
    }

    /** Events of no data sent inline: a section of 0 bytes, which a frame in pieces holds in no piece at all. */
    @Test
    void emptyEventsInAFrameOfPiecesHaveEmptyData() {
        IncomingBatch batch = new IncomingBatch(0, 40, 3, ByteBuffer.allocate(0), new int[4], new long[3], new long[3],
                new long[3], null, null);
        ByteBuf frame = Unpooled.buffer();
        new ReadAnswer(77, batch).encode(frame);
        frame.writeInt(3);
        ByteBuf in = pieces(frame, new Random(1));
        ReadAnswer a = ReadAnswer.decode(in, 0, "s");
        InlineData d = InlineData.decode(in, a.batch());
        in.release();
        try {
            for (long id = 40; id < 43; id++) {
                assertEquals(0, d.of(id).remaining(), "data of event " + id);
            }
        } finally {
            d.release();
        }
    }

    @Test
    void hostileInlineSectionsAreBadFrames() {
        SeededCases.forEachCase(BASE_SEED, "hostile READ_INLINE answer", CASES, r -> {
            IncomingBatch batch = batch(r, 1 + r.nextInt(10), 100);
            ByteBuf in = Unpooled.buffer();
            switch (r.nextInt(3)) {
                case 0: // more events than the batch holds, or a negative count
                    in.writeInt(r.nextBoolean() ? batch.count() + 1 + r.nextInt(1000) : -1 - r.nextInt(1000));
                    break;
                case 1: { // fewer bytes than the sizes announce
                    int k = 1 + r.nextInt(batch.count());
                    long need = 0;
                    for (int i = 0; i < k; i++) {
                        need += batch.dataSize(i);
                    }
                    in.writeInt(k).writeZero((int) Math.max(0, need - 1 - r.nextInt((int) need + 1)));
                    if (need == 0) {
                        return; // empty events: nothing to cut
                    }
                    break;
                }
                default: { // an event of 64 KiB or more, which never goes inline
                    IncomingBatch big = new IncomingBatch(0, 5, 1, ByteBuffer.allocate(0), new int[2], new long[1],
                            new long[] {Protocol.INLINE_EVENT_LIMIT + r.nextInt(1000)}, new long[1], null, null);
                    in.writeInt(1).writeZero((int) big.dataSize(0));
                    assertThrows(Protocol.BadFrameException.class, () -> InlineData.decode(in, big));
                    return;
                }
            }
            assertThrows(Protocol.BadFrameException.class, () -> InlineData.decode(in, batch));
        });
    }

    @Test
    void readInlineRequestsRefuseOutOfRangeBounds() {
        for (long[] bad : new long[][] {{-1, 1, 1, 0}, {0, 0, 1, 0}, {0, Protocol.MAX_COUNT + 1, 1, 0}, {0, 1, 0, 0},
                {0, 1, 1, -1}}) {
            ByteBuf b = Unpooled.buffer().writeInt(1).writeInt(0).writeLong(bad[0]).writeInt((int) bad[1])
                    .writeLong(bad[2]).writeInt((int) bad[3]);
            assertThrows(Protocol.BadFrameException.class, () -> Request.decode(Protocol.READ_INLINE, b),
                    java.util.Arrays.toString(bad));
        }
        PartitionRequests.ReadInline ok = new PartitionRequests.ReadInline(1, 2, 3, 4, 5, 0);
        ByteBuf encoded = ok.encode(io.netty.buffer.UnpooledByteBufAllocator.DEFAULT);
        try {
            assertEquals(ok, Request.decode(Protocol.READ_INLINE, encoded));
        } finally {
            encoded.release();
        }
    }

    /** A batch of {@code n} events of up to {@code maxData} bytes each, with a little metadata. */
    private static IncomingBatch batch(Random r, int n, int maxData) {
        int[] offsets = new int[n + 1];
        long[] sizes = new long[n];
        for (int i = 0; i < n; i++) {
            offsets[i + 1] = offsets[i] + r.nextInt(10);
            sizes[i] = r.nextInt(maxData + 1);
        }
        byte[] md = new byte[offsets[n]];
        r.nextBytes(md);
        return new IncomingBatch(0, r.nextLong() >>> 2, n, ByteBuffer.wrap(md), offsets, new long[n], sizes,
                new long[n], null, null);
    }

    /** {@code frame}'s bytes in a composite buffer of several pieces, as a frame may arrive. */
    private static ByteBuf pieces(ByteBuf frame, Random r) {
        io.netty.buffer.CompositeByteBuf c = Unpooled.compositeBuffer();
        while (frame.isReadable()) {
            int n = Math.min(frame.readableBytes(), 1 + r.nextInt(64));
            c.addComponent(true, frame.readRetainedSlice(n));
        }
        frame.release();
        return c;
    }
}
