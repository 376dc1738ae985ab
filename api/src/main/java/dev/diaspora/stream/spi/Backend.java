package dev.diaspora.stream.spi;

import dev.diaspora.stream.Metadata;
import java.util.Map;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * An open driver: topic administration. Made by {@link DriverProvider#open(Options)}; the engine wraps it in the
 * public {@link dev.diaspora.stream.Driver}.
 *
 * <p>Topic names reach the backend already validated by {@link TopicNames} (1 to 200 characters of letters,
 * digits, '.', '_', '-', not starting with '.' or '__'): a driver keeps its own entries under those prefixes. Topic options reach it validated against {@link DriverProvider#topicOptions()}, defaults filled in.
 *
 * <p>Thread safety: implementations are thread-safe.
 */
public interface Backend extends AutoCloseable {
    /**
     * Creates a topic and stores its options and component configurations with it.
     *
     * @param components {@code {"validator":{...},"partition_selector":{...},"serializer":{...}}}; store it opaque
     * @throws dev.diaspora.stream.TopicExistsException if the name is taken
     */
    void createTopic(String name, Options topicOptions, Metadata components);

    /**
     * Opens a topic.
     *
     * @throws dev.diaspora.stream.TopicNotFoundException if it does not exist
     */
    TopicBackend openTopic(String name);

    /** @return true if the topic exists */
    boolean topicExists(String name);

    /**
     * @return each topic's description: a JSON object with its options and the component configurations as stored
     *     ({@code num_partitions}, ..., {@code validator}, {@code partition_selector}, {@code serializer})
     */
    Map<String, Metadata> listTopics();

    /**
     * @return one topic's description, as {@link #listTopics()} gives it, or null if it does not exist. The default
     *     lists every topic; override it where one topic is cheaper to describe
     */
    default Metadata describeTopic(String name) {
        return listTopics().get(name);
    }

    /**
     * Changes options of an existing topic; open producers, consumers and background work (retention) of every
     * process follow the new values. Called only with options the provider lists in
     * {@link Capabilities#alterableOptions()}.
     *
     * @param changes the options to change, validated, without defaults (an absent option keeps its value)
     * @throws dev.diaspora.stream.TopicNotFoundException if the topic does not exist
     * @throws UnsupportedOperationException if the driver declares no alterable options (the default)
     */
    default void alterTopic(String name, Options changes) {
        throw new UnsupportedOperationException("this driver cannot change topic options");
    }

    /**
     * Grows a topic to {@code newCount} partitions (larger than the current count, checked by the engine against
     * {@link TopicBackend#partitions()} and again here, atomically). Open topic backends of every process report the
     * new partitions from {@link TopicBackend#partitions()} (and {@link LocalTopic#numPartitions()}) once they see
     * the change; new partitions start empty.
     *
     * @throws dev.diaspora.stream.TopicNotFoundException if the topic does not exist
     * @throws IllegalArgumentException if the topic already has {@code newCount} partitions or more
     * @throws UnsupportedOperationException if {@link Capabilities#addPartitions()} is false (the default)
     */
    default void addPartitions(String name, int newCount) {
        throw new UnsupportedOperationException("this driver cannot add partitions");
    }

    /**
     * Deletes a topic and its events.
     *
     * @throws dev.diaspora.stream.TopicNotFoundException if it does not exist
     * @throws UnsupportedOperationException if the driver cannot delete topics
     */
    void deleteTopic(String name);

    /**
     * The largest event this opened driver stores, when one of its options sets it; the engine fails a larger push
     * with {@link dev.diaspora.stream.EventTooLargeException} naming {@link EventSizeLimit#option()}.
     *
     * @return the limit of this opened driver, or null (the default) for the provider's
     *     {@link Capabilities#maxEventSize()}
     */
    default EventSizeLimit maxEventSize() {
        return null;
    }

    /**
     * The pending-events bound a producer of this driver should have when its options give none
     * ({@link dev.diaspora.stream.ProducerOptions#maxPendingEvents(int)}): sized to what the driver's own client holds
     * (for example a client library's send buffer), so that the engine's bound does not stop pushes long before the
     * client is full. Asked once per producer, when it opens.
     *
     * @return the suggested bound, at least 1, or empty (the default) for
     *     {@link dev.diaspora.stream.ProducerOptions#DEFAULT_MAX_PENDING_EVENTS}
     */
    default OptionalInt suggestedMaxPendingEvents() {
        return OptionalInt.empty();
    }

    /**
     * The pending-bytes bound (metadata plus data) a producer of this driver should have when its options give none
     * ({@link dev.diaspora.stream.ProducerOptions#maxPendingBytes(long)}); see {@link #suggestedMaxPendingEvents()}.
     *
     * @return the suggested bound, at least 1, or empty (the default) for
     *     {@link dev.diaspora.stream.ProducerOptions#DEFAULT_MAX_PENDING_BYTES}
     */
    default OptionalLong suggestedMaxPendingBytes() {
        return OptionalLong.empty();
    }

    /**
     * The largest event (metadata plus data, in bytes) an opened driver stores and the option that sets it.
     *
     * @param bytes the limit, at least 1
     * @param option what a user changes to raise it, as the error message should name it (for example
     *     {@code "the driver option 'max_event_size'"})
     */
    record EventSizeLimit(long bytes, String option) {
        /** Checks the limit. */
        public EventSizeLimit {
            if (bytes < 1) {
                throw new IllegalArgumentException("an event size limit must be at least 1 byte: " + bytes);
            }
            if (option == null || option.isBlank()) {
                throw new IllegalArgumentException("an event size limit must name the option that sets it");
            }
        }
    }

    /** Releases the backend; the engine closes every topic first. Idempotent. */
    @Override
    void close();
}
