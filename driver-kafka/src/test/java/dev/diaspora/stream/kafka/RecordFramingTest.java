package dev.diaspora.stream.kafka;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.DataView;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.SplittableRandom;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

/**
 * The record layouts of {@link RecordFraming} and the incarnation mark they carry, without a broker: what the producer
 * builds is decoded back by the reader, the marked INLINE value is laid out byte for byte as documented, and values of
 * the unmarked and foreign forms decode as before. Seeded (the seed is printed; replay with -Dkafka.seed=...).
 */
class RecordFramingTest {
    private static final long SEED = Long.getLong("kafka.seed", System.nanoTime());

    static {
        System.out.println("RecordFramingTest seed " + SEED + " (replay with -Dkafka.seed=" + SEED + ")");
    }

    private static final IncarnationMark HERE = IncarnationMark.of(new Uuid(0x0102030405060708L, 0x1112131415161718L));
    private static final IncarnationMark OTHER = IncarnationMark.of(new Uuid(0x0102030405060708L, 0x1112131415161719L));

    /** @return {@code value} as a fetch would hand it: a view at a random offset of a larger buffer */
    private static ByteBuffer asFetched(byte[] value, SplittableRandom r) {
        int before = r.nextInt(16);
        ByteBuffer big = ByteBuffer.allocate(before + value.length + r.nextInt(16));
        big.position(before).put(value).flip().position(before);
        return big.slice(before, value.length);
    }

    private static ConsumerRecord<byte[], ByteBuffer> consumed(ProducerRecord<byte[], byte[]> sent,
            SplittableRandom r) {
        return consumed(sent.value(), sent.headers().toArray(), r);
    }

    private static ConsumerRecord<byte[], ByteBuffer> consumed(byte[] value, Header[] headers, SplittableRandom r) {
        return new ConsumerRecord<>("t", 0, 7L, 0L, TimestampType.LOG_APPEND_TIME, -1, value.length, null,
                asFetched(value, r), new RecordHeaders(headers), Optional.empty());
    }

    private static byte[] bytes(SplittableRandom r, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) r.nextInt(256);
        }
        return b;
    }

    @Test
    void whatIsSentDecodesBackInBothFramingsMarkedOrNot() {
        SplittableRandom r = new SplittableRandom(SEED);
        for (int i = 0; i < 2_000; i++) {
            String why = "case " + i + " (seed " + SEED + ")";
            RecordFraming framing = r.nextBoolean() ? RecordFraming.INLINE : RecordFraming.HEADER;
            IncarnationMark mark = r.nextInt(4) == 0 ? null : HERE;
            byte[] md = bytes(r, r.nextInt(3) == 0 ? 0 : r.nextInt(300));
            byte[] data = bytes(r, r.nextInt(3) == 0 ? 0 : r.nextInt(2_000));
            ProducerRecord<byte[], byte[]> sent = framing.record("t", 0, asFetched(md, r), DataView.of(data), mark);
            ConsumerRecord<byte[], ByteBuffer> got = consumed(sent, r);
            assertArrayEquals(md, framing.metadata(got), why);
            ByteBuffer d = framing.data(got);
            byte[] dd = new byte[d.remaining()];
            d.get(dd);
            assertArrayEquals(data, dd, why);
            assertFalse(mark != null && mark.foreign(got, framing), why + ": its own incarnation");
            assertEquals(mark != null, OTHER.foreign(got, framing), why + ": read through another incarnation");
            if (framing == RecordFraming.INLINE) {
                assertEquals(0, sent.headers().toArray().length, why + ": an inline record has no header");
                assertEquals(mark != null, RecordFraming.marked(got.value()), why);
            } else {
                assertEquals(mark == null ? 1 : 2, sent.headers().toArray().length, why);
                assertArrayEquals(data, sent.value(), why + ": a header-framed value is the data");
            }
        }
    }

    @Test
    void aMarkedInlineValueIsLaidOutAsDocumented() {
        byte[] md = "{\"i\":1}".getBytes(StandardCharsets.UTF_8);
        byte[] data = {9, 8, 7};
        byte[] v = RecordFraming.INLINE.record("t", 0, ByteBuffer.wrap(md), DataView.of(data), HERE).value();
        ByteBuffer expected = ByteBuffer.allocate(1 + 8 + 4 + md.length + data.length).put((byte) 0xD1)
                .putLong(0x0102030405060708L ^ 0x1112131415161718L).putInt(md.length).put(md).put(data);
        assertArrayEquals(expected.array(), v, "[0xD1][mark: the id's halves XORed][u32 length][metadata][data]");
        byte[] unmarked = RecordFraming.INLINE.record("t", 0, ByteBuffer.wrap(md), DataView.of(data), null).value();
        assertArrayEquals(ByteBuffer.allocate(4 + md.length + data.length).putInt(md.length).put(md).put(data)
                .array(), unmarked, "no topic id: the unmarked form");
        ProducerRecord<byte[], byte[]> h = RecordFraming.HEADER.record("t", 0, ByteBuffer.wrap(md), DataView.of(data),
                HERE);
        assertArrayEquals(data, h.value(), "header framing: the value is the data");
        assertArrayEquals(HERE.fingerprint(), h.headers().lastHeader(IncarnationMark.KEY).value());
        assertArrayEquals(md, h.headers().lastHeader(RecordFraming.METADATA_HEADER).value());
    }

    @Test
    void recordsOfEarlierDriversAndOfOtherClientsDecodeAsBefore() {
        SplittableRandom r = new SplittableRandom(SEED);
        byte[] md = "{\"i\":2}".getBytes(StandardCharsets.UTF_8);
        byte[] data = {1, 2, 3, 4};
        byte[] old = ByteBuffer.allocate(4 + md.length + data.length).putInt(md.length).put(md).put(data).array();
        Header here = new RecordHeader(IncarnationMark.KEY, HERE.fingerprint());
        Header other = new RecordHeader(IncarnationMark.KEY, OTHER.fingerprint());
        Header legacyHere = new RecordHeader(IncarnationMark.LEGACY_KEY, HERE.legacyValue());
        Header legacyOther = new RecordHeader(IncarnationMark.LEGACY_KEY, OTHER.legacyValue());
        RecordFraming in = RecordFraming.INLINE;
        for (Header[] hs : new Header[][] {{here}, {legacyHere}, {}, {other}, {legacyOther}, {other, legacyHere}}) {
            ConsumerRecord<byte[], ByteBuffer> c = consumed(old, hs, r);
            assertArrayEquals(md, in.metadata(c), "an unmarked value (seed " + SEED + ")");
            assertEquals(ByteBuffer.wrap(data), in.data(c));
            assertFalse(RecordFraming.marked(c.value()));
            boolean foreign = hs.length > 0 && hs[0] != here && hs[0] != legacyHere;
            assertEquals(foreign, HERE.foreign(c, in), "headers " + hs.length + ": the header decides");
        }
        // a foreign value that starts like a marked one but is too short for it, or whose length does not fit: {} and
        // the whole value, never foreign
        byte[][] foreignValues = {{(byte) 0xD1}, {(byte) 0xD1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
                ByteBuffer.allocate(20).put((byte) 0xD1).putLong(12_345L).putInt(100).array()};
        for (byte[] v : foreignValues) {
            ConsumerRecord<byte[], ByteBuffer> c = consumed(v, new Header[0], r);
            assertEquals("{}", new String(in.metadata(c), StandardCharsets.UTF_8));
            assertEquals(ByteBuffer.wrap(v), in.data(c));
            assertFalse(RecordFraming.marked(c.value()));
            assertFalse(HERE.foreign(c, in));
        }
        // header framing never looks into the value: a value that looks marked by another incarnation is data
        byte[] looksMarked = RecordFraming.INLINE.record("t", 0, ByteBuffer.wrap(md), DataView.of(data), OTHER)
                .value();
        ConsumerRecord<byte[], ByteBuffer> c = consumed(looksMarked, new Header[] {here,
                new RecordHeader(RecordFraming.METADATA_HEADER, md)}, r);
        assertFalse(HERE.foreign(c, RecordFraming.HEADER));
        assertEquals(ByteBuffer.wrap(looksMarked), RecordFraming.HEADER.data(c));
        assertNull(IncarnationMark.of(Uuid.ZERO_UUID));
        assertTrue(HERE.foreign(consumed(looksMarked, new Header[] {here}, r), RecordFraming.INLINE),
                "in a marked value the value's mark decides, not a header");
    }
}
