package dev.diaspora.stream.kafka;

import java.nio.ByteBuffer;
import java.util.Arrays;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeader;

/**
 * The mark that names the incarnation of a topic (its Kafka topic id) a record was pushed to, so that readers of a
 * topic re-created under the name skip records sent through a handle of the deleted one (Kafka addresses topics by
 * name, so such a send can land in the new topic before the driver notices; its push fails).
 *
 * <p>The mark is 8 bytes: the topic id's two 64-bit halves XORed, big-endian. Where a record carries it:
 *
 * <pre>
 * INLINE framing   in the value: [0xD1][mark][unmarked inline value]  ({@link RecordFraming}; no header, 9 bytes)
 * HEADER framing   header "di" = [mark]                                (12 bytes: Kafka encodes key and value lengths)
 * also read        header "di" on INLINE records, as drivers wrote it from 2026-12-06 until the mark moved into the
 *                  value; header "diaspora.topic_id" = 16 bytes, the topic id, as drivers wrote it before
 * </pre>
 *
 * Moving the mark into the INLINE value spares kafka-clients a header per record (encoding its key, copying the
 * header list) and 3 bytes. Two incarnations of one name share a mark with probability 2<sup>-64</sup> (Kafka's
 * topic ids are random UUIDs); a record of the other incarnation is then read, nothing else changes. A record with no
 * mark (written by another client) is not foreign.
 *
 * <p>Thread safety: immutable; {@link #header()} is shared by every HEADER-framed record and never modified (a
 * {@code ProducerRecord} copies the list, not the header).
 */
final class IncarnationMark {
    /** The header key of the mark (HEADER framing; INLINE records of earlier drivers). */
    static final String KEY = "di";
    /** The header key written before {@link #KEY}: still read, never written. */
    static final String LEGACY_KEY = "diaspora.topic_id";
    /** The size of the mark, bytes. */
    static final int SIZE = 8;

    private final long mark;
    private final byte[] fingerprint;
    private final byte[] legacy;
    private final Header header;

    private IncarnationMark(Uuid id) {
        long hi = id.getMostSignificantBits();
        long lo = id.getLeastSignificantBits();
        this.mark = hi ^ lo;
        this.fingerprint = bigEndian(new byte[SIZE], 0, mark);
        this.legacy = bigEndian(bigEndian(new byte[16], 0, hi), 8, lo);
        this.header = new RecordHeader(KEY, fingerprint);
    }

    /** @return the mark of incarnation {@code id}, or null if Kafka gave none (null or the zero id): nothing marked */
    static IncarnationMark of(Uuid id) {
        return id == null || Uuid.ZERO_UUID.equals(id) ? null : new IncarnationMark(id);
    }

    private static byte[] bigEndian(byte[] b, int at, long v) {
        for (int i = 7; i >= 0; i--) {
            b[at + i] = (byte) v;
            v >>>= 8;
        }
        return b;
    }

    /** @return the header that marks a HEADER-framed record (shared: never modify it) */
    Header header() {
        return header;
    }

    /** Writes the mark into {@code b} at {@code at} (8 bytes, big-endian). */
    void writeTo(byte[] b, int at) {
        bigEndian(b, at, mark);
    }

    /** @return the mark's bytes (a copy), for tests */
    byte[] fingerprint() {
        return fingerprint.clone();
    }

    /** @return the legacy header value of this incarnation (a copy), for tests */
    byte[] legacyValue() {
        return legacy.clone();
    }

    /**
     * @return true if {@code r} names another incarnation, that is, it was pushed through a handle of a topic of the
     *     name that was deleted since: by the mark in its value (a marked INLINE record), else by its {@code di}
     *     header, else by its {@code diaspora.topic_id} header
     */
    boolean foreign(ConsumerRecord<?, ByteBuffer> r, RecordFraming framing) {
        ByteBuffer v = r.value();
        if (framing == RecordFraming.INLINE && RecordFraming.marked(v)) {
            return v.getLong(v.position() + 1) != mark; // big-endian, as written
        }
        Headers hs = r.headers();
        Header h = hs.lastHeader(KEY);
        if (h != null) {
            return !Arrays.equals(h.value(), fingerprint);
        }
        h = hs.lastHeader(LEGACY_KEY);
        return h != null && !Arrays.equals(h.value(), legacy);
    }
}
