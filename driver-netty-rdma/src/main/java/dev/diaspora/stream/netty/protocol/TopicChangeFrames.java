package dev.diaspora.stream.netty.protocol;

import io.netty.buffer.ByteBuf;

/**
 * The frame kinds of topic changes (PROTOCOL.md, "Topic changes"), one codec for both sides: the client encodes a
 * record, the server decodes it (the reader index after the frame header) and the client decodes the answer. A
 * decoder checks every field against the frame and refuses trailing bytes with {@link Protocol.BadFrameException}.
 *
 * <p>Thread safety: stateless; the records are immutable.
 */
public final class TopicChangeFrames {
    /** The most partitions a topic may grow to: one frame of NOTIFY or OPEN_TOPIC answer stays small. */
    public static final int MAX_PARTITIONS = 1 << 16;

    private TopicChangeFrames() {
    }

    /** ALTER_TOPIC: change options of a topic on one server (its files engine validates and applies them). */
    public record AlterTopic(String name, String options) implements Request {
        @Override
        public byte type() {
            return Protocol.ALTER_TOPIC;
        }

        @Override
        public void encode(ByteBuf out) {
            Protocol.writeString(out, name);
            Protocol.writeJson(out, options);
        }

        public static AlterTopic decode(ByteBuf in) {
            return Protocol.request(Protocol.ALTER_TOPIC, in, b -> new AlterTopic(Protocol.readTopicName(b),
                    Protocol.readJson(b, "ALTER_TOPIC options")));
        }
    }

    /**
     * ADD_PARTITIONS: grow a topic to {@code count} partitions in all; the server adds its share of them (by the
     * ring rule of the driver's placement) and answers with a {@link PartitionCount}.
     */
    public record AddPartitions(String name, int count) implements Request {
        @Override
        public byte type() {
            return Protocol.ADD_PARTITIONS;
        }

        @Override
        public void encode(ByteBuf out) {
            Protocol.writeString(out, name);
            out.writeInt(count);
        }

        public static AddPartitions decode(ByteBuf in) {
            return Protocol.answer("ADD_PARTITIONS", in, b -> new AddPartitions(Protocol.readTopicName(b),
                    lastCount(b, 1, "ADD_PARTITIONS count")));
        }
    }

    /** The answer to ADD_PARTITIONS: the partitions of the topic this server holds now. */
    public record PartitionCount(int local) {
        public void encode(ByteBuf out) {
            out.writeInt(local);
        }

        public static PartitionCount decode(ByteBuf in) {
            return new PartitionCount(lastCount(in, 0, "ADD_PARTITIONS answer count"));
        }
    }

    /** @return a partition count (u32 in {@code [min, MAX_PARTITIONS]}), the last field of the frame */
    private static int lastCount(ByteBuf in, int min, String field) {
        Protocol.need(in, 4, field);
        int n = in.readInt();
        Protocol.end(in, Protocol.ADD_PARTITIONS);
        if (n < min || n > MAX_PARTITIONS) {
            throw new Protocol.BadFrameException(field + " " + Integer.toUnsignedString(n) + " outside [" + min + ", "
                    + MAX_PARTITIONS + "]");
        }
        return n;
    }
}
