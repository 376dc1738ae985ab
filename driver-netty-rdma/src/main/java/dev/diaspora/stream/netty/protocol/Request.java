package dev.diaspora.stream.netty.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * A request frame's payload (PROTOCOL.md, "Requests"), one record per frame kind: the client builds one and {@link
 * #encode}s it, the server {@link #decode}s it (every field checked against the frame and the limits of {@link
 * Protocol}) and acts on the record. APPEND is {@link AppendRequest}, which the server decodes apart: its data stays
 * in the frame's buffer.
 *
 * <p>Thread safety: the records are immutable (those holding arrays do not copy them: do not modify them).
 */
public interface Request {
    /** @return the frame type ({@code Protocol.HELLO} ...) */
    byte type();

    /** Writes the payload (the bytes after the frame header) to {@code out}. */
    void encode(ByteBuf out);

    /** @return the payload in a new buffer of {@code alloc}, which the caller owns */
    default ByteBuf encode(ByteBufAllocator alloc) {
        return Protocol.encode(alloc, this::encode);
    }

    /**
     * Decodes the payload of a request of {@code type} (reader index after the frame header) into its record.
     *
     * @throws Protocol.BadFrameException if the type is unknown (or APPEND, decoded by {@link AppendRequest}) or the
     *     payload breaks PROTOCOL.md
     */
    static Request decode(int type, ByteBuf in) {
        switch (type) {
            case Protocol.HELLO: return Handshake.Hello.decode(in);
            case Protocol.CREATE_TOPIC: return TopicRequests.CreateTopic.decode(in);
            case Protocol.OPEN_TOPIC: return TopicRequests.OpenTopic.decode(in);
            case Protocol.CLOSE_TOPIC: return TopicRequests.CloseTopic.decode(in);
            case Protocol.SUBSCRIBE: return TopicRequests.Subscribe.decode(in);
            case Protocol.LIST_TOPICS: return TopicRequests.ListTopics.decode(in);
            case Protocol.TOPIC_EXISTS: return TopicRequests.TopicExists.decode(in);
            case Protocol.DELETE_TOPIC: return TopicRequests.DeleteTopic.decode(in);
            case Protocol.ALTER_TOPIC: return TopicChangeFrames.AlterTopic.decode(in);
            case Protocol.ADD_PARTITIONS: return TopicChangeFrames.AddPartitions.decode(in);
            case Protocol.BOUNDS: return PartitionRequests.Bounds.decode(in);
            case Protocol.ID_FOR_TIME: return PartitionRequests.IdForTime.decode(in);
            case Protocol.READ: return PartitionRequests.Read.decode(in);
            case Protocol.READ_INLINE: return PartitionRequests.ReadInline.decode(in);
            case Protocol.READ_DATA: return PartitionRequests.ReadData.decode(in);
            case Protocol.LOST_RANGES: return PartitionRequests.LostRanges.decode(in);
            case Protocol.CLOSE_APPENDER: return PartitionRequests.CloseAppender.decode(in);
            case Protocol.COMMITTED: return ConsumerRequests.Committed.decode(in);
            case Protocol.COMMIT: return ConsumerRequests.Commit.decode(in);
            case Protocol.LEASE: return ConsumerRequests.Lease.decode(in);
            case Protocol.RELEASE: return ConsumerRequests.Release.decode(in);
            case Protocol.CONSUMER_NAMES: return ConsumerRequests.ConsumerNames.decode(in);
            case Protocol.JOIN: return ConsumerRequests.Join.decode(in);
            case Protocol.HEARTBEAT: return ConsumerRequests.Heartbeat.decode(in);
            case Protocol.LEAVE: return ConsumerRequests.Leave.decode(in);
            case Protocol.MEMBERS: return ConsumerRequests.Members.decode(in);
            default: throw new Protocol.BadFrameException("unknown request type " + type);
        }
    }
}
