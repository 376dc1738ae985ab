package dev.diaspora.stream.kafka;

import dev.diaspora.stream.DataView;
import dev.diaspora.stream.EventTooLargeException;
import dev.diaspora.stream.InvalidOptionException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Locale;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;

/**
 * How an event is laid out in a Kafka record. A topic's framing is chosen when it is created and stored with it in
 * {@code __diaspora_topics}, so readers decode what writers wrote whatever their own options say.
 *
 * <pre>
 * INLINE  value = [0xD1][8-byte incarnation mark][u32 big-endian metadata length][metadata][data]     no headers
 *         value = [u32 big-endian metadata length][metadata][data]    unmarked: no topic id, or written before
 *                                                                      2026-12-06 (with a header "di" then)
 * HEADER  value = [data]                                               headers "di" = [mark], "md" = [metadata]
 * </pre>
 *
 * The first byte tells the two INLINE forms apart: an unmarked value starts with a length below 2<sup>31</sup>, so with
 * a byte below 0x80, and {@link #MARKED} is above. Drivers before the marked form read a marked value as a record that
 * does not fit the framing (a negative length). A record that does not fit its topic's framing (INLINE: shorter than
 * its prefix or a length larger than the value; HEADER: no "md" header) is read as metadata {@code {}} with the whole
 * value as data, so foreign records are readable.
 *
 * <p>Thread safety: immutable.
 */
enum RecordFraming {
    /** Metadata and data in the record value (one copy of the data into the framed value). */
    INLINE,
    /** Data is the record value (the caller's array is sent as is when it is one whole array), metadata a header. */
    HEADER;

    /** The first byte of a marked INLINE value (format 1): an incarnation mark follows, then an unmarked value. */
    static final byte MARKED = (byte) 0xD1;
    /** The bytes before the unmarked INLINE value in a marked one: {@link #MARKED} and the 8-byte mark. */
    static final int MARK_PREFIX = 1 + IncarnationMark.SIZE;
    /** The record header that holds the metadata in {@link #HEADER} framing. */
    static final String METADATA_HEADER = "md";
    private static final byte[] NO_METADATA = {'{', '}'};

    /** @return the option value of this framing */
    String optionValue() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** @return the framing named by {@code value} (an option value) */
    static RecordFraming of(String value, String where) {
        for (RecordFraming f : values()) {
            if (f.optionValue().equals(value)) {
                return f;
            }
        }
        throw new InvalidOptionException("Invalid value '" + value + "' for option 'framing' " + where
                + ": expected 'inline' or 'header'");
    }

    /**
     * Builds the record of one event. Copies {@code metadata}; in HEADER framing the data's array is referenced, not
     * copied, when {@code data} is one heap segment covering its whole array (kafka-clients copies it into its batch
     * during {@code send}). An INLINE record carries no header: the mark is in its value.
     *
     * @param mark the incarnation the record is sent to, or null (Kafka gave no topic id: the record is not marked)
     */
    ProducerRecord<byte[], byte[]> record(String topic, int partition, ByteBuffer metadata, DataView data,
            IncarnationMark mark) {
        if (this == INLINE) {
            return new ProducerRecord<>(topic, partition, (byte[]) null, inline(metadata, data, mark));
        }
        byte[] md = new byte[metadata.remaining()];
        metadata.get(metadata.position(), md);
        Header mh = new RecordHeader(METADATA_HEADER, md);
        List<Header> h = mark == null ? List.of(mh) : List.of(mark.header(), mh); // the record copies the list
        return new ProducerRecord<>(topic, partition, (byte[]) null, wholeArray(data), h);
    }

    private static byte[] inline(ByteBuffer metadata, DataView data, IncarnationMark mark) {
        int md = metadata.remaining();
        int at = mark == null ? 0 : MARK_PREFIX;
        long total = at + 4L + md + data.size();
        if (total > Integer.MAX_VALUE - 8) {
            throw new EventTooLargeException("event of " + (md + data.size()) + " bytes exceeds the kafka driver's"
                    + " limit");
        }
        byte[] v = new byte[(int) total];
        if (mark != null) {
            v[0] = MARKED;
            mark.writeTo(v, 1);
        }
        v[at] = (byte) (md >>> 24);
        v[at + 1] = (byte) (md >>> 16);
        v[at + 2] = (byte) (md >>> 8);
        v[at + 3] = (byte) md;
        metadata.get(metadata.position(), v, at + 4, md); // absolute: no view of the buffer
        if (data.size() > 0) {
            data.read(0, v, at + 4 + md, (int) data.size());
        }
        return v;
    }

    /** @return the data as one array: the caller's own when it is a whole heap array, else a copy */
    private static byte[] wholeArray(DataView data) {
        if (data.segmentCount() == 1) {
            ByteBuffer b = data.segment(0);
            if (b.hasArray() && b.arrayOffset() == 0 && b.position() == 0 && b.remaining() == b.array().length) {
                return b.array();
            }
        }
        if (data.size() > Integer.MAX_VALUE - 8) {
            throw new EventTooLargeException("event data of " + data.size() + " bytes exceeds the kafka driver's"
                    + " limit");
        }
        return data.toByteArray();
    }

    /** @return the number of value bytes, for batch sizing */
    static int valueSize(ConsumerRecord<byte[], ByteBuffer> r) {
        return r.value() == null ? 0 : r.value().remaining();
    }

    /** @return the record's metadata bytes (a new array, or a shared {@code {}} that must not be modified) */
    byte[] metadata(ConsumerRecord<byte[], ByteBuffer> r) {
        if (this == HEADER) {
            Header h = r.headers().lastHeader(METADATA_HEADER);
            return h == null || h.value() == null ? NO_METADATA : h.value();
        }
        ByteBuffer v = r.value();
        int at = inlineStart(v);
        if (at < 0) {
            return NO_METADATA;
        }
        byte[] md = new byte[v.getInt(at)];
        v.get(at + 4, md); // absolute: no view of the buffer
        return md;
    }

    /** @return the record's data: a view of the record value (not a copy) */
    ByteBuffer data(ConsumerRecord<byte[], ByteBuffer> r) {
        ByteBuffer v = r.value();
        if (v == null) {
            return ByteBuffer.allocate(0);
        }
        int from = v.position();
        if (this == INLINE) {
            int at = inlineStart(v);
            from = at < 0 ? from : at + 4 + v.getInt(at);
        }
        return v.slice(from, v.limit() - from);
    }

    /**
     * @return the index in {@code v} of the unmarked INLINE value it holds ({@code [u32 length][metadata][data]}): its
     *     position, or the position + {@link #MARK_PREFIX} for a marked value; -1 if {@code v}'s [position, limit) is
     *     in neither form
     */
    static int inlineStart(ByteBuffer v) {
        if (v == null) {
            return -1;
        }
        int at = v.position();
        if (v.remaining() >= MARK_PREFIX + 4 && v.get(at) == MARKED) {
            at += MARK_PREFIX;
        }
        if (v.limit() - at < 4) {
            return -1;
        }
        int len = v.getInt(at); // big-endian
        return len < 0 || len > v.limit() - at - 4 ? -1 : at;
    }

    /**
     * @return true if {@code v} is a marked INLINE value (format 1), whose mark is the 8 bytes after its first; false
     *     for any other value, including one of another framing
     */
    static boolean marked(ByteBuffer v) {
        return v != null && inlineStart(v) == v.position() + MARK_PREFIX;
    }
}
