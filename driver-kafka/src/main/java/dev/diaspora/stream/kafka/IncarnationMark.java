package dev.diaspora.stream.kafka;

import java.util.Arrays;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * The record header that names the incarnation of a topic (its Kafka topic id) a record was pushed to, so that
 * readers of a topic re-created under the name skip records sent through a handle of the deleted one (Kafka addresses
 * topics by name, so such a send can land in the new topic before the driver notices; its push fails).
 *
 * <pre>
 * written    key "di"                 value = 8 bytes: the topic id's two 64-bit halves XORed, big-endian
 * also read  key "diaspora.topic_id"  value = 16 bytes: the topic id (what drivers wrote before the short key)
 * </pre>
 *
 * The short form costs 12 bytes of a record where the old one cost 35 (Kafka's record encoding: key length, key,
 * value length, value). Two incarnations of one name share a fingerprint with probability 2<sup>-64</sup> (Kafka's
 * topic ids are random UUIDs); a record of the other incarnation is then read, nothing else changes. A record with
 * neither header (written by another client) is not foreign.
 *
 * <p>Thread safety: immutable; {@link #headers()} is shared by every record and never modified (a
 * {@code ProducerRecord} copies the list, not the header).
 */
final class IncarnationMark {
    /** The header key the driver writes. */
    static final String KEY = "di";
    /** The header key written before {@link #KEY}: still read, never written. */
    static final String LEGACY_KEY = "diaspora.topic_id";

    private final byte[] fingerprint;
    private final byte[] legacy;
    private final RecordHeaders headers;

    private IncarnationMark(Uuid id) {
        long hi = id.getMostSignificantBits();
        long lo = id.getLeastSignificantBits();
        this.fingerprint = bigEndian(new byte[8], 0, hi ^ lo);
        this.legacy = bigEndian(bigEndian(new byte[16], 0, hi), 8, lo);
        this.headers = new RecordHeaders(new Header[] {new RecordHeader(KEY, fingerprint)});
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

    /** @return the headers every record of the incarnation carries (shared: never modify them) */
    RecordHeaders headers() {
        return headers;
    }

    /** @return the header value the driver writes (a copy), for tests */
    byte[] fingerprint() {
        return fingerprint.clone();
    }

    /** @return the legacy header value of this incarnation (a copy), for tests */
    byte[] legacyValue() {
        return legacy.clone();
    }

    /**
     * @return true if {@code r} names another incarnation in either header, that is, it was pushed through a handle of
     *     a topic of the name that was deleted since
     */
    boolean foreign(ConsumerRecord<?, ?> r) {
        Headers hs = r.headers();
        Header h = hs.lastHeader(KEY);
        if (h != null) {
            return !Arrays.equals(h.value(), fingerprint);
        }
        h = hs.lastHeader(LEGACY_KEY);
        return h != null && !Arrays.equals(h.value(), legacy);
    }
}
