package dev.diaspora.stream.rabbitmq;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.rabbitmq.stream.ConfirmationStatus;
import com.rabbitmq.stream.Environment;
import com.rabbitmq.stream.OffsetSpecification;
import com.rabbitmq.stream.Producer;
import dev.diaspora.stream.BackgroundErrorHandler;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.TopicExistsException;
import dev.diaspora.stream.TopicNotFoundException;
import dev.diaspora.stream.spi.Backend;
import dev.diaspora.stream.spi.Options;
import dev.diaspora.stream.spi.TopicBackend;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An open rabbitmq driver: topic administration over the streams of one virtual host.
 *
 * <p>Streams of a topic {@code t}: {@code t/config} (offset 0: the topic's options, components and incarnation;
 * later: the consumer names that stored positions) and {@code t/0} ... {@code t/N-1}, the partitions. The stream
 * {@code __diaspora.catalog} lists creates and deletes, since the stream protocol cannot list streams. The config
 * stream is created first and is the gate (exactly one creator succeeds); its topic record is written last and marks
 * the topic complete.
 *
 * <p>Thread safety: thread-safe.
 */
final class RabbitBackend implements Backend {
    private static final AtomicInteger THREADS = new AtomicInteger();

    final RabbitConfig config;
    final StreamAdmin admin;
    /** The I/O threads of every connection of this backend, ended without a quiet period at close. */
    private final EventLoopGroup group;
    final Environment environment;
    private final Catalog catalog;
    private final ScheduledExecutorService scheduler;
    /** Told about failures on the driver's threads that no future carries. */
    final BackgroundErrorHandler errors;
    private final Set<RabbitTopic> open = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    RabbitBackend(RabbitConfig config) {
        this(config, BackgroundErrorHandler.logging());
    }

    /** @param errors told about failures on the driver's threads that no future carries (the push timeout sweep) */
    RabbitBackend(RabbitConfig config, BackgroundErrorHandler errors) {
        this.config = config;
        this.errors = errors;
        int instance = THREADS.incrementAndGet();
        this.scheduler = Executors.newScheduledThreadPool(1, r -> {
            Thread t = new Thread(r, "diaspora-rabbitmq-scheduler-" + instance);
            t.setDaemon(true);
            return t;
        });
        this.group = new MultiThreadIoEventLoopGroup(2, new DefaultThreadFactory("diaspora-rabbitmq-io-" + instance,
                true), NioIoHandler.newFactory());
        Environment env = null;
        StreamAdmin a = null;
        try {
            a = new StreamAdmin(config, group);
            env = config.environment(scheduler, group);
            if (a.create(Catalog.ANCHOR, Map.of())) {
                publish(env, Catalog.ANCHOR, Layout.text(Layout.KIND_HEADER, "{\"catalog\":true}"));
            }
        } catch (RuntimeException e) {
            if (env != null) {
                env.close();
            }
            if (a != null) {
                a.close();
            }
            shutdownThreads();
            throw e;
        }
        this.admin = a;
        this.environment = env;
        this.catalog = new Catalog(this, a);
    }

    /** @return the topic catalog (tests inspect it) */
    Catalog catalog() {
        return catalog;
    }

    /** @return the stream that holds topic {@code topic}'s record, positions and consumer names */
    static String configStream(String topic) {
        return topic + "/config";
    }

    static String partitionStream(String topic, int p) {
        return topic + "/" + p;
    }

    /** Publishes one record and waits for the broker's confirm. */
    void publish(String stream, byte[] body) {
        publish(environment, stream, body);
    }

    private void publish(Environment env, String stream, byte[] body) {
        Producer producer = env.producerBuilder().stream(stream).build();
        try {
            CompletableFuture<ConfirmationStatus> confirmed = new CompletableFuture<>();
            producer.send(producer.messageBuilder().addData(body).build(), confirmed::complete);
            ConfirmationStatus s = confirmed.get(config.timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!s.isConfirmed()) {
                throw new DiasporaException("RabbitMQ at " + config.address() + " did not store a record in stream '"
                        + stream + "': code " + s.getCode());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new dev.diaspora.stream.InterruptException("interrupted writing stream '" + stream + "'", e);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new DiasporaException("RabbitMQ at " + config.address() + " did not confirm a record in stream '"
                    + stream + "' within " + config.timeout.toMillis() + " ms", e);
        } finally {
            producer.close();
        }
    }

    private static Map<String, String> streamArguments(Options o) {
        Map<String, String> args = new HashMap<>();
        if (o.has(RabbitDriverProvider.MAX_AGE)) {
            args.put("max-age", o.string(RabbitDriverProvider.MAX_AGE));
        }
        if (o.has(RabbitDriverProvider.MAX_LENGTH_BYTES)) {
            args.put("max-length-bytes", String.valueOf(o.integer(RabbitDriverProvider.MAX_LENGTH_BYTES, 0)));
        }
        if (o.has(RabbitDriverProvider.MAX_SEGMENT_SIZE_BYTES)) {
            args.put("stream-max-segment-size-bytes",
                    String.valueOf(o.integer(RabbitDriverProvider.MAX_SEGMENT_SIZE_BYTES, 0)));
        }
        return args;
    }

    @Override
    public void createTopic(String name, Options topicOptions, Metadata components) {
        checkOpen();
        int n = topicOptions.intValue("num_partitions", 1);
        Map<String, String> args = streamArguments(topicOptions);
        if (!admin.create(configStream(name), Map.of())) {
            throw new TopicExistsException("Topic '" + name + "' already exists in RabbitMQ at " + config.address()
                    + " (stream '" + configStream(name) + "'); open it, or delete it first");
        }
        try {
            for (int p = 0; p < n; p++) {
                String s = partitionStream(name, p);
                if (!admin.create(s, args)) { // left over by a topic whose delete was cut short
                    admin.delete(s);
                    admin.create(s, args);
                }
                publish(s, Layout.text(Layout.KIND_HEADER, "{\"topic\":" + quote(name) + ",\"partition\":" + p
                        + "}"));
            }
            ObjectNode record = JsonNodeFactory.instance.objectNode();
            record.set("options", topicOptions.toMetadata().json());
            record.set("components", components.json());
            record.put("incarnation", UUID.randomUUID().toString());
            publish(configStream(name), Layout.text(Layout.KIND_TOPIC, record.toString()));
            catalog.created(name);
        } catch (RuntimeException e) {
            try {
                admin.delete(configStream(name));
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    private static String quote(String s) {
        return JsonNodeFactory.instance.textNode(s).toString();
    }

    /** @return the topic's stored record ({@code options}, {@code components}, {@code incarnation}), or null */
    ObjectNode topicRecord(String name) {
        JsonNode[] out = {null};
        boolean exists = admin.read(configStream(name), OffsetSpecification.first(), (offset, ts, m) -> {
            byte[] body = RabbitTopic.body(m);
            if (Layout.kind(body) == Layout.KIND_TOPIC) {
                out[0] = Metadata.of(Layout.text(body)).json();
                return true;
            }
            throw new DiasporaException("stream '" + configStream(name) + "' at offset " + offset + " holds "
                    + Layout.describe(body) + ", not a diaspora topic record: it is not a topic of this driver");
        });
        return exists && out[0] instanceof ObjectNode ? (ObjectNode) out[0] : null;
    }

    @Override
    public TopicBackend openTopic(String name) {
        checkOpen();
        ObjectNode record = topicRecord(name);
        if (record == null) {
            throw new TopicNotFoundException("Topic '" + name + "' does not exist in RabbitMQ at " + config.address());
        }
        RabbitTopic t = new RabbitTopic(this, name, record);
        open.add(t);
        return t;
    }

    void closed(RabbitTopic t) {
        open.remove(t);
    }

    @Override
    public boolean topicExists(String name) {
        checkOpen();
        return admin.exists(configStream(name));
    }

    @Override
    public Map<String, Metadata> listTopics() {
        checkOpen();
        Set<String> names = catalog.list().names();
        Map<String, Metadata> out = new TreeMap<>();
        for (String name : new ArrayList<>(names)) {
            Metadata d = describeTopic(name);
            if (d != null) {
                out.put(name, d);
            }
        }
        return out;
    }

    @Override
    public Metadata describeTopic(String name) {
        checkOpen();
        if (!admin.exists(configStream(name))) {
            return null;
        }
        ObjectNode record = topicRecord(name);
        return record == null ? null : describe(record);
    }

    static Metadata describe(ObjectNode record) {
        ObjectNode d = JsonNodeFactory.instance.objectNode();
        if (record.get("options") instanceof ObjectNode) {
            d.setAll((ObjectNode) record.get("options"));
        }
        if (record.get("components") instanceof ObjectNode) {
            d.setAll((ObjectNode) record.get("components").deepCopy());
        }
        return Metadata.of(d);
    }

    @Override
    public void deleteTopic(String name) {
        checkOpen();
        ObjectNode record = topicRecord(name);
        if (record == null) {
            throw new TopicNotFoundException("Topic '" + name + "' does not exist in RabbitMQ at " + config.address());
        }
        int n = record.path("options").path("num_partitions").asInt(1);
        if (!admin.delete(configStream(name))) {
            throw new TopicNotFoundException("Topic '" + name + "' was deleted by another client meanwhile");
        }
        List<RuntimeException> failures = new ArrayList<>();
        for (int p = 0; p < n; p++) {
            try {
                admin.delete(partitionStream(name, p));
            } catch (RuntimeException e) {
                failures.add(e);
            }
        }
        catalog.deleted(name);
        if (!failures.isEmpty()) {
            throw failures.get(0);
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the rabbitmq driver is closed");
        }
    }

    ScheduledExecutorService scheduler() {
        return scheduler;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (RabbitTopic t : List.copyOf(open)) {
            t.close(true);
        }
        try {
            environment.close();
        } finally {
            admin.close();
            shutdownThreads();
        }
    }

    private void shutdownThreads() {
        scheduler.shutdownNow();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        try {
            scheduler.awaitTermination(5, TimeUnit.SECONDS);
            group.terminationFuture().await(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
