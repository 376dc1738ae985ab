package dev.diaspora.stream.netty;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.diaspora.stream.DataView;
import dev.diaspora.stream.netty.protocol.AppendRequest;
import dev.diaspora.stream.netty.protocol.Protocol;
import dev.diaspora.stream.spi.OutgoingBatch;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Seeded round-trip properties of the APPEND codec ({@link AppendRequest}): whatever the batch (sizes, segments,
 * timestamps, the range of events of a split part, the "more" flag), what the client encodes the server decodes to
 * the same fields and bytes; a truncated or extended frame, or unknown flags, is refused, never misread. Replay a
 * failure with {@code -Dtck.seed=<base seed>}.
 */
class AppendRequestCodecTest {
    private static final long BASE_SEED = Long.getLong("tck.seed", 0xA99E_4DL);
    private static final int CASES = 300;

    @Test
    void shouldDecodeWhatItEncodes() {
        forEachCase("round trip", r -> {
            Case c = Case.random(r);
            ByteBuf frame = c.encode();
            try {
                AppendRequest d = AppendRequest.decode(frame);
                assertEquals(c.handle, d.handle);
                assertEquals(c.key, d.appenderKey);
                assertEquals(c.partition, d.partition);
                assertEquals(c.to - c.from, d.count);
                assertEquals(c.batch.producerId(), d.producerId);
                assertEquals(c.batch.sequence(), d.sequence);
                assertEquals(c.batch.hasTimestamps(), d.timestamps);
                assertEquals(c.more, d.more);
                for (int i = 0; i < d.count; i++) {
                    int e = c.from + i;
                    byte[] md = new byte[c.batch.metadataSize(e)];
                    c.batch.metadata(e).get(md);
                    byte[] got = new byte[d.offsets[i + 1] - d.offsets[i]];
                    System.arraycopy(d.metadata, d.offsets[i], got, 0, got.length);
                    assertArrayEquals(md, got, "metadata of event " + e);
                    assertArrayEquals(c.batch.data(e).toByteArray(), d.data[i].toByteArray(), "data of event " + e);
                    if (d.timestamps) {
                        assertEquals(c.batch.timestampNanos(e), d.timestampsNanos[i], "timestamp of event " + e);
                    }
                }
                assertEquals(0, frame.readableBytes(), "the whole frame is consumed");
            } finally {
                frame.release();
            }
        });
    }

    @Test
    void shouldRefuseTruncatedOrExtendedFramesAndUnknownFlags() {
        forEachCase("mutations", r -> {
            Case c = Case.random(r);
            ByteBuf frame = c.encode();
            ByteBuf mutated;
            int kind = r.nextInt(3);
            if (kind == 0 && frame.readableBytes() > 1) { // truncated
                mutated = frame.retainedSlice(0, 1 + r.nextInt(frame.readableBytes() - 1));
            } else if (kind == 1) { // trailing bytes
                mutated = Unpooled.wrappedBuffer(frame.retainedDuplicate(), Unpooled.wrappedBuffer(new byte[1 + r
                        .nextInt(8)]));
            } else { // an unknown flag bit
                mutated = Unpooled.copiedBuffer(frame);
                int flags = mutated.getUnsignedByte(AppendRequest.HEAD - 1);
                mutated.setByte(AppendRequest.HEAD - 1, flags | (4 << r.nextInt(6)));
            }
            try {
                AppendRequest.decode(mutated);
                fail("decoded a mutated frame (" + kind + ")");
            } catch (Protocol.BadFrameException | IndexOutOfBoundsException e) {
                // refused as a bad frame: the server closes the connection
            } finally {
                mutated.release();
                frame.release();
            }
        });
    }

    /** One random APPEND part: a batch and the range of its events the part carries. */
    private static final class Case {
        OutgoingBatch batch;
        int from;
        int to;
        boolean more;
        int handle;
        int key;
        int partition;

        static Case random(Random r) {
            Case c = new Case();
            int n = 1 + r.nextInt(40);
            int[] offsets = new int[n + 1];
            for (int i = 0; i < n; i++) {
                offsets[i + 1] = offsets[i] + r.nextInt(65);
            }
            byte[] md = new byte[offsets[n] + r.nextInt(10)]; // may be longer than the metadata
            r.nextBytes(md);
            DataView[] data = new DataView[n];
            for (int i = 0; i < n; i++) {
                List<ByteBuffer> segs = new ArrayList<>();
                for (int k = r.nextInt(4); k > 0; k--) {
                    byte[] b = new byte[r.nextInt(3000)];
                    r.nextBytes(b);
                    ByteBuffer seg = r.nextBoolean() ? ByteBuffer.allocateDirect(b.length) : ByteBuffer.allocate(
                            b.length);
                    seg.put(b).flip();
                    segs.add(seg);
                }
                data[i] = segs.isEmpty() ? DataView.EMPTY : DataView.of(segs);
            }
            long[] ts = null;
            if (r.nextBoolean()) {
                ts = new long[n];
                for (int i = 0; i < n; i++) {
                    ts[i] = r.nextLong();
                }
            }
            c.batch = new OutgoingBatch(n, md, offsets, data, ts, r.nextLong(), r.nextLong());
            c.from = r.nextInt(n);
            c.to = c.from + 1 + r.nextInt(n - c.from);
            c.more = r.nextBoolean();
            c.handle = r.nextInt();
            c.key = r.nextInt();
            c.partition = r.nextInt();
            return c;
        }

        /** @return the encoded payload as one buffer, as the server's frame decoder hands it over */
        ByteBuf encode() {
            List<ByteBuf> parts = AppendRequest.encode(ByteBufAllocator.DEFAULT, handle, key, partition, batch, from,
                    to, more);
            CompositeByteBuf frame = Unpooled.compositeBuffer(parts.size());
            frame.addComponents(true, parts);
            return frame;
        }
    }

    private static void forEachCase(String property, SeededCases.CaseBody body) {
        SeededCases.forEachCase(BASE_SEED, property, CASES, body);
    }
}
