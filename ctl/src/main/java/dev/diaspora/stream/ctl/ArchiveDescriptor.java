package dev.diaspora.stream.ctl;

import java.nio.charset.StandardCharsets;

/**
 * The layout of a topic archive, written by {@code export} and read by {@code import}. Every integer is big-endian.
 *
 * <pre>
 *   0        8                                                        size-4   size
 *   +--------+--------------------------------------------------------+--------+
 *   | magic  | frames                                                 | crc32c |
 *   +--------+--------------------------------------------------------+--------+
 *   magic  = "DIASPXP1" (8 ASCII bytes)
 *   crc32c = CRC32C of every byte before it (magic and frames), u32
 *
 *   frames = header event* end
 *
 *   header: 'H' (1 byte) | length u32 | JSON text, UTF-8 (length bytes)
 *   event : 'E' (1 byte) | partition u32 | id u64 | seconds i64 | nanos u32
 *                        | metadata length u32 | data length u64 | metadata (UTF-8 JSON text) | data
 *   end   : 'Z' (1 byte) | event count u64
 * </pre>
 *
 * The header JSON: <code>{"format":"diaspora-topic-archive","version":1,"topic":NAME,"driver":NAME,
 * "exported_at":ISO-8601,"config":{...},"partitions":[{"index":0,"first":F,"next":N,"metadata":{...}},...]}</code>,
 * where {@code config} is the topic's description from {@code Driver.listTopics()} (options and components) and
 * each partition's {@code [first, next)} is the range of EventIDs exported. Events follow in the order they were read:
 * within a partition, in EventID order without gaps; partitions interleaved. {@code seconds} and {@code nanos} are the
 * storage timestamp (seconds since the epoch and nanoseconds within it).
 *
 * <p>Thread safety: constants only.
 */
final class ArchiveDescriptor {
    static final byte[] MAGIC = "DIASPXP1".getBytes(StandardCharsets.US_ASCII);
    static final String FORMAT = "diaspora-topic-archive";
    static final int VERSION = 1;
    static final byte HEADER = 'H';
    static final byte EVENT = 'E';
    static final byte END = 'Z';
    /** Bytes of an event frame before its metadata: type, partition, id, seconds, nanos, metadata and data lengths. */
    static final int EVENT_FIXED = 1 + 4 + 8 + 8 + 4 + 4 + 8;
    /** The largest header accepted on import. */
    static final int MAX_HEADER = 64 << 20;

    private ArchiveDescriptor() {
    }
}
