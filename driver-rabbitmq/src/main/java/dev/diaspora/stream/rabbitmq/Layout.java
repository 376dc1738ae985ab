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

    /** @return the body of one event; copies the metadata and the data once, into the message */
    static byte[] event(long writer, long sequence, ByteBuffer metadata, DataView data) {
        int md = metadata.remaining();
        long size = EVENT_HEADER + (long) md + data.size();
        if (size > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("event of " + size + " bytes");
        }
        byte[] body = new byte[(int) size];
        ByteBuffer b = ByteBuffer.wrap(body).order(ByteOrder.BIG_ENDIAN);
        b.put((byte) 'D').put((byte) 'S').put(VERSION).put(KIND_EVENT).putLong(writer).putLong(sequence).putInt(md);
        b.put(metadata.duplicate());
        data.read(0, body, b.position(), (int) data.size());
        return body;
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
        if (body == null || body.length < 4 || body[0] != 'D' || body[1] != 'S' || body[2] != VERSION) {
            return 0;
        }
        byte k = body[3];
        if (k == KIND_EVENT) {
            if (body.length < EVENT_HEADER) {
                return 0;
            }
            long md = Integer.toUnsignedLong(ByteBuffer.wrap(body, 20, 4).getInt());
            return md <= body.length - EVENT_HEADER ? k : 0;
        }
        return k >= KIND_HEADER && k <= KIND_CATALOG ? k : 0;
    }

    static long writer(byte[] event) {
        return ByteBuffer.wrap(event, 4, 8).getLong();
    }

    static long sequence(byte[] event) {
        return ByteBuffer.wrap(event, 12, 8).getLong();
    }

    static int metadataSize(byte[] event) {
        return ByteBuffer.wrap(event, 20, 4).getInt();
    }

    static int dataOffset(byte[] event) {
        return EVENT_HEADER + metadataSize(event);
    }

    static String text(byte[] body) {
        return new String(body, 4, body.length - 4, StandardCharsets.UTF_8);
    }

    /** @return a short description of a foreign body, for error messages */
    static String describe(byte[] body) {
        if (body == null) {
            return "a message without a data body";
        }
        return "a message of " + body.length + " bytes not in the diaspora layout (it starts "
                + (body.length >= 4 ? String.format("%02x %02x %02x %02x", body[0], body[1], body[2], body[3])
                        : "too short") + "; expected 'D' 'S' 01 and a kind): written by another program?";
    }
}
