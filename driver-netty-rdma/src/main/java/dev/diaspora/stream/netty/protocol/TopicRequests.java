package dev.diaspora.stream.netty.protocol;

import io.netty.buffer.ByteBuf;

/**
 * The topic requests (PROTOCOL.md, "Requests"): create, open, subscribe, close, list, exists, delete. A decoded topic name is
 * checked with the engine's rule (clients are not trusted to have done so). Topic changes are {@link
 * TopicChangeFrames}.
 *
 * <p>Thread safety: stateless; the records are immutable.
 */
public final class TopicRequests {
    private TopicRequests() {
    }

    /** CREATE_TOPIC: a topic's options and components (JSON), which the server validates. */
    public record CreateTopic(String name, String options, String components) implements Request {
        @Override
        public byte type() {
            return Protocol.CREATE_TOPIC;
        }

        @Override
        public void encode(ByteBuf out) {
            Protocol.writeString(out, name);
            Protocol.writeJson(out, options);
            Protocol.writeJson(out, components);
        }

        public static CreateTopic decode(ByteBuf in) {
            return Protocol.request(Protocol.CREATE_TOPIC, in, b -> new CreateTopic(Protocol.readTopicName(b),
                    Protocol.readJson(b, "topic options"), Protocol.readJson(b, "components")));
        }
    }

    /** OPEN_TOPIC, answered with a {@link Answers.OpenTopicAnswer}. */
    public record OpenTopic(String name) implements Request {
        @Override
        public byte type() {
            return Protocol.OPEN_TOPIC;
        }

        @Override
        public void encode(ByteBuf out) {
            Protocol.writeString(out, name);
        }

        public static OpenTopic decode(ByteBuf in) {
            return Protocol.request(Protocol.OPEN_TOPIC, in, b -> new OpenTopic(Protocol.readTopicName(b)));
        }
    }

    /**
     * SUBSCRIBE (version 2): from now on the server pushes the ends of the handle's partitions (NOTIFY) whenever one
     * moves. Answered with a {@link Answers.Notify} payload: the handle and its partitions' ends at subscription.
     */
    public record Subscribe(int handle) implements Request {
        @Override
        public byte type() {
            return Protocol.SUBSCRIBE;
        }

        @Override
        public void encode(ByteBuf out) {
            out.writeInt(handle);
        }

        public static Subscribe decode(ByteBuf in) {
            return Protocol.request(Protocol.SUBSCRIBE, in, b -> new Subscribe(b.readInt()));
        }
    }

    /** CLOSE_TOPIC: gives a topic handle of the connection up. */
    public record CloseTopic(int handle) implements Request {
        @Override
        public byte type() {
            return Protocol.CLOSE_TOPIC;
        }

        @Override
        public void encode(ByteBuf out) {
            out.writeInt(handle);
        }

        public static CloseTopic decode(ByteBuf in) {
            return Protocol.request(Protocol.CLOSE_TOPIC, in, b -> new CloseTopic(b.readInt()));
        }
    }

    /** LIST_TOPICS (no fields), answered with a {@link Answers.TopicList}. */
    public record ListTopics() implements Request {
        @Override
        public byte type() {
            return Protocol.LIST_TOPICS;
        }

        @Override
        public void encode(ByteBuf out) {
        }

        public static ListTopics decode(ByteBuf in) {
            return Protocol.request(Protocol.LIST_TOPICS, in, b -> new ListTopics());
        }
    }

    /** TOPIC_EXISTS, answered with a {@link Answers.Flag}. */
    public record TopicExists(String name) implements Request {
        @Override
        public byte type() {
            return Protocol.TOPIC_EXISTS;
        }

        @Override
        public void encode(ByteBuf out) {
            Protocol.writeString(out, name);
        }

        public static TopicExists decode(ByteBuf in) {
            return Protocol.request(Protocol.TOPIC_EXISTS, in, b -> new TopicExists(Protocol.readTopicName(b)));
        }
    }

    /** DELETE_TOPIC. */
    public record DeleteTopic(String name) implements Request {
        @Override
        public byte type() {
            return Protocol.DELETE_TOPIC;
        }

        @Override
        public void encode(ByteBuf out) {
            Protocol.writeString(out, name);
        }

        public static DeleteTopic decode(ByteBuf in) {
            return Protocol.request(Protocol.DELETE_TOPIC, in, b -> new DeleteTopic(Protocol.readTopicName(b)));
        }
    }
}
