package dev.diaspora.stream.netty;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.CorruptDataException;
import dev.diaspora.stream.DataDescriptor;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.netty.protocol.Protocol;
import dev.diaspora.stream.spi.DataRequest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/**
 * The client's decoding of READ_DATA answers ({@link ReadDataCodec#fill}, PROTOCOL.md "READ_DATA"): seeded answers
 * mixing selected data, blocks (whole events in one span, or selections in several spans) and errors, arriving in
 * one piece or several. Every request gets exactly its selected bytes, a request with a damaged block fails with
 * {@link CorruptDataException} naming it, and the requests after it in the same answer still get their own bytes.
 */
class ReadDataCodecTest {
    private static final long BASE_SEED = Long.getLong("tck.seed", 0xDA7AB10CL);
    private static final int[] BLOCKS = {4096, 65536, 1000};
    /** A request the server answers with an error. */
    private static final int ERROR = Protocol.E_GENERIC;

    /** One request of an answer being built: its event, selection, how it is answered, and what it must get. */
    private static final class Case {
        byte[] event;
        DataDescriptor selection;
        int kind;
        boolean corrupt;
        DataRequest request;
    }

    @Test
    void everyRequestGetsItsBytesOrItsError() {
        SeededCases.forEachCase(BASE_SEED, "READ_DATA answer", 150, r -> {
            int n = 1 + r.nextInt(6);
            List<Case> cases = new ArrayList<>();
            ByteBuf statuses = Unpooled.buffer();
            ByteBuf data = Unpooled.buffer();
            for (int i = 0; i < n; i++) {
                Case c = new Case();
                c.event = new byte[r.nextInt(4) == 0 ? r.nextInt(100) : r.nextInt(300_000)];
                r.nextBytes(c.event);
                c.selection = select(r, DataDescriptor.of(i, c.event.length));
                c.kind = r.nextInt(5) == 0 ? ERROR : r.nextInt(3) == 0 ? Protocol.DATA_SELECTED : Protocol.DATA_BLOCKS;
                c.request = new DataRequest(0, i, c.selection, DataView.of(new byte[(int) c.selection.size()]));
                encode(r, c, statuses, data);
                cases.add(c);
            }
            ByteBuf answer = Unpooled.wrappedBuffer(statuses, data);
            ByteBuf in = r.nextBoolean() ? answer : pieces(answer, r);
            try {
                ReadDataCodec.fill("test-server", requests(cases), in);
                assertEquals(0, in.readableBytes(), "the whole answer is read");
            } finally {
                in.release();
            }
            for (Case c : cases) {
                String what = "request " + c.request.eventId() + " (kind " + c.kind + ", corrupt " + c.corrupt + ")";
                if (c.kind == ERROR) {
                    assertEquals("no such event (from server test-server)", c.request.error().getMessage(), what);
                } else if (c.corrupt) {
                    assertInstanceOf(CorruptDataException.class, c.request.error(), what);
                    assertTrue(c.request.error().getMessage().contains("fails its checksum"), what);
                } else {
                    assertNull(c.request.error(), what);
                    assertArrayEquals(ZeroCopyDataTest.selected(c.selection, c.event),
                            c.request.target().toByteArray(), what);
                }
            }
        });
    }

    @Test
    void anAnswerShortOfItsChecksumsOrWithABadSpanIsABadFrame() {
        long[][] spans = {{0, 8}, {0, -1}, {0, Long.MAX_VALUE}};
        int[] blockSizes = {1, 4096, 4096}; // case 0: 8 blocks of 1 byte, 8 checksums, the frame has 8 bytes left
        int[] crcsSent = {2, 2, 2};
        String[] named = {"READ_DATA block checksums", "span of -1 bytes", "span of " + Long.MAX_VALUE + " bytes"};
        for (int c = 0; c < spans.length; c++) {
            ByteBuf a = Unpooled.buffer();
            a.writeByte(Protocol.DATA_BLOCKS).writeInt(blockSizes[c]).writeInt(1);
            a.writeLong(spans[c][0]).writeLong(spans[c][1]);
            for (int k = 0; k < crcsSent[c]; k++) {
                a.writeInt(k);
            }
            List<DataRequest> one = List.of(new DataRequest(0, 0, DataDescriptor.of(0, 8192),
                    DataView.of(new byte[8192])));
            try {
                Protocol.BadFrameException e = assertThrows(Protocol.BadFrameException.class,
                        () -> ReadDataCodec.fill("s", one, a), "case " + c);
                assertTrue(e.getMessage().contains(named[c]), e.getMessage());
            } finally {
                a.release();
            }
        }
    }

    @Test
    void anAnswerShortOfTheDataItsStatusesAnnounceIsABadFrame() {
        for (byte kind : new byte[] {Protocol.DATA_SELECTED, Protocol.DATA_BLOCKS}) {
            ByteBuf a = Unpooled.buffer();
            a.writeByte(kind);
            if (kind == Protocol.DATA_BLOCKS) {
                a.writeInt(4096).writeInt(1).writeLong(0).writeLong(100).writeInt(0);
            }
            a.writeZero(99); // one byte short of the event's 100
            List<DataRequest> one = List.of(new DataRequest(0, 0, DataDescriptor.of(0, 100),
                    DataView.of(new byte[100])));
            try {
                Protocol.BadFrameException e = assertThrows(Protocol.BadFrameException.class,
                        () -> ReadDataCodec.fill("s", one, a), "status " + kind);
                assertTrue(e.getMessage().contains("READ_DATA data"), e.getMessage());
            } finally {
                a.release();
            }
        }
    }

    private static List<DataRequest> requests(List<Case> cases) {
        List<DataRequest> out = new ArrayList<>();
        for (Case c : cases) {
            out.add(c.request);
        }
        return out;
    }

    /** The whole event half of the time, else a sub-view or a strided view of it. */
    private static DataDescriptor select(Random r, DataDescriptor d) {
        long size = d.size();
        switch (r.nextInt(4)) {
            case 0:
                return size < 2 ? d : d.makeSubView(r.nextInt((int) size), 1 + r.nextInt((int) size));
            case 1:
                return d.makeStridedView(r.nextInt(100), 1 + r.nextInt(20), 1 + r.nextInt(5000), r.nextInt(9000));
            default:
                return d;
        }
    }

    /** Appends {@code c}'s status to {@code statuses} and its data part to {@code data}, as a version 4 server. */
    private static void encode(Random r, Case c, ByteBuf statuses, ByteBuf data) {
        if (c.kind == ERROR) {
            statuses.writeByte(ERROR);
            byte[] m = "no such event".getBytes(StandardCharsets.UTF_8);
            statuses.writeShort(m.length).writeBytes(m);
            return;
        }
        statuses.writeByte(c.kind);
        if (c.kind == Protocol.DATA_SELECTED) {
            data.writeBytes(ZeroCopyDataTest.selected(c.selection, c.event));
            return;
        }
        int bs = BLOCKS[r.nextInt(BLOCKS.length)];
        int len = c.event.length;
        // the whole event as one span, or two spans cut at a block boundary that no selected range crosses (a
        // server's spans are its selected ranges widened to whole blocks)
        List<Integer> cuts = new ArrayList<>();
        for (int b = bs; b < len; b += bs) {
            int at = b;
            boolean[] crossed = {false};
            c.selection.flatten((off, size) -> crossed[0] |= off < at && at < off + size);
            if (!crossed[0]) {
                cuts.add(at);
            }
        }
        int cut = !cuts.isEmpty() && r.nextBoolean() ? cuts.get(r.nextInt(cuts.size())) : len;
        long[][] spans = cut == len ? new long[][] {{0, len}} : new long[][] {{0, cut}, {cut, len - cut}};
        byte[] sent = c.event.clone();
        if (len > 0 && r.nextInt(4) == 0) {
            c.corrupt = true;
            sent[r.nextInt(len)] ^= 0x5A;
        }
        statuses.writeInt(bs).writeInt(spans.length);
        CRC32C crc = new CRC32C();
        for (long[] s : spans) {
            statuses.writeLong(s[0]).writeLong(s[1]);
            for (long b = s[0]; b < s[0] + s[1]; b += bs) {
                crc.reset();
                crc.update(c.event, (int) b, (int) Math.min(bs, s[0] + s[1] - b)); // the stored checksum
                statuses.writeInt((int) crc.getValue());
            }
            data.writeBytes(sent, (int) s[0], (int) s[1]);
        }
    }

    /** {@code frame}'s bytes in a composite buffer of pieces of up to 70,000 bytes, as a frame may arrive. */
    private static ByteBuf pieces(ByteBuf frame, Random r) {
        CompositeByteBuf c = Unpooled.compositeBuffer(Integer.MAX_VALUE);
        while (frame.isReadable()) {
            int n = Math.min(frame.readableBytes(), 1 + r.nextInt(70_000));
            c.addComponent(true, frame.readRetainedSlice(n));
        }
        frame.release();
        return c;
    }
}
