package dev.diaspora.stream.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * The frame kinds of topic changes (PROTOCOL.md, "Topic changes"), one codec for both sides: the client encodes a
 * record, the server decodes it (the reader index after the frame header) and the client decodes the answer. A
 * decoder checks every field against the frame and refuses trailing bytes with {@link Protocol.BadFrameException}.
 *
 * <p>Thread safety: stateless; the records are immutable.
 */
final class TopicChangeFrames {
    /** The most partitions a topic may grow to: one frame of NOTIFY or OPEN_TOPIC answer stays small. */
    static final int MAX_PARTITIONS = 1 << 16;

    private TopicChangeFrames() {
    }

    /** ALTER_TOPIC: change options of a topic on one server (its files engine validates and applies them). */
    record AlterTopic(String name, String options) {
        ByteBuf encode(ByteBufAllocator alloc) {
            ByteBuf out = alloc.buffer();
            Protocol.writeString(out, name);
            Protocol.writeJson(out, options);
            return out;
        }

        static AlterTopic decode(ByteBuf in) {
            String name = Protocol.readTopicName(in);
            String options = Protocol.readJson(in, "ALTER_TOPIC options");
            ServerConnection.end(in, Protocol.ALTER_TOPIC);
            return new AlterTopic(name, options);
        }
    }

    /**
     * ADD_PARTITIONS: grow a topic to {@code count} partitions in all; the server adds its share of them (by the
     * ring rule of {@link Placement}) and answers with a {@link PartitionCount}.
     */
    record AddPartitions(String name, int count) {
        ByteBuf encode(ByteBufAllocator alloc) {
            ByteBuf out = alloc.buffer();
            Protocol.writeString(out, name);
            out.writeInt(count);
            return out;
        }

        static AddPartitions decode(ByteBuf in) {
            String name = Protocol.readTopicName(in);
            return new AddPartitions(name, lastCount(in, 1, "ADD_PARTITIONS count"));
        }
    }

    /** The answer to ADD_PARTITIONS: the partitions of the topic this server holds now. */
    record PartitionCount(int local) {
        ByteBuf encode(ByteBufAllocator alloc) {
            return alloc.buffer(4).writeInt(local);
        }

        static PartitionCount decode(ByteBuf in) {
            return new PartitionCount(lastCount(in, 0, "ADD_PARTITIONS answer count"));
        }
    }

    /** @return a partition count (u32 in {@code [min, MAX_PARTITIONS]}), the last field of the frame */
    private static int lastCount(ByteBuf in, int min, String field) {
        Protocol.need(in, 4, field);
        int n = in.readInt();
        ServerConnection.end(in, Protocol.ADD_PARTITIONS);
        if (n < min || n > MAX_PARTITIONS) {
            throw new Protocol.BadFrameException(field + " " + Integer.toUnsignedString(n) + " outside [" + min + ", "
                    + MAX_PARTITIONS + "]");
        }
        return n;
    }
}
