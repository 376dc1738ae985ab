package dev.diaspora.stream.netty.protocol;

import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The requests on one partition of an open topic (PROTOCOL.md, "Requests", "READ", "READ_DATA"): bounds, id for a
 * time, reads of metadata and data, lost ranges, and closing an appender. Partitions are the server's local indices,
 * sent as they are: the server checks them against the topic of the handle.
 *
 * <p>Thread safety: stateless; the records are immutable (arrays are not copied: do not modify them).
 */
public final class PartitionRequests {
    private PartitionRequests() {
    }

    /** BOUNDS, answered with a {@link Answers.BoundsAnswer}. */
    public record Bounds(int handle, int partition) implements Request {
        @Override
        public byte type() {
            return Protocol.BOUNDS;
        }

        @Override
        public void encode(ByteBuf out) {
            out.writeInt(handle).writeInt(partition);
        }

        public static Bounds decode(ByteBuf in) {
            return Protocol.request(Protocol.BOUNDS, in, b -> new Bounds(b.readInt(), b.readInt()));
        }
    }

    /** ID_FOR_TIME: the first event at or after a time, answered with a {@link Answers.LongValue}. */
    public record IdForTime(int handle, int partition, long seconds, int nanos) implements Request {
        @Override
        public byte type() {
            return Protocol.ID_FOR_TIME;
        }

        @Override
        public void encode(ByteBuf out) {
            out.writeInt(handle).writeInt(partition).writeLong(seconds).writeInt(nanos);
        }

        /** @throws Protocol.BadFrameException also if the nanoseconds are outside [0, 1e9) */
        public static IdForTime decode(ByteBuf in) {
            IdForTime r = Protocol.request(Protocol.ID_FOR_TIME, in, b -> new IdForTime(b.readInt(), b.readInt(),
                    b.readLong(), b.readInt()));
            if (r.nanos < 0 || r.nanos > 999_999_999) {
                throw new Protocol.BadFrameException("ID_FOR_TIME: nanoseconds " + r.nanos + " outside [0, 1e9)");
            }
            return r;
        }
    }

    /** READ: the metadata of events from {@code from}, answered with a {@link ReadAnswer}. */
    public record Read(int handle, int partition, long from, int maxEvents, long maxBytes) implements Request {
        @Override
        public byte type() {
            return Protocol.READ;
        }

        @Override
        public void encode(ByteBuf out) {
            out.writeInt(handle).writeInt(partition).writeLong(from).writeInt(maxEvents).writeLong(maxBytes);
        }

        /** @throws Protocol.BadFrameException also if a position or bound is out of range */
        public static Read decode(ByteBuf in) {
            Read r = Protocol.request(Protocol.READ, in, b -> new Read(b.readInt(), b.readInt(), b.readLong(),
                    b.readInt(), b.readLong()));
            if (r.from < 0 || r.maxEvents < 1 || r.maxEvents > Protocol.MAX_COUNT || r.maxBytes < 1) {
                throw new Protocol.BadFrameException("READ: from " + r.from + ", maxEvents " + r.maxEvents
                        + ", maxBytes " + r.maxBytes + " out of range");
            }
            return r;
        }
    }

    /**
     * READ_INLINE (version 3): a {@link Read} whose answer also carries the whole data of the batch's first events, as
     * many as fit {@code maxInline} bytes, each smaller than {@link Protocol#INLINE_EVENT_LIMIT} (a {@link ReadAnswer}
     * followed by an {@link InlineData} section).
     */
    public record ReadInline(int handle, int partition, long from, int maxEvents, long maxBytes, int maxInline)
            implements Request {
        @Override
        public byte type() {
            return Protocol.READ_INLINE;
        }

        @Override
        public void encode(ByteBuf out) {
            out.writeInt(handle).writeInt(partition).writeLong(from).writeInt(maxEvents).writeLong(maxBytes)
                    .writeInt(maxInline);
        }

        /** @throws Protocol.BadFrameException also if a position or bound is out of range */
        public static ReadInline decode(ByteBuf in) {
            ReadInline r = Protocol.request(Protocol.READ_INLINE, in, b -> new ReadInline(b.readInt(), b.readInt(),
                    b.readLong(), b.readInt(), b.readLong(), b.readInt()));
            if (r.from < 0 || r.maxEvents < 1 || r.maxEvents > Protocol.MAX_COUNT || r.maxBytes < 1
                    || r.maxInline < 0) {
                throw new Protocol.BadFrameException("READ_INLINE: from " + r.from + ", maxEvents " + r.maxEvents
                        + ", maxBytes " + r.maxBytes + ", maxInline " + r.maxInline + " out of range");
            }
            return r;
        }
    }

    /**
     * READ_DATA: the selected bytes of events' data. Each item's ranges are as sent: the server checks them against
     * the event and fails that item alone if they do not fit.
     */
    public record ReadData(int handle, List<Item> items) implements Request {
        /**
         * One event's selection.
         *
         * @param ranges (offset, size) pairs, in selection order
         */
        public record Item(int partition, long eventId, long baseSize, long[] ranges) {
            @Override
            public boolean equals(Object o) {
                return o instanceof Item i && i.partition == partition && i.eventId == eventId
                        && i.baseSize == baseSize && Arrays.equals(i.ranges, ranges);
            }

            @Override
            public int hashCode() {
                return Long.hashCode(eventId) * 31 + Arrays.hashCode(ranges);
            }

            @Override
            public String toString() {
                return "Item[partition=" + partition + ", eventId=" + eventId + ", baseSize=" + baseSize
                        + ", ranges=" + Arrays.toString(ranges) + "]";
            }
        }

        @Override
        public byte type() {
            return Protocol.READ_DATA;
        }

        @Override
        public void encode(ByteBuf out) {
            out.writeInt(handle).writeInt(items.size());
            for (Item i : items) {
                out.writeInt(i.partition).writeLong(i.eventId).writeLong(i.baseSize).writeInt(i.ranges.length / 2);
                for (long v : i.ranges) {
                    out.writeLong(v);
                }
            }
        }

        /** @throws Protocol.BadFrameException also if a data size is negative */
        public static ReadData decode(ByteBuf in) {
            return Protocol.request(Protocol.READ_DATA, in, b -> {
                int handle = b.readInt();
                int n = Protocol.readCount(b, Protocol.MAX_COUNT, 24, "READ_DATA count"); // 24: no ranges
                List<Item> items = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    int p = b.readInt();
                    long id = b.readLong();
                    long baseSize = b.readLong();
                    int nr = Protocol.readCount(b, Protocol.MAX_RANGES, 16, "READ_DATA ranges");
                    if (baseSize < 0) {
                        throw new Protocol.BadFrameException("READ_DATA: negative data size " + baseSize);
                    }
                    long[] ranges = new long[2 * nr];
                    for (int r = 0; r < ranges.length; r++) {
                        ranges[r] = b.readLong();
                    }
                    items.add(new Item(p, id, baseSize, ranges));
                }
                return new ReadData(handle, items);
            });
        }
    }

    /** LOST_RANGES, answered with a {@link Answers.LostRangeList}. */
    public record LostRanges(int handle, int partition) implements Request {
        @Override
        public byte type() {
            return Protocol.LOST_RANGES;
        }

        @Override
        public void encode(ByteBuf out) {
            out.writeInt(handle).writeInt(partition);
        }

        public static LostRanges decode(ByteBuf in) {
            return Protocol.request(Protocol.LOST_RANGES, in, b -> new LostRanges(b.readInt(), b.readInt()));
        }
    }

    /** CLOSE_APPENDER: closes the server-side appender {@code (handle, key)} of the connection. */
    public record CloseAppender(int handle, int key) implements Request {
        @Override
        public byte type() {
            return Protocol.CLOSE_APPENDER;
        }

        @Override
        public void encode(ByteBuf out) {
            out.writeInt(handle).writeInt(key);
        }

        /** @return the key of the server-side appender, as {@link AppendRequest#appenderId()} */
        public long appenderId() {
            return ((long) handle << 32) | (key & 0xFFFF_FFFFL);
        }

        public static CloseAppender decode(ByteBuf in) {
            return Protocol.request(Protocol.CLOSE_APPENDER, in, b -> new CloseAppender(b.readInt(), b.readInt()));
        }
    }
}
