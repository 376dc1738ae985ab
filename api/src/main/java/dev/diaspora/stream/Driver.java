package dev.diaspora.stream;

import dev.diaspora.stream.internal.engine.Drivers;
import java.util.List;
import java.util.Map;

/**
 * The entry point: a connection to one storage backend (files under a root path, a Kafka cluster, netty servers, an
 * in-process store), found by name through {@link java.util.ServiceLoader}.
 *
 * <pre>{@code
 * try (Driver driver = Driver.open("files", Metadata.of("{\"root_path\":\"diaspora-data\"}"))) {
 *     driver.createTopic("collisions", Metadata.of("{\"num_partitions\":4}"));
 *     try (TopicHandle topic = driver.openTopic("collisions")) { ... }
 * }
 * }</pre>
 *
 * <p>Closing a driver closes the topics, producers, consumers and thread pools made from it.
 *
 * <p>Thread safety: thread-safe.
 */
public interface Driver extends AutoCloseable {
    /**
     * Opens a driver by name with its options.
     *
     * @param name a driver name, as listed by {@link #available()}
     * @param options the driver's options as a JSON object; unknown keys are rejected
     * @throws DriverNotFoundException naming the drivers that are available and the artifact to add
     * @throws InvalidOptionException naming the bad key or value and the accepted ones
     */
    static Driver open(String name, Metadata options) {
        return Drivers.open(name, options);
    }

    /**
     * Opens a driver by name with its options and the handler of failures on its background threads: the driver's
     * own threads (see {@link BackgroundErrorHandler}) and, unless their options set another, the threads of its
     * producers and consumers. {@code Driver.open(name, options)} uses {@link BackgroundErrorHandler#logging()}.
     *
     * @param onBackgroundError must be thread-safe and must not block; exceptions it throws are logged and ignored
     * @throws DriverNotFoundException naming the drivers that are available and the artifact to add
     * @throws InvalidOptionException naming the bad key or value and the accepted ones
     */
    static Driver open(String name, Metadata options, BackgroundErrorHandler onBackgroundError) {
        return Drivers.open(name, options, java.util.Objects.requireNonNull(onBackgroundError, "onBackgroundError"));
    }

    /**
     * Opens a driver by name with options given as a map, without writing JSON:
     * {@code Driver.open("files", Map.of(FilesDriverProvider.ROOT_PATH, dir))}. The map is converted as
     * {@link Metadata#of(Map)} describes (nested maps for nested options, lists for arrays, {@code Duration}s as
     * milliseconds); each driver's provider class names its options as constants.
     *
     * @throws DriverNotFoundException naming the drivers that are available and the artifact to add
     * @throws InvalidOptionException naming the bad key or value and the accepted ones
     * @throws IllegalArgumentException naming a key whose value has no JSON form
     */
    static Driver open(String name, Map<String, ?> options) {
        return Drivers.open(name, Metadata.of(options));
    }

    /** Opens a driver with no options. */
    static Driver open(String name) {
        return Drivers.open(name, Metadata.EMPTY);
    }

    /** @return every driver on the class path, with its documented driver and topic options */
    static List<DriverInfo> available() {
        return Drivers.available();
    }

    /** @return this driver's name */
    String name();

    /** Creates a topic with default options and components. */
    default void createTopic(String name) {
        createTopic(name, Metadata.EMPTY);
    }

    /** Creates a topic with these options ({@code num_partitions}, ...) and the default components. */
    default void createTopic(String name, Metadata options) {
        createTopic(name, options, Validator.defaultValidator(), PartitionSelector.defaultSelector(),
                Serializer.defaultSerializer());
    }

    /**
     * Creates a topic with options given as a map ({@code Map.of(TopicOptions.NUM_PARTITIONS, 4)}) and the default
     * components; the map is converted as {@link Metadata#of(Map)} describes.
     */
    default void createTopic(String name, Map<String, ?> options) {
        createTopic(name, Metadata.of(options));
    }

    /**
     * Creates a topic. The components' configurations are stored with it, so every process that opens it uses the
     * same ones.
     *
     * @throws TopicExistsException if the name is taken
     * @throws IllegalArgumentException if the name is not valid (1 to 200 characters of letters, digits, '.', '_' and
     *     '-', not '.' or '..')
     * @throws InvalidOptionException if an option is unknown or invalid
     */
    void createTopic(String name, Metadata options, Validator validator, PartitionSelector selector,
            Serializer serializer);

    /** Makes sure a topic with default options and components exists; see the five-argument form. */
    default boolean createTopicIfAbsent(String name) {
        return createTopicIfAbsent(name, Metadata.EMPTY);
    }

    /** Makes sure a topic with these options and the default components exists; see the five-argument form. */
    default boolean createTopicIfAbsent(String name, Metadata options) {
        return createTopicIfAbsent(name, options, Validator.defaultValidator(), PartitionSelector.defaultSelector(),
                Serializer.defaultSerializer());
    }

    /**
     * Makes sure a topic exists with this configuration: creates it, or accepts the one that exists if its stored
     * options (defaults filled in) and component configurations are the ones given. An option given neither here nor
     * by a default is left to the driver and not compared, except {@code retention.ms}, {@code retention.bytes} and
     * {@code segment.ms}, whose absence means "none". Safe when many processes (or
     * threads, or driver instances) call it at once on the same storage: exactly one of them creates the topic and
     * every call returns normally. Use it instead of {@code if (!topicExists(name)) createTopic(...)}, which lets
     * all but one of the racing callers fail with {@link TopicExistsException}.
     *
     * <pre>{@code
     * driver.createTopicIfAbsent("collisions", Metadata.of("{\"num_partitions\":4}"));
     * try (TopicHandle topic = driver.openTopic("collisions")) { ... }
     * }</pre>
     *
     * @return true if this call created the topic, false if it existed with the same configuration
     * @throws TopicMismatchException naming each option or component that differs (stored and requested values) if
     *     the topic exists with another configuration; nothing is changed
     * @throws IllegalArgumentException if the name is not valid
     * @throws InvalidOptionException if an option is unknown or invalid
     */
    boolean createTopicIfAbsent(String name, Metadata options, Validator validator, PartitionSelector selector,
            Serializer serializer);

    /**
     * Opens a topic.
     *
     * @throws TopicNotFoundException naming the topic if it does not exist
     */
    TopicHandle openTopic(String name);

    /** @return true if the topic exists */
    boolean topicExists(String name);

    /**
     * @return every topic's name and description: its options ({@code num_partitions}, ...) and components
     *     ({@code validator}, {@code partition_selector}, {@code serializer}), each a JSON object
     */
    Map<String, Metadata> listTopics();

    /**
     * Changes options of an existing topic, for example its retention:
     * {@code driver.alterTopic("collisions", Metadata.of("{\"retention.ms\":86400000}"))}. Only the options the
     * driver can change after creation are accepted ({@code Capabilities.alterableOptions()}, listed by the error);
     * the others keep their values. Open producers, consumers and the driver's background work (retention) of every
     * process follow the new values; {@link #listTopics()} reports them.
     *
     * @throws InvalidOptionException naming each option that is unknown, invalid or fixed at creation, and the ones
     *     this driver can change; nothing is changed
     * @throws UnsupportedOperationException naming the driver if it cannot change any topic option
     * @throws TopicNotFoundException naming the topic if it does not exist
     */
    void alterTopic(String name, Metadata options);

    /**
     * Grows a topic to {@code newCount} partitions; new partitions start empty, existing ones keep their events. Open
     * producers pass the new count to their partition selector (events go to the new partitions as the selector
     * decides) and open consumers of all partitions start reading the new ones from their first event: a consumer
     * group rebalances to include them, a consumer with explicit targets keeps its targets. Other processes follow
     * within the driver's refresh interval (see its README).
     *
     * @throws IllegalArgumentException if {@code newCount} is not larger than the current count: partitions are never
     *     removed
     * @throws UnsupportedOperationException naming the driver if it cannot add partitions
     *     ({@code Capabilities.addPartitions()})
     * @throws TopicNotFoundException naming the topic if it does not exist
     */
    void addPartitions(String name, int newCount);

    /**
     * Deletes a topic and its stored events.
     *
     * @throws TopicNotFoundException if it does not exist
     */
    void deleteTopic(String name);

    /** @return the pool producers and consumers use when their options name none (0 threads unless configured) */
    ThreadPool defaultThreadPool();

    /** @return a new priority pool of {@code threads} threads that this driver closes when it closes */
    ThreadPool makeThreadPool(int threads);

    /** Closes everything made from this driver. Idempotent. */
    @Override
    void close();
}
