package dev.diaspora.stream.netty.protocol;

import dev.diaspora.stream.ConsumerConflictException;
import dev.diaspora.stream.CorruptDataException;
import dev.diaspora.stream.EventsLostException;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.EventTooLargeException;
import dev.diaspora.stream.InvalidOptionException;
import dev.diaspora.stream.InvalidSelectionException;
import dev.diaspora.stream.PositionExpiredException;
import dev.diaspora.stream.TopicExistsException;
import dev.diaspora.stream.TopicNotFoundException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;

/**
 * The wire protocol of PROTOCOL.md: frame types, error kinds, limits, and the primitive encodings (strings, blobs).
 * Every decoder checks lengths against what is readable and throws {@link BadFrameException}, which closes the
 * connection with an error frame.
 *
 * <p>This package is the netty driver's wire codec, shared by its client and its partition server: one record per
 * request kind ({@link Request}) and per answer payload ({@link Answers}), each with one {@code encode} and one
 * {@code decode}. It is public only so that both sides share it; it is not an API for applications, which use the
 * driver through the {@code dev.diaspora.stream} API.
 *
 * <p>Thread safety: stateless.
 */
public final class Protocol {
    /** "DSPN": the first four bytes of a HELLO payload. */
    public static final int MAGIC = 0x4453_504E;
    /**
     * The protocol version this release speaks (PROTOCOL.md, "Versions"). Version 2: OPEN_TOPIC no longer subscribes
     * the handle to NOTIFY; SUBSCRIBE does. Version 3: READ_INLINE, a READ whose answer also carries the data of its
     * small events. Version 4: a READ_DATA "blocks" answer names its checksum block size (per stored segment: 4 KiB
     * or 64 KiB).
     */
    public static final int VERSION = 4;
    /** The oldest version a server still serves: a version 1 client's handles are all subscribed at OPEN_TOPIC. */
    public static final int MIN_VERSION = 1;
    /** Frame header after the length field: type (1) and request id (8). */
    public static final int HEADER = 9;
    /** Default and hard limits of one frame (after the 4-byte length). */
    public static final int DEFAULT_MAX_FRAME = 256 << 20;
    public static final int MIN_MAX_FRAME = 64 << 10;
    /** A server's frame limit until the HELLO of a connection succeeded: a stranger cannot make it buffer more. */
    public static final int MAX_HELLO_FRAME = 4096;
    /** The longest token, in UTF-8 bytes: a HELLO (magic, version, token) fits {@link #MAX_HELLO_FRAME}. */
    public static final int MAX_TOKEN = MAX_HELLO_FRAME - HEADER - 8;
    /** A client's frame limit until the server answered its HELLO (an answer or an error message fits it). */
    public static final int MAX_HELLO_ANSWER = 64 << 10;
    /** The largest event a client may push (metadata + data): half a default frame, so any event fits a frame. */
    public static final long MAX_EVENT_SIZE = 128L << 20;
    /** Longest string field (names, tokens, messages), in UTF-8 bytes. */
    public static final int MAX_STRING = 65_535;
    /** Longest JSON blob (topic options, components, placement). */
    public static final int MAX_JSON = 16 << 20;
    /** Most events in one APPEND or READ, and requests in one READ_DATA. */
    public static final int MAX_COUNT = 1 << 20;
    /** Most ranges of one selection in READ_DATA. */
    public static final int MAX_RANGES = 1 << 16;
    /**
     * READ_INLINE carries the data of events smaller than this only: larger events are fetched with READ_DATA, which
     * sends them zero-copy.
     */
    public static final long INLINE_EVENT_LIMIT = 64 << 10;

    // requests (client to server)
    public static final byte HELLO = 1;
    public static final byte CREATE_TOPIC = 2;
    public static final byte OPEN_TOPIC = 3;
    public static final byte CLOSE_TOPIC = 4;
    public static final byte LIST_TOPICS = 5;
    public static final byte TOPIC_EXISTS = 6;
    public static final byte DELETE_TOPIC = 7;
    public static final byte BOUNDS = 8;
    public static final byte ID_FOR_TIME = 9;
    public static final byte READ = 10;
    public static final byte READ_DATA = 11;
    public static final byte COMMITTED = 12;
    public static final byte COMMIT = 13;
    public static final byte LEASE = 14;
    public static final byte RELEASE = 15;
    public static final byte CONSUMER_NAMES = 16;
    public static final byte APPEND = 17;
    public static final byte CLOSE_APPENDER = 18;
    public static final byte LOST_RANGES = 19;
    public static final byte JOIN = 20;
    public static final byte HEARTBEAT = 21;
    public static final byte LEAVE = 22;
    public static final byte MEMBERS = 23;
    public static final byte ALTER_TOPIC = 24;
    public static final byte ADD_PARTITIONS = 25;
    /** Version 2: subscribes a topic handle to the NOTIFY of its partitions' ends. */
    public static final byte SUBSCRIBE = 26;
    /** Version 3: READ whose answer also carries the whole data of the batch's first small events. */
    public static final byte READ_INLINE = 27;
    // answers and pushes (server to client)
    public static final byte OK = 64;
    public static final byte ERROR = 65;
    public static final byte NOTIFY = 66;

    // READ_DATA answer statuses (other values are error kinds)
    public static final byte DATA_SELECTED = -1;
    public static final byte DATA_BLOCKS = -2;
    /**
     * The checksum block of READ_DATA "blocks" answers to connections of versions 1 to 3, which do not name it: one
     * CRC32C per 64 KiB of event data. The server sends stored blocks as they are, so it answers those connections
     * with blocks only for data stored with 64 KiB blocks (files format version 1), and copies the rest.
     */
    public static final int V3_BLOCK_SIZE = 64 << 10;
    /** The largest checksum block a version 4 "blocks" answer may name (a client refuses larger ones: bad frame). */
    public static final int MAX_BLOCK_SIZE = 1 << 24;

    // error kinds
    public static final byte E_GENERIC = 0;
    public static final byte E_BAD_FRAME = 1;
    public static final byte E_AUTH = 2;
    public static final byte E_VERSION = 3;
    public static final byte E_TOPIC_NOT_FOUND = 4;
    public static final byte E_TOPIC_EXISTS = 5;
    public static final byte E_CONFLICT = 6;
    public static final byte E_CORRUPT = 7;
    public static final byte E_INVALID_OPTION = 8;
    public static final byte E_TOO_LARGE = 9;
    public static final byte E_SELECTION = 10;
    public static final byte E_RETRIABLE = 11;
    /** A lost range (READ answers only): the message is {@code "<first> <last> <why>"}. */
    public static final byte E_LOST = 12;
    /** A group member the coordinator does not know (left, its connection closed, or the server restarted). */
    public static final byte E_UNKNOWN_MEMBER = 13;
    /**
     * A position retention dropped: in READ answers the message is {@code "<position> <first retained id> <where>"},
     * and the client raises {@link PositionExpiredException} (its read session follows the consumer's policy);
     * elsewhere a retriable error whose message says it.
     */
    public static final byte E_EXPIRED = 14;

    private Protocol() {
    }

    public static String typeName(int type) {
        switch (type) {
            case HELLO: return "HELLO";
            case CREATE_TOPIC: return "CREATE_TOPIC";
            case OPEN_TOPIC: return "OPEN_TOPIC";
            case CLOSE_TOPIC: return "CLOSE_TOPIC";
            case LIST_TOPICS: return "LIST_TOPICS";
            case TOPIC_EXISTS: return "TOPIC_EXISTS";
            case DELETE_TOPIC: return "DELETE_TOPIC";
            case BOUNDS: return "BOUNDS";
            case ID_FOR_TIME: return "ID_FOR_TIME";
            case READ: return "READ";
            case READ_DATA: return "READ_DATA";
            case COMMITTED: return "COMMITTED";
            case COMMIT: return "COMMIT";
            case LEASE: return "LEASE";
            case RELEASE: return "RELEASE";
            case CONSUMER_NAMES: return "CONSUMER_NAMES";
            case APPEND: return "APPEND";
            case CLOSE_APPENDER: return "CLOSE_APPENDER";
            case LOST_RANGES: return "LOST_RANGES";
            case JOIN: return "JOIN";
            case HEARTBEAT: return "HEARTBEAT";
            case LEAVE: return "LEAVE";
            case MEMBERS: return "MEMBERS";
            case ALTER_TOPIC: return "ALTER_TOPIC";
            case ADD_PARTITIONS: return "ADD_PARTITIONS";
            case SUBSCRIBE: return "SUBSCRIBE";
            case READ_INLINE: return "READ_INLINE";
            case OK: return "OK";
            case ERROR: return "ERROR";
            case NOTIFY: return "NOTIFY";
            default: return "unknown type " + type;
        }
    }

    // ------------------------------------------------------------------ primitive encodings

    public static void writeString(ByteBuf out, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length > MAX_STRING) {
            throw new IllegalArgumentException("string of " + b.length + " UTF-8 bytes exceeds " + MAX_STRING);
        }
        out.writeShort(b.length);
        out.writeBytes(b);
    }

    public static String readString(ByteBuf in, String field) {
        int n = in.readUnsignedShort();
        need(in, n, field);
        String s = in.toString(in.readerIndex(), n, StandardCharsets.UTF_8);
        in.skipBytes(n);
        return s;
    }

    /** Reads a topic name and checks it with the engine's rule: clients are not trusted to have done so. */
    public static String readTopicName(ByteBuf in) {
        String name = readString(in, "topic name");
        dev.diaspora.stream.spi.TopicNames.check(name);
        return name;
    }

    public static void writeJson(ByteBuf out, String json) {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        if (b.length > MAX_JSON) {
            throw new IllegalArgumentException("JSON of " + b.length + " bytes exceeds " + MAX_JSON);
        }
        out.writeInt(b.length);
        out.writeBytes(b);
    }

    public static String readJson(ByteBuf in, String field) {
        int n = in.readInt();
        if (n < 0 || n > MAX_JSON) {
            throw new BadFrameException(field + ": JSON length " + Integer.toUnsignedString(n) + " outside [0, "
                    + MAX_JSON + "]");
        }
        need(in, n, field);
        String s = in.toString(in.readerIndex(), n, StandardCharsets.UTF_8);
        in.skipBytes(n);
        return s;
    }

    /** @return a count read as u32, checked against {@code max} and against the bytes left at {@code minBytesEach} */
    public static int readCount(ByteBuf in, int max, int minBytesEach, String field) {
        int n = in.readInt();
        if (n < 0 || n > max) {
            throw new BadFrameException(field + ": count " + Integer.toUnsignedString(n) + " outside [0, " + max + "]");
        }
        need(in, (long) n * minBytesEach, field);
        return n;
    }

    public static void need(ByteBuf in, long n, String field) {
        if (n > in.readableBytes()) {
            throw new BadFrameException(field + ": needs " + n + " bytes, the frame has " + in.readableBytes()
                    + " left");
        }
    }

    /** @return {@code s} as a JSON string literal */
    public static String jsonString(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }

    /**
     * Decodes a request payload with {@code body} and checks that it took the whole frame (PROTOCOL.md: trailing
     * bytes are a bad frame).
     *
     * @throws BadFrameException if the payload is truncated, has trailing bytes or breaks a bound
     */
    public static <T> T request(int type, ByteBuf in, Function<ByteBuf, T> body) {
        T t = answer(typeName(type), in, body);
        end(in, type);
        return t;
    }

    /**
     * Decodes an answer payload with {@code body}; a payload shorter than its fields is a {@link BadFrameException}.
     * Trailing bytes are not checked (an answer may grow at its end in a later version).
     */
    public static <T> T answer(String what, ByteBuf in, Function<ByteBuf, T> body) {
        try {
            return body.apply(in);
        } catch (IndexOutOfBoundsException e) {
            throw new BadFrameException(what + ": truncated or malformed (" + e.getMessage() + ")");
        }
    }

    /** @return a new buffer of {@code alloc} holding what {@code encoder} writes; the caller owns it */
    public static ByteBuf encode(ByteBufAllocator alloc, java.util.function.Consumer<ByteBuf> encoder) {
        return encode(alloc, 256, encoder);
    }

    /**
     * As {@link #encode(ByteBufAllocator, java.util.function.Consumer)}, in a buffer of {@code capacity} bytes at
     * first (an estimate of what the encoder writes, so that a large answer is not copied as its buffer grows).
     */
    public static ByteBuf encode(ByteBufAllocator alloc, int capacity, java.util.function.Consumer<ByteBuf> encoder) {
        ByteBuf out = alloc.buffer(capacity);
        try {
            encoder.accept(out);
            return out;
        } catch (RuntimeException e) {
            out.release();
            throw e;
        }
    }

    /** Checks that a request's fields took the whole frame, before the request acts (PROTOCOL.md: trailing bytes). */
    public static void end(ByteBuf in, int type) {
        if (in.isReadable()) {
            throw new BadFrameException(typeName(type) + ": " + in.readableBytes() + " unexpected trailing bytes");
        }
    }

    /** @return {@code s} cut to 8000 characters, as messages in error frames and lost ranges are sent */
    public static String truncate(String s) {
        String m = s == null ? "error" : s;
        return m.length() > 8000 ? m.substring(0, 8000) + "..." : m;
    }

    // ------------------------------------------------------------------ errors

    /** @return a whole ERROR frame (length included) */
    public static ByteBuf errorFrame(ByteBufAllocator alloc, long reqId, byte kind, String message) {
        ByteBuf f = alloc.buffer();
        f.writeInt(0).writeByte(ERROR).writeLong(reqId).writeByte(kind);
        writeString(f, message);
        return f.setInt(0, f.readableBytes() - 4);
    }

    public static byte kindOf(Throwable e) {
        if (e instanceof BadFrameException) {
            return E_BAD_FRAME;
        } else if (e instanceof UnknownMemberException) {
            return E_UNKNOWN_MEMBER;
        } else if (e instanceof TopicNotFoundException) {
            return E_TOPIC_NOT_FOUND;
        } else if (e instanceof TopicExistsException) {
            return E_TOPIC_EXISTS;
        } else if (e instanceof ConsumerConflictException) {
            return E_CONFLICT;
        } else if (e instanceof CorruptDataException) {
            return E_CORRUPT;
        } else if (e instanceof EventsLostException) {
            return E_LOST;
        } else if (e instanceof InvalidOptionException) {
            return E_INVALID_OPTION;
        } else if (e instanceof EventTooLargeException) {
            return E_TOO_LARGE;
        } else if (e instanceof InvalidSelectionException) {
            return E_SELECTION;
        } else if (e instanceof PositionExpiredException) {
            return E_EXPIRED;
        } else if (e instanceof DiasporaException && ((DiasporaException) e).isRetriable()) {
            return E_RETRIABLE;
        }
        return E_GENERIC;
    }

    /** @return the message of an error of a READ answer: for a lost range, its ids first (see {@link #E_LOST}) */
    public static String errorMessage(DiasporaException e) {
        if (e instanceof EventsLostException) {
            EventsLostException l = (EventsLostException) e;
            return l.firstLostId() + " " + l.lastLostId() + " " + (l.why() == null ? "" : l.why());
        }
        if (e instanceof PositionExpiredException) {
            PositionExpiredException x = (PositionExpiredException) e;
            String m = String.valueOf(x.getMessage());
            int cut = m.indexOf(": partition ");
            return x.position() + " " + x.firstRetainedId() + " " + (cut > 0 ? m.substring(0, cut) : "");
        }
        return String.valueOf(e.getMessage());
    }

    /** @return the client-side exception of an error in a READ answer of partition {@code p} */
    public static DiasporaException readError(int kind, String message, int p, String server) {
        if (kind == E_LOST) {
            String[] f = message.split(" ", 3);
            try {
                return new EventsLostException(p, Long.parseLong(f[0]), Long.parseLong(f[1]),
                        (f.length > 2 ? f[2] : "") + " (from server " + server + ")");
            } catch (RuntimeException e) {
                return new DiasporaException("partition " + p + ": a lost range the client cannot parse: " + message
                        + " (from server " + server + ")");
            }
        }
        if (kind == E_EXPIRED) {
            String[] f = message.split(" ", 3);
            try {
                return new PositionExpiredException(p, Long.parseLong(f[0]), Long.parseLong(f[1]),
                        (f.length > 2 ? f[2] : "") + " (from server " + server + ")");
            } catch (RuntimeException e) {
                return new DiasporaException("partition " + p + ": a position retention dropped, in a form the client"
                        + " cannot parse: " + message + " (from server " + server + ")", null, true);
            }
        }
        return toException(kind, message, server);
    }

    /** @return the client-side exception for an error frame from {@code server} */
    public static DiasporaException toException(int kind, String message, String server) {
        String m = message + " (from server " + server + ")";
        switch (kind) {
            case E_TOPIC_NOT_FOUND: return new TopicNotFoundException(m);
            case E_TOPIC_EXISTS: return new TopicExistsException(m);
            case E_CONFLICT: return new ConsumerConflictException(m);
            case E_CORRUPT: return new CorruptDataException(m);
            case E_INVALID_OPTION: return new InvalidOptionException(m);
            case E_TOO_LARGE: return new EventTooLargeException(m);
            case E_SELECTION: return new InvalidSelectionException(m);
            case E_RETRIABLE: return new DiasporaException(m, null, true);
            case E_EXPIRED: return new DiasporaException(m, null, true); // outside READ answers: read again
            case E_UNKNOWN_MEMBER: return new UnknownMemberException(m);
            case E_AUTH: return new DiasporaException("authentication refused: " + m + ". Give the server's token in"
                    + " the driver option 'token'");
            default: return new DiasporaException(m);
        }
    }

    /** A frame that does not follow the protocol: the connection is closed after an error frame. */
    public static final class BadFrameException extends DiasporaException {
        private static final long serialVersionUID = 1L;

        public BadFrameException(String message) {
            super("bad frame: " + message);
        }
    }

    /** A group member the coordinator does not know: the client joins again (ERROR kind {@link #E_UNKNOWN_MEMBER}). */
    public static final class UnknownMemberException extends DiasporaException {
        private static final long serialVersionUID = 1L;

        public UnknownMemberException(String message) {
            super(message);
        }
    }
}
