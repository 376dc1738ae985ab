package dev.diaspora.stream.rabbitmq;

import dev.diaspora.stream.DataView;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The body of every message the driver writes (the single AMQP 1.0 data section of a stream message), big-endian:
 *
 * <pre>
 *   magic   'D' 'S' (2)   version 1 (1)   kind (1)
 *   kind EVENT:  writer u64, sequence u64, metadata length u32, metadata, data (the rest)
 *   kind HEADER, TOPIC, CONSUMER, CATALOG: a UTF-8 JSON text (the rest)
 * </pre>
 *
 * A message whose body does not start with the magic and version is foreign (written by another program): readers
 * report it as a {@link dev.diaspora.stream.CorruptDataException} naming the partition and EventID.
 *
 * <p>Thread safety: stateless.
 */
final class Layout {
    static final byte KIND_EVENT = 1;
    /** Offset 0 of every partition stream: makes the stream non-empty, so its last chunk always answers. */
    static final byte KIND_HEADER = 2;
    /** The topic's description, offset 0 of its config stream. */
    static final byte KIND_TOPIC = 3;
    /** A consumer name that stored positions, in the config stream. */
    static final byte KIND_CONSUMER = 4;
    /** A catalog record (create, delete, snapshot of names, sealed), in a catalog stream: see {@link Catalog}. */
    static final byte KIND_CATALOG = 5;

    static final int EVENT_HEADER = 4 + 8 + 8 + 4;
    private static final byte VERSION = 1;

    private Layout() {
    }

    /**
     * @return one event as the stream message the driver publishes: its AMQP 1.0 data section (the section header,
     *     then the body at {@link DataSectionCodec#bodyStart}), so that the codec sends the array as it is; copies the
     *     metadata and the data once, into it
     */
    static byte[] event(long writer, long sequence, ByteBuffer metadata, DataView data) {
        int md = metadata.remaining();
        long size = EVENT_HEADER + (long) md + data.size();
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("event of " + size + " bytes");
        }
        int n = (int) size;
        byte[] section = DataSectionCodec.section(n);
        int s = DataSectionCodec.bodyStart(n);
        ByteBuffer b = ByteBuffer.wrap(section, s, n).order(ByteOrder.BIG_ENDIAN);
        b.put((byte) 'D').put((byte) 'S').put(VERSION).put(KIND_EVENT).putLong(writer).putLong(sequence).putInt(md);
        b.put(metadata.duplicate());
        data.read(0, section, b.position(), (int) data.size());
        return section;
    }

    static byte[] text(byte kind, String json) {
        byte[] t = json.getBytes(StandardCharsets.UTF_8);
        byte[] body = new byte[4 + t.length];
        body[0] = 'D';
        body[1] = 'S';
        body[2] = VERSION;
        body[3] = kind;
        System.arraycopy(t, 0, body, 4, t.length);
        return body;
    }

    /** @return the kind of a body, or 0 if the body is not in this layout (or too short for its kind) */
    static byte kind(byte[] body) {
        return body == null ? 0 : kind(body, 0);
    }

    /**
     * The body of a delivered message is {@code a[s..a.length)} (the message's array, the data section's header
     * before {@code s}): the methods below read it in place.
     *
     * @return the kind of the body at {@code s}, or 0 if it is not in this layout (or too short for its kind)
     */
    static byte kind(byte[] a, int s) {
        int n = a.length - s;
        if (n < 4 || a[s] != 'D' || a[s + 1] != 'S' || a[s + 2] != VERSION) {
            return 0;
        }
        byte k = a[s + 3];
        if (k == KIND_EVENT) {
            if (n < EVENT_HEADER) {
                return 0;
            }
            return Integer.toUnsignedLong(int32(a, s + 20)) <= n - EVENT_HEADER ? k : 0;
        }
        return k >= KIND_HEADER && k <= KIND_CATALOG ? k : 0;
    }

    static long writer(byte[] a, int s) {
        return (long) int32(a, s + 4) << 32 | Integer.toUnsignedLong(int32(a, s + 8));
    }

    static long sequence(byte[] a, int s) {
        return (long) int32(a, s + 12) << 32 | Integer.toUnsignedLong(int32(a, s + 16));
    }

    static int metadataSize(byte[] a, int s) {
        return int32(a, s + 20);
    }

    /** @return the index in {@code a} where the event's data starts */
    static int dataOffset(byte[] a, int s) {
        return s + EVENT_HEADER + metadataSize(a, s);
    }

    private static int int32(byte[] a, int i) {
        return (a[i] & 0xff) << 24 | (a[i + 1] & 0xff) << 16 | (a[i + 2] & 0xff) << 8 | (a[i + 3] & 0xff);
    }

    static String text(byte[] body) {
        return new String(body, 4, body.length - 4, StandardCharsets.UTF_8);
    }

    /** @return a short description of a foreign body, for error messages */
    static String describe(byte[] body) {
        return body == null ? "a message without a data body" : describe(body, 0);
    }

    /** @return a short description of the foreign body at {@code s} of {@code a}, for error messages */
    static String describe(byte[] a, int s) {
        if (a == null) {
            return "a message without a data body";
        }
        int n = a.length - s;
        return "a message of " + n + " bytes not in the diaspora layout (it starts "
                + (n >= 4 ? String.format("%02x %02x %02x %02x", a[s], a[s + 1], a[s + 2], a[s + 3])
                        : "too short") + "; expected 'D' 'S' 01 and a kind): written by another program?";
    }
}
