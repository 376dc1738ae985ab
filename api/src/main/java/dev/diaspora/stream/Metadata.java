package dev.diaspora.stream;

import com.fasterxml.jackson.databind.JsonNode;
import dev.diaspora.stream.internal.json.Json;
import dev.diaspora.stream.internal.json.JsonSyntax;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * An event's metadata, or a configuration: a JSON document held as its UTF-8 text.
 *
 * <p>The text is authoritative: the default serializer stores it verbatim, and {@link #toString()} returns it. The
 * tree is built lazily, on the first call to {@link #json()}, so a producer that only forwards metadata never parses
 * it. {@link #of(String)} and {@link #ofUtf8(byte[])} do not check the syntax; the producer does that with a
 * streaming scan at push (and fails that push's future with {@link InvalidMetadataException} naming line and column),
 * and {@link #json()} throws the same exception.
 *
 * <p><b>Limits.</b> Every consumer parses metadata with the same limits, and the producer refuses at push what a
 * consumer could not parse (with an {@link InvalidMetadataException} naming the limit and the value): at most
 * {@link #MAX_SIZE} bytes of text, string values of at most {@link #MAX_STRING_LENGTH} characters (UTF-16 units,
 * once unescaped), field names of at most {@link #MAX_NAME_LENGTH} UTF-8 bytes, numbers of at most
 * {@link #MAX_NUMBER_LENGTH} digits, nesting at most {@link #MAX_DEPTH} deep. They are those of Jackson's
 * {@code StreamReadConstraints} defaults (plus the document size, which Jackson leaves unlimited). Values larger than
 * that belong in the event's data.
 *
 * <p>Ownership: {@link #ofUtf8(byte[])} and {@link #ofUtf8(ByteBuffer)} wrap the caller's bytes without copying; the
 * caller must not change them afterwards. A metadata object received from a consumer may pin its batch's buffer.
 *
 * <p>Thread safety: immutable. The tree returned by {@link #json()} is shared and must not be modified. One exception:
 * the metadata of an event handed to an {@link EventProcessor} by a consumer opened with
 * {@link ConsumerOptions#recycleEvents(boolean)} is valid only during that call, like the event: the consumer shows a
 * later event's text through the same object afterwards ({@link Event#keep()} copies it).
 */
public final class Metadata {
    /** Largest metadata text in bytes (32 MiB). */
    public static final int MAX_SIZE = JsonSyntax.MAX_DOCUMENT_BYTES;
    /** Longest string value, in UTF-16 units once unescaped (20,000,000: Jackson's default). */
    public static final int MAX_STRING_LENGTH = JsonSyntax.MAX_STRING_CHARS;
    /** Longest field name, in UTF-8 bytes once unescaped (50,000: Jackson's default). */
    public static final int MAX_NAME_LENGTH = JsonSyntax.MAX_NAME_BYTES;
    /** Most digits in one number, integer, fraction and exponent together (1,000: Jackson's default). */
    public static final int MAX_NUMBER_LENGTH = JsonSyntax.MAX_NUMBER_DIGITS;
    /** Deepest nesting of arrays and objects (1,000: Jackson's default). */
    public static final int MAX_DEPTH = JsonSyntax.MAX_DEPTH;

    /** The empty object {@code {}}. */
    public static final Metadata EMPTY = of("{}");

    static {
        dev.diaspora.stream.internal.engine.Flyweights.register(new FlyweightAccess());
    }

    // not final only for the engine's recycled events (see Flyweights): every other metadata never changes
    private byte[] bytes;
    private int offset;
    private int length;
    private volatile JsonNode tree; // published once; racing parsers build equal trees

    /**
     * Leaves {@link #tree} at its default null instead of storing null into it: a store to a volatile field is followed
     * by a full fence, which the JIT keeps even in a constructor, and a consumer makes a metadata per event. The release
     * fence gives what final fields would (and what that store gave): a metadata published through a data race is
     * still seen whole; it costs no instruction on x86.
     */
    private Metadata(byte[] bytes, int offset, int length) {
        this.bytes = bytes;
        this.offset = offset;
        this.length = length;
        VarHandle.releaseFence();
    }

    /**
     * The engine's access to the flyweight metadata of a consumer opened with
     * {@link ConsumerOptions#recycleEvents(boolean)}: one metadata object per pooled event, aimed at each event's text
     * in turn; it is handed out only inside an {@link EventProcessor}'s call ({@link Event#keep()} copies it).
     */
    private static final class FlyweightAccess implements dev.diaspora.stream.internal.engine.Flyweights.MetadataAccess {
        @Override
        public Metadata create() {
            return new Metadata(new byte[0], 0, 0);
        }

        @Override
        public void aim(Metadata m, byte[] text, int length) {
            m.bytes = text;
            m.offset = 0;
            m.length = length;
            m.tree = null; // the parsed tree of the text it showed before
        }
    }

    /**
     * Wraps JSON text. Copies once (UTF-8 encoding); builds no tree and does not check syntax.
     *
     * @param json JSON text, not null
     */
    public static Metadata of(String json) {
        Objects.requireNonNull(json, "json");
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        return new Metadata(b, 0, b.length);
    }

    /**
     * Builds a JSON object from a map, for options written in Java rather than as JSON text:
     * {@code Metadata.of(Map.of("root_path", dir, "num_partitions", 4))}. Values may be {@code null}, booleans, numbers,
     * strings, enums (their name), {@link java.nio.file.Path}s (their text), {@link java.time.Duration}s (whole
     * milliseconds), maps with string keys, lists and arrays of these, and Jackson trees; keys keep the map's
     * iteration order.
     *
     * @param object the object's entries, not null
     * @throws IllegalArgumentException naming the key whose value has no JSON form
     */
    public static Metadata of(java.util.Map<String, ?> object) {
        Objects.requireNonNull(object, "object");
        return of(dev.diaspora.stream.internal.json.JsonValues.object(object));
    }

    /**
     * Snapshots a Jackson tree to text at once; later changes to {@code node} do not affect this metadata.
     *
     * @param node a JSON tree, not null
     */
    public static Metadata of(JsonNode node) {
        Objects.requireNonNull(node, "node");
        byte[] b = Json.write(node).getBytes(StandardCharsets.UTF_8);
        return new Metadata(b, 0, b.length);
    }

    /**
     * Wraps UTF-8 JSON text, does not copy. The caller must not change the array afterwards.
     *
     * @param utf8 UTF-8 JSON text, not null
     */
    public static Metadata ofUtf8(byte[] utf8) {
        Objects.requireNonNull(utf8, "utf8");
        return new Metadata(utf8, 0, utf8.length);
    }

    /**
     * Wraps the UTF-8 JSON text in {@code utf8}'s [position, limit); does not copy when the buffer has an accessible
     * array, copies once otherwise (direct buffers). The buffer's position and limit are not changed.
     *
     * @param utf8 UTF-8 JSON text, not null
     */
    public static Metadata ofUtf8(ByteBuffer utf8) {
        Objects.requireNonNull(utf8, "utf8");
        int len = utf8.remaining();
        if (utf8.hasArray()) {
            return new Metadata(utf8.array(), utf8.arrayOffset() + utf8.position(), len);
        }
        byte[] b = new byte[len];
        utf8.get(utf8.position(), b, 0, len);
        return new Metadata(b, 0, len);
    }

    /**
     * The JSON tree, parsed on first call and shared afterwards. Do not modify it.
     *
     * @throws InvalidMetadataException if the text is not valid JSON, naming line and column, or over a limit (see
     *     the class comment), naming the limit and the value
     */
    public JsonNode json() {
        JsonNode t = tree;
        if (t == null) {
            try {
                t = Json.parse(bytes, offset, length);
            } catch (Json.JsonSyntaxError e) {
                // the scan's description, so that json() and checkSyntax() report the same error and position
                Json.JsonSyntaxError reported = e;
                try {
                    JsonSyntax.check(bytes, offset, length);
                } catch (Json.JsonSyntaxError scanned) {
                    reported = scanned;
                }
                throw invalid(reported);
            }
            tree = t;
        }
        return t;
    }

    /**
     * Checks the JSON syntax (RFC 8259) and the limits (see the class comment) with a scan of the bytes that
     * allocates nothing and builds no tree.
     *
     * @throws InvalidMetadataException naming what is wrong, its line, column and byte offset if the text is not
     *     valid JSON, or the limit and the value if a value is over a limit
     */
    public void checkSyntax() {
        if (tree != null) {
            return;
        }
        try {
            JsonSyntax.check(bytes, offset, length);
        } catch (Json.JsonSyntaxError e) {
            throw invalid(e);
        }
    }

    private static InvalidMetadataException invalid(Json.JsonSyntaxError e) {
        if (e.limit()) {
            return new InvalidMetadataException("Metadata is over a limit that every consumer's parser enforces: "
                    + e.describe() + ". The limits are the MAX_* constants of dev.diaspora.stream.Metadata; put large"
                    + " values in the event's data instead");
        }
        return new InvalidMetadataException("Metadata is not valid JSON: " + e.describe());
    }

    /** @return the size of the UTF-8 text in bytes */
    public int size() {
        return length;
    }

    /** @return a read-only view of the UTF-8 text (position 0, limit = capacity = size); does not copy */
    public ByteBuffer utf8() {
        // one buffer object fewer in the common case where the text is the whole array
        ByteBuffer text = offset == 0 && length == bytes.length ? ByteBuffer.wrap(bytes)
                : ByteBuffer.wrap(bytes, offset, length).slice();
        return text.asReadOnlyBuffer();
    }

    /** @return a copy of the UTF-8 text */
    public byte[] toUtf8Bytes() {
        return Arrays.copyOfRange(bytes, offset, offset + length);
    }

    /**
     * Copies the UTF-8 text into {@code dst} at {@code dstOffset}.
     *
     * @return the number of bytes copied ({@link #size()})
     */
    public int copyTo(byte[] dst, int dstOffset) {
        System.arraycopy(bytes, offset, dst, dstOffset, length);
        return length;
    }

    /** @return the JSON text as stored */
    @Override
    public String toString() {
        return new String(bytes, offset, length, StandardCharsets.UTF_8);
    }

    /** Two metadata are equal when their texts are byte-for-byte equal. */
    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Metadata)) {
            return false;
        }
        Metadata m = (Metadata) o;
        return Arrays.equals(bytes, offset, offset + length, m.bytes, m.offset, m.offset + m.length);
    }

    @Override
    public int hashCode() {
        int h = 1;
        for (int i = offset; i < offset + length; i++) {
            h = 31 * h + bytes[i];
        }
        return h;
    }
}
