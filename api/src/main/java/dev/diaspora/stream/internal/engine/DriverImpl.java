package dev.diaspora.stream.internal.engine;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diaspora.stream.BackgroundErrorHandler;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.PartitionSelector;
import dev.diaspora.stream.ProducerOptions;
import dev.diaspora.stream.Serializer;
import dev.diaspora.stream.ThreadPool;
import dev.diaspora.stream.TopicExistsException;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.TopicMismatchException;
import dev.diaspora.stream.Validator;
import dev.diaspora.stream.internal.components.Components;
import dev.diaspora.stream.internal.metrics.JmxRegistration;
import dev.diaspora.stream.spi.Backend;
import dev.diaspora.stream.spi.Clock;
import dev.diaspora.stream.spi.DriverProvider;
import dev.diaspora.stream.spi.Options;
import dev.diaspora.stream.spi.TopicBackend;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/** The {@link Driver} facade over a driver's {@link Backend}. Not API. */
final class DriverImpl implements Driver {
    private static final AtomicInteger THREADS = new AtomicInteger();

    private final DriverProvider provider;
    private final Backend backend;
    private final List<Path> pluginPath;
    private final Set<TopicHandleImpl> topics = ConcurrentHashMap.newKeySet();
    private final Set<ThreadPool> pools = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Object timerLock = new Object();
    private ScheduledThreadPoolExecutor timer; // guarded by timerLock; made on first use
    private final JmxRegistration mbean;
    private final BackgroundErrorHandler errors; // guarded: never throws
    private final Clock clock;

    DriverImpl(DriverProvider provider, Backend backend, List<Path> pluginPath, BackgroundErrorHandler errors,
            Clock clock) {
        this.errors = errors;
        this.clock = clock;
        this.provider = provider;
        this.backend = backend;
        this.pluginPath = pluginPath;
        this.mbean = EngineMBeans.driver(this);
    }

    /** @return the clock of this driver's producers and consumers: {@link Clock#system()} except in tests */
    Clock clock() {
        return clock;
    }

    /** @return how many topic handles are open */
    long openTopics() {
        return topics.size();
    }

    /** @return how many producers or consumers ({@code type}) are open on this driver's topic handles */
    long openChildren(Class<?> type) {
        long n = 0;
        for (TopicHandleImpl t : topics) {
            n += t.openChildren(type);
        }
        return n;
    }

    @Override
    public String name() {
        return provider.name();
    }

    DriverProvider provider() {
        return provider;
    }

    /**
     * @return {@code options} with the pending bounds a producer runs with, as if given: those {@code options} give,
     *     else the backend's suggestions, else {@link ProducerOptions#DEFAULT_MAX_PENDING_EVENTS} and
     *     {@link ProducerOptions#DEFAULT_MAX_PENDING_BYTES}
     * @throws IllegalStateException if the backend suggests a bound below 1
     */
    ProducerOptions withPendingBounds(ProducerOptions options) {
        ProducerOptions o = options;
        if (!o.maxPendingEventsSet()) {
            OptionalInt s = backend.suggestedMaxPendingEvents();
            o = o.maxPendingEvents(s.isPresent() ? (int) suggested("maxPendingEvents", s.getAsInt())
                    : ProducerOptions.DEFAULT_MAX_PENDING_EVENTS);
        }
        if (!o.maxPendingBytesSet()) {
            OptionalLong s = backend.suggestedMaxPendingBytes();
            o = o.maxPendingBytes(s.isPresent() ? suggested("maxPendingBytes", s.getAsLong())
                    : ProducerOptions.DEFAULT_MAX_PENDING_BYTES);
        }
        return o;
    }

    private long suggested(String option, long value) {
        if (value < 1) {
            throw new IllegalStateException("driver '" + provider.name() + "' suggested " + option + " " + value
                    + ", below 1 (a bug of the driver): give the producer its own bound with ProducerOptions."
                    + option);
        }
        return value;
    }

    /** @return the opened driver's event size limit: the backend's if it reports one, else the provider's */
    Backend.EventSizeLimit maxEventSize() {
        Backend.EventSizeLimit limit = backend.maxEventSize();
        return limit != null ? limit : new Backend.EventSizeLimit(provider.capabilities().maxEventSize(),
                "the driver's size limit (Capabilities.maxEventSize of driver '" + provider.name() + "')");
    }

    /**
     * @return the handler of background failures for a producer or consumer: its own ({@code own}, guarded), or
     *     the driver's when it has none
     */
    BackgroundErrorHandler backgroundErrors(BackgroundErrorHandler own) {
        return own != null ? BackgroundErrorHandler.guarded(own) : errors;
    }

    /** @return a new daemon thread named {@code diaspora-<driver>-<role>-<n>} */
    Thread newThread(String role, Runnable body) {
        Thread t = new Thread(body, "diaspora-" + provider.name() + "-" + role + "-" + THREADS.incrementAndGet());
        t.setDaemon(true);
        return t;
    }

    /** @return the driver's timer (linger), made on first use */
    ScheduledExecutorService timer() {
        synchronized (timerLock) {
            checkOpen();
            if (timer == null) {
                timer = new ScheduledThreadPoolExecutor(1, r -> newThread("timer", r));
                timer.setRemoveOnCancelPolicy(true);
            }
            return timer;
        }
    }

    void checkOpen() {
        if (closed.get()) {
            throw new IllegalStateException("driver '" + provider.name() + "' is closed");
        }
    }

    @Override
    public void createTopic(String name, Metadata options, Validator validator, PartitionSelector selector,
            Serializer serializer) {
        checkOpen();
        Drivers.checkTopicName(name);
        Objects.requireNonNull(options, "options");
        Options topicOptions = provider.topicOptions().validate(options, "topic '" + name + "'");
        backend.createTopic(name, topicOptions, components(validator, selector, serializer));
    }

    private static Metadata components(Validator validator, PartitionSelector selector, Serializer serializer) {
        Objects.requireNonNull(validator, "validator");
        Objects.requireNonNull(selector, "selector");
        Objects.requireNonNull(serializer, "serializer");
        ObjectNode components = Drivers.object();
        components.set("validator", validator.config().json());
        components.set("partition_selector", selector.config().json());
        components.set("serializer", serializer.config().json());
        return Metadata.of(components);
    }

    @Override
    public boolean createTopicIfAbsent(String name, Metadata options, Validator validator,
            PartitionSelector selector, Serializer serializer) {
        checkOpen();
        Drivers.checkTopicName(name);
        Objects.requireNonNull(options, "options");
        Options topicOptions = provider.topicOptions().validate(options, "topic '" + name + "'");
        Metadata components = components(validator, selector, serializer);
        for (int attempt = 1;; attempt++) {
            TopicExistsException exists;
            try {
                backend.createTopic(name, topicOptions, components);
                return true;
            } catch (TopicExistsException e) {
                exists = e;
            }
            Metadata stored = backend.describeTopic(name);
            if (stored == null) { // deleted between the two calls: try again
                if (attempt < 10) {
                    continue;
                }
                throw new TopicExistsException("Topic '" + name + "' exists when created and is gone when described, "
                        + attempt + " times in a row: another process keeps deleting and creating it. Stop it, or"
                        + " use another name", exists);
            }
            Map<String, String> diffs = TopicConfigDiff.differences(stored, provider.topicOptions(), topicOptions,
                    components);
            if (diffs.isEmpty()) {
                return false;
            }
            throw new TopicMismatchException(name, List.copyOf(diffs.keySet()), TopicConfigDiff.message(name, diffs));
        }
    }

    @Override
    public void alterTopic(String name, Metadata options) {
        checkOpen();
        Drivers.checkTopicName(name);
        Objects.requireNonNull(options, "options");
        backend.alterTopic(name, TopicChanges.options(provider, name, options));
    }

    @Override
    public void addPartitions(String name, int newCount) {
        checkOpen();
        Drivers.checkTopicName(name);
        TopicChanges.checkAddPartitions(provider, name);
        int current = currentPartitions(name);
        dev.diaspora.stream.spi.Partitions.checkGrowth(name, current, newCount);
        backend.addPartitions(name, newCount);
    }

    private int currentPartitions(String name) {
        try (TopicBackend tb = backend.openTopic(name)) {
            return tb.partitions().size();
        }
    }

    @Override
    public TopicHandle openTopic(String name) {
        checkOpen();
        Drivers.checkTopicName(name);
        TopicBackend tb = backend.openTopic(name);
        try {
            Metadata c = tb.components();
            Validator v = Components.validator(part(c, "validator"), pluginPath);
            PartitionSelector s = Components.selector(part(c, "partition_selector"), pluginPath);
            Serializer ser = Components.serializer(part(c, "serializer"), pluginPath);
            TopicHandleImpl h = new TopicHandleImpl(this, tb, v, s, ser);
            topics.add(h);
            return h;
        } catch (RuntimeException e) {
            tb.close();
            throw e;
        }
    }

    private static Metadata part(Metadata components, String key) {
        var node = components.json().get(key);
        return node == null || node.isNull() ? Metadata.EMPTY : Metadata.of(node);
    }

    void closed(TopicHandleImpl topic) {
        topics.remove(topic);
    }

    @Override
    public boolean topicExists(String name) {
        checkOpen();
        Drivers.checkTopicName(name);
        return backend.topicExists(name);
    }

    @Override
    public Map<String, Metadata> listTopics() {
        checkOpen();
        return backend.listTopics();
    }

    @Override
    public void deleteTopic(String name) {
        checkOpen();
        Drivers.checkTopicName(name);
        for (TopicHandleImpl t : topics) {
            if (t.name().equals(name)) {
                t.closeDeleted();
            }
        }
        backend.deleteTopic(name);
    }

    @Override
    public ThreadPool defaultThreadPool() {
        return ThreadPool.inline();
    }

    @Override
    public ThreadPool makeThreadPool(int threads) {
        checkOpen();
        if (threads < 0) {
            throw new IllegalArgumentException("thread count must be >= 0, got " + threads);
        }
        if (threads == 0) {
            return ThreadPool.inline();
        }
        ThreadPool p = new PriorityThreadPool(threads, "diaspora-" + provider.name() + "-pool", errors);
        pools.add(p);
        return p;
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        RuntimeException first = null;
        for (TopicHandleImpl t : List.copyOf(topics)) {
            try {
                t.close();
            } catch (RuntimeException e) {
                first = first == null ? e : first;
            }
        }
        for (ThreadPool p : pools) {
            p.close();
        }
        synchronized (timerLock) {
            if (timer != null) {
                timer.shutdownNow();
                try {
                    timer.awaitTermination(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        try {
            backend.close();
        } catch (RuntimeException e) {
            first = first == null ? e : first;
        }
        mbean.close();
        if (first != null) {
            throw first;
        }
    }

    @Override
    public String toString() {
        return "Driver[" + provider.name() + "]";
    }
}
