package dev.diaspora.stream.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diaspora.stream.BackgroundErrorHandler;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.InterruptException;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.ProducerOptions;
import dev.diaspora.stream.TopicExistsException;
import dev.diaspora.stream.TopicNotFoundException;
import dev.diaspora.stream.spi.Backend;
import dev.diaspora.stream.spi.Backoff;
import dev.diaspora.stream.spi.Clock;
import dev.diaspora.stream.spi.Options;
import dev.diaspora.stream.spi.SerialExecutor;
import dev.diaspora.stream.spi.TopicBackend;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Topic administration over one Kafka cluster: an {@link Admin} client, one idempotent {@link KafkaProducer} shared by
 * every appender, and the {@link KafkaTopicRegistry} that holds each topic's options and component configurations.
 *
 * <p>Thread safety: thread-safe.
 */
final class KafkaBackend implements Backend {
    /**
     * The pace of the waits for a topic change to become visible in Kafka (a created topic in the metadata, a deleted
     * one gone from it): 20 ms at first, doubling (jittered) up to 200 ms, within the API timeout.
     */
    static final Backoff TOPIC_WAIT = Backoff.exponential(Duration.ofMillis(20), Duration.ofMillis(200));
    static final String DEFAULT_COMPONENTS = "{\"validator\":{\"type\":\"default\"},"
            + "\"partition_selector\":{\"type\":\"default\"},\"serializer\":{\"type\":\"default\"}}";

    private static final AtomicInteger CLIENTS = new AtomicInteger();
    private static final AtomicInteger THREADS = new AtomicInteger();
    /** (bootstrap, topic, name, partition) held by a live session with explicit targets in this JVM. */
    static final Set<String> LEASES = ConcurrentHashMap.newKeySet();

    final KafkaConfig config;
    final Admin admin;
    final KafkaProducer<byte[], byte[]> producer;
    /** The thread of {@link #completions}. */
    private final ExecutorService completionThread;
    /** Runs producer completions off Kafka's network thread, in completion order (so per partition in order). */
    private final SerialExecutor completions;
    /** Each topic's options and components. */
    final KafkaTopicRegistry registry;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Told about failures on the driver's threads that no future carries (the completion drain). */
    final BackgroundErrorHandler errors;
    /** How the topics this driver creates are replicated, fixed when it opens (the cluster's size). */
    final KafkaReplication replication;
    /** The producer's {@code buffer.memory} in force: the driver's default or the user's {@code kafka} setting. */
    private final long bufferMemory;
    /**
     * The bytes of Kafka's buffer the suggested pending-events bound counts per event: 512, so that the default 32 MiB
     * buffer keeps the engine's 65,536 events and a larger {@code buffer.memory} lets proportionally more events
     * pend. Bounds nearer what the buffer holds of 100-byte events (about 160 bytes each: 209,715 and 262,144 events)
     * did not push faster on the loaded test machine and held more heap; see the README, "Producer memory bound".
     */
    static final int SUGGESTED_EVENT_FOOTPRINT = 512;

    KafkaBackend(KafkaConfig config) {
        this(config, BackgroundErrorHandler.logging());
    }

    /** @param errors told about failures on the driver's threads that no future carries */
    KafkaBackend(KafkaConfig config, BackgroundErrorHandler errors) {
        this.config = config;
        this.errors = errors;
        long timeout = config.apiTimeoutMs();
        Admin a = null;
        KafkaProducer<byte[], byte[]> p = null;
        try {
            a = Admin.create(config.client(Map.of("client.id", clientId("admin")), Map.of()));
            this.replication = new KafkaReplication(config, KafkaReplication.brokers(a, config, timeout));
            Map<String, Object> pd = new HashMap<>();
            pd.put("client.id", clientId("producer"));
            pd.put("max.block.ms", String.valueOf(KafkaConfig.DEFAULT_TIMEOUT_MS));
            pd.put("linger.ms", "5");
            pd.put("max.request.size", String.valueOf(config.maxRequestSize()));
            // a record must fit the producer's buffer: room for two of the largest
            pd.put("buffer.memory", String.valueOf(Math.max(32L << 20, 2 * config.maxRequestSize())));
            Properties producerConfig = config.client(pd, Map.of("acks", "all", "enable.idempotence", "true"));
            this.bufferMemory = bufferMemory(producerConfig);
            p = new KafkaProducer<>(producerConfig, new ByteArraySerializer(), new ByteArraySerializer());
            this.registry = new KafkaTopicRegistry(config, a, p, replication.registryReplicationFactor);
        } catch (RuntimeException e) {
            closeQuietly(p, a);
            if (e instanceof DiasporaException) {
                throw e;
            }
            throw new DiasporaException("kafka: cannot open the driver on bootstrap.servers=" + config.bootstrap + ": "
                    + e, e);
        }
        this.admin = a;
        this.producer = p;
        ThreadPoolExecutor ex = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(),
                task -> {
                    Thread t = new Thread(task, "diaspora-kafka-completion-" + THREADS.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        this.completionThread = ex;
        // the thread serves this drain alone: no burst limit
        this.completions = new SerialExecutor(ex, Integer.MAX_VALUE, errors,
                "kafka: a producer completion failed; the other completions go on");
    }

    static void closeQuietly(AutoCloseable... cs) {
        for (AutoCloseable c : cs) {
            if (c != null) {
                try {
                    if (c instanceof KafkaProducer) {
                        ((KafkaProducer<?, ?>) c).close(Duration.ofSeconds(5));
                    } else if (c instanceof KafkaConsumer) {
                        ((KafkaConsumer<?, ?>) c).close(CloseOptions.timeout(Duration.ofSeconds(5)));
                    } else if (c instanceof Admin) {
                        ((Admin) c).close(Duration.ofSeconds(5));
                    } else {
                        c.close();
                    }
                } catch (Exception ignored) {
                    // best effort
                }
            }
        }
    }

    static String clientId(String role) {
        return "diaspora-kafka-" + role + "-" + CLIENTS.incrementAndGet();
    }

    /** Waits for a Kafka future within the API timeout, unwrapping its failure. */
    <T> T await(KafkaFuture<T> f, String what) throws ExecutionException {
        long timeout = config.apiTimeoutMs() + 1_000;
        try {
            return f.get(timeout, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new DiasporaException("kafka: " + what + " timed out after " + timeout + " ms (bootstrap.servers="
                    + config.bootstrap + ")", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptException(what, e);
        }
    }

    /** Like {@link #await} but wraps every failure. */
    <T> T call(KafkaFuture<T> f, String what) {
        try {
            return await(f, what);
        } catch (ExecutionException e) {
            throw fail(what, e.getCause());
        }
    }

    static DiasporaException fail(String what, Throwable cause) {
        if (cause instanceof DiasporaException) {
            return (DiasporaException) cause;
        }
        return new DiasporaException("kafka: " + what + " failed: " + cause, cause);
    }

    /**
     * Runs a producer completion on the completion thread, in call order. Called on Kafka's network thread: the
     * completions are queued and drained in bursts, so a busy producer costs one thread hand-off per burst, not per
     * event.
     */
    void complete(Runnable completion) {
        completions.execute(completion); // on a closed driver it runs here
    }


    // ---------------------------------------------------------------- Backend

    @Override
    public void createTopic(String name, Options topicOptions, Metadata components) {
        int n = topicOptions.intValue("num_partitions", 1);
        java.util.Map<String, String> configs = new java.util.HashMap<>(replication.topicConfigs());
        configs.putAll(KafkaTopicConfigs.of(topicOptions)); // retention options of the topic
        NewTopic t = new NewTopic(name, n, replication.replicationFactor).configs(configs);
        Backoff.Retry wait = topicWait();
        while (true) {
            try {
                await(admin.createTopics(List.of(t)).all(), "creating topic '" + name + "'");
                break;
            } catch (ExecutionException e) {
                if (e.getCause() instanceof org.apache.kafka.common.errors.TopicExistsException) {
                    // a topic being deleted is reported as existing for a moment: wait if it is not visible
                    if (describe(name) != null || !pause(wait)) {
                        throw new TopicExistsException("Topic '" + name + "' already exists in Kafka at "
                                + config.bootstrap + "; open it with openTopic(\"" + name + "\") or choose another name");
                    }
                    continue;
                }
                if (KafkaReplication.isRefusal(e.getCause())) {
                    throw replication.refused(name, e.getCause());
                }
                throw fail("creating topic '" + name + "'", e.getCause());
            }
        }
        ObjectNode entry = JsonNodeFactory.instance.objectNode();
        ObjectNode stored = ((ObjectNode) topicOptions.toMetadata().json()).deepCopy();
        stored.put(KafkaDriverProvider.FRAMING, topicOptions.has(KafkaDriverProvider.FRAMING)
                ? topicOptions.string(KafkaDriverProvider.FRAMING) : config.framing.optionValue());
        entry.set("options", stored);
        entry.set("components", components.json());
        registry.write(name, entry.toString().getBytes(StandardCharsets.UTF_8));
        // wait until the topic's metadata is visible, so openTopic right after works
        while (describe(name) == null) {
            if (!pause(wait)) {
                throw new DiasporaException("kafka: topic '" + name + "' was created but is not visible after "
                        + config.apiTimeoutMs() + " ms");
            }
        }
    }

    /** @return a wait for a topic change to become visible, of at most the API timeout, paced by {@link #TOPIC_WAIT} */
    private Backoff.Retry topicWait() {
        return TOPIC_WAIT.deadline(Duration.ofMillis(config.apiTimeoutMs())).start(Clock.system());
    }

    /** @return false at once if the wait is over, else true after its next pause */
    private static boolean pause(Backoff.Retry wait) {
        try {
            return wait.pause();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptException("waiting for Kafka", e);
        }
    }

    /** @return the topic's description, or null if Kafka does not know it */
    TopicDescription describe(String name) {
        try {
            return await(admin.describeTopics(List.of(name)).topicNameValues().get(name), "describing topic '"
                    + name + "'");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                return null;
            }
            throw fail("describing topic '" + name + "'", e.getCause());
        }
    }

    @Override
    public void alterTopic(String name, Options changes) {
        KafkaTopicConfigs.alter(this, name, changes);
    }

    @Override
    public void addPartitions(String name, int newCount) {
        KafkaTopicConfigs.addPartitions(this, name, newCount);
    }

    @Override
    public TopicBackend openTopic(String name) {
        TopicDescription d = describe(name);
        if (d == null || isHidden(name)) {
            throw new TopicNotFoundException("Topic '" + name + "' does not exist in Kafka at " + config.bootstrap
                    + "; create it first with createTopic(\"" + name + "\")");
        }
        replication.warnIfUnderReplicated(d);
        JsonNode entry = registry.entry(name);
        Metadata components = entry != null && entry.has("components") ? Metadata.of(entry.get("components"))
                : Metadata.of(DEFAULT_COMPONENTS);
        return new KafkaTopic(this, name, d.partitions().size(), components, framingOf(name, entry), d.topicId());
    }

    /** @return the framing stored with the topic; INLINE for topics without an entry or with an older one */
    private static RecordFraming framingOf(String name, JsonNode entry) {
        JsonNode f = entry == null ? null : entry.path("options").get(KafkaDriverProvider.FRAMING);
        if (f == null || !f.isTextual()) {
            return RecordFraming.INLINE;
        }
        return RecordFraming.of(f.textValue(), "stored for topic '" + name + "' in " + KafkaTopicRegistry.TOPIC
                + " (written by a newer driver?)");
    }

    private static boolean isHidden(String name) {
        return name.startsWith("__");
    }

    @Override
    public boolean topicExists(String name) {
        return !isHidden(name) && describe(name) != null;
    }

    @Override
    public Map<String, Metadata> listTopics() {
        Set<String> names = call(admin.listTopics().names(), "listing topics");
        List<String> ours = new ArrayList<>();
        for (String n : names) {
            if (!isHidden(n)) {
                ours.add(n);
            }
        }
        Map<String, TopicDescription> ds = ours.isEmpty() ? Map.of()
                : call(admin.describeTopics(ours).allTopicNames(), "describing topics");
        Map<String, JsonNode> reg = registry.snapshot();
        Map<String, Metadata> out = new TreeMap<>();
        for (Map.Entry<String, TopicDescription> e : ds.entrySet()) {
            ObjectNode d = JsonNodeFactory.instance.objectNode();
            JsonNode entry = reg.get(e.getKey());
            if (entry != null && entry.get("options") instanceof ObjectNode) {
                d.setAll((ObjectNode) entry.get("options"));
            }
            d.put("num_partitions", e.getValue().partitions().size());
            JsonNode comps = entry != null && entry.get("components") instanceof ObjectNode ? entry.get("components")
                    : Metadata.of(DEFAULT_COMPONENTS).json();
            d.setAll((ObjectNode) comps.deepCopy());
            out.put(e.getKey(), Metadata.of(d));
        }
        return out;
    }

    @Override
    public void deleteTopic(String name) {
        if (isHidden(name) || describe(name) == null) {
            throw new TopicNotFoundException("Topic '" + name + "' does not exist in Kafka at " + config.bootstrap
                    + "; nothing to delete");
        }
        try {
            await(admin.deleteTopics(List.of(name)).all(), "deleting topic '" + name + "'");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                throw new TopicNotFoundException("Topic '" + name + "' does not exist; nothing to delete");
            }
            throw fail("deleting topic '" + name + "'", e.getCause());
        }
        registry.write(name, null);
        Backoff.Retry wait = topicWait();
        while (describe(name) != null && pause(wait)) {
            // Kafka deletes asynchronously: wait until the topic is gone, at most the API timeout
        }
    }

    /**
     * @return the {@code buffer.memory} of {@code producerConfig}, or kafka-clients' default (32 MiB) if unset or not
     *     a number (kafka-clients then refuses the setting with its own message)
     */
    static long bufferMemory(Properties producerConfig) {
        Object v = producerConfig.get("buffer.memory");
        if (v instanceof Number) {
            return ((Number) v).longValue();
        }
        try {
            return v == null ? 32L << 20 : Long.parseLong(String.valueOf(v).trim());
        } catch (NumberFormatException e) {
            return 32L << 20;
        }
    }

    /**
     * Suggests {@code buffer.memory / }{@value #SUGGESTED_EVENT_FOOTPRINT} pending events (65,536 at the default 32
     * MiB), at least the engine's default, so that a larger Kafka buffer set in the {@code kafka} options also lets
     * more small events pend. The pending bytes keep the engine's default: a buffer raised for large events
     * ({@code max_event_size}) must not let several of them pend at once.
     */
    @Override
    public OptionalInt suggestedMaxPendingEvents() {
        return OptionalInt.of(suggestedMaxPendingEvents(bufferMemory));
    }

    static int suggestedMaxPendingEvents(long bufferMemory) {
        return (int) Math.min(Integer.MAX_VALUE, Math.max(ProducerOptions.DEFAULT_MAX_PENDING_EVENTS,
                bufferMemory / SUGGESTED_EVENT_FOOTPRINT));
    }

    @Override
    public EventSizeLimit maxEventSize() {
        return new EventSizeLimit(config.maxEventSize, "the kafka driver option '" + KafkaDriverProvider.MAX_EVENT_SIZE
                + "' (" + config.maxEventSize + " bytes now; at most " + KafkaDriverProvider.MAX_MAX_EVENT_SIZE + ")");
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            producer.close(Duration.ofSeconds(10));
        } catch (RuntimeException ignored) {
            // best effort
        }
        completionThread.shutdown();
        try {
            completionThread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        registry.close();
        closeQuietly(admin);
    }
}
