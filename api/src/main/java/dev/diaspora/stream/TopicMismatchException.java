package dev.diaspora.stream;

import java.util.List;

/**
 * Thrown by {@link Driver#createTopicIfAbsent(String, Metadata, Validator, PartitionSelector, Serializer)} when the
 * topic exists with another configuration than the one requested. The message names every option and component that
 * differs, with the stored and the requested value; nothing was changed. Open the topic as it is, delete and create
 * it again, or choose another name.
 *
 * <p>Thread safety: immutable.
 */
public class TopicMismatchException extends TopicExistsException {
    private static final long serialVersionUID = 1L;

    private final String topic;
    private final List<String> keys;

    /**
     * @param topic the topic name
     * @param keys the options and components that differ ({@code num_partitions}, {@code validator}, ...)
     * @param message what differs and what to do about it
     */
    public TopicMismatchException(String topic, List<String> keys, String message) {
        super(message);
        this.topic = topic;
        this.keys = List.copyOf(keys);
    }

    /** @return the topic name */
    public String topic() {
        return topic;
    }

    /** @return the names of the options and components whose stored value differs from the requested one */
    public List<String> keys() {
        return keys;
    }
}
