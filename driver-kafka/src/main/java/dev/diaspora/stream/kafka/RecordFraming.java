package dev.diaspora.stream.kafka;

import dev.diaspora.stream.DataView;
import dev.diaspora.stream.EventTooLargeException;
import dev.diaspora.stream.InvalidOptionException;
import java.nio.ByteBuffer;
import java.util.Locale;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * How an event is laid out in a Kafka record. A topic's framing is chosen when it is created and stored with it in
 * {@code __diaspora_topics}, so readers decode what writers wrote whatever their own options say.
 *
 * <pre>
 * INLINE  value = [u32 big-endian metadata length][metadata][data]            no headers
 * HEADER  value = [data]                                                      header "md" = [metadata]
 * </pre>
 *
 * A record that does not fit its topic's framing (INLINE: value shorter than 4 bytes or a length larger than the value;
 * HEADER: no "md" header) is read as metadata {@code {}} with the whole value as data, so foreign records are readable.
 *
 * <p>Thread safety: immutable.
 */
enum RecordFraming {
    /** Metadata and data in the record value (one copy of the data into the framed value). */
    INLINE,
    /** Data is the record value (the caller's array is sent as is when it is one whole array), metadata a header. */
    HEADER;

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
     * during {@code send}).
     *
     * @param marks headers every record of the topic carries (shared, never modified: the record copies the list, not
     *     the headers), or null
     */
    ProducerRecord<byte[], byte[]> record(String topic, int partition, ByteBuffer metadata, DataView data,
            RecordHeaders marks) {
        if (this == INLINE) {
            return new ProducerRecord<>(topic, partition, (byte[]) null, inline(metadata, data), marks);
        }
        byte[] md = new byte[metadata.remaining()];
        metadata.get(metadata.position(), md);
        RecordHeaders h = new RecordHeaders(marks);
        h.add(new RecordHeader(METADATA_HEADER, md));
        return new ProducerRecord<>(topic, partition, (byte[]) null, wholeArray(data), h);
    }

    private static byte[] inline(ByteBuffer metadata, DataView data) {
        int md = metadata.remaining();
        long total = 4L + md + data.size();
        if (total > Integer.MAX_VALUE - 8) {
            throw new EventTooLargeException("event of " + (md + data.size()) + " bytes exceeds the kafka driver's"
                    + " limit");
        }
        byte[] v = new byte[(int) total];
        v[0] = (byte) (md >>> 24);
        v[1] = (byte) (md >>> 16);
        v[2] = (byte) (md >>> 8);
        v[3] = (byte) md;
        metadata.get(metadata.position(), v, 4, md); // absolute: no view of the buffer
        if (data.size() > 0) {
            data.read(0, v, 4 + md, (int) data.size());
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
        int len = inlineMetadataLength(v);
        if (len < 0) {
            return NO_METADATA;
        }
        byte[] md = new byte[len];
        v.duplicate().position(v.position() + 4).get(md);
        return md;
    }

    /** @return the record's data: a view of the record value (not a copy) */
    ByteBuffer data(ConsumerRecord<byte[], ByteBuffer> r) {
        ByteBuffer v = r.value();
        if (v == null) {
            return ByteBuffer.allocate(0);
        }
        int skip = 0;
        if (this == INLINE) {
            int len = inlineMetadataLength(v);
            skip = len < 0 ? 0 : 4 + len;
        }
        return v.duplicate().position(v.position() + skip).slice();
    }

    /** @return the INLINE metadata length of {@code v}'s [position, limit), or -1 if it is not in that framing */
    static int inlineMetadataLength(ByteBuffer v) {
        if (v == null || v.remaining() < 4) {
            return -1;
        }
        int len = v.getInt(v.position()); // big-endian
        return len < 0 || len > v.remaining() - 4 ? -1 : len;
    }
}
