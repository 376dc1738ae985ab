package dev.diaspora.stream.internal.engine;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerGroup;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.LostRange;
import dev.diaspora.stream.PartitionBounds;
import dev.diaspora.stream.PartitionInfo;
import dev.diaspora.stream.PartitionSelector;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.ProducerOptions;
import dev.diaspora.stream.Serializer;
import dev.diaspora.stream.StartAt;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.Validator;
import dev.diaspora.stream.internal.metrics.JmxRegistration;
import dev.diaspora.stream.spi.TopicBackend;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/** The {@link TopicHandle} facade. Not API. */
final class TopicHandleImpl implements TopicHandle {
    private final DriverImpl driver;
    private final TopicBackend backend;
    private final Validator validator;
    private final PartitionSelector selector;
    private final Serializer serializer;
    private final Set<AutoCloseable> children = ConcurrentHashMap.newKeySet();
    private final Map<AutoCloseable, JmxRegistration> mbeans = new ConcurrentHashMap<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile String closedBecause = ""; // why, when the driver closed it (a deleteTopic)
    /**
     * The most partitions {@link #partitions()} has returned: a topic's partitions only grow, so a partition below it
     * exists without asking the driver again ({@link #checkPartition} runs once per push to a chosen partition, and
     * a driver's {@code partitions()} may read the clock or the file system to notice other processes' changes).
     */
    private volatile int knownPartitions;

    TopicHandleImpl(DriverImpl driver, TopicBackend backend, Validator validator, PartitionSelector selector,
            Serializer serializer) {
        this.driver = driver;
        this.backend = backend;
        this.validator = validator;
        this.selector = selector;
        this.serializer = serializer;
    }

    /** @return how many of this handle's open producers or consumers are of {@code type} */
    long openChildren(Class<?> type) {
        return children.stream().filter(type::isInstance).count();
    }

    DriverImpl driver() {
        return driver;
    }

    TopicBackend backend() {
        return backend;
    }

    @Override
    public String name() {
        return backend.name();
    }

    /** The driver's current list: it grows when partitions are added (see {@code Driver.addPartitions}). */
    @Override
    public List<PartitionInfo> partitions() {
        return backend.partitions();
    }

    @Override
    public Validator validator() {
        return validator;
    }

    @Override
    public PartitionSelector selector() {
        return selector;
    }

    @Override
    public Serializer serializer() {
        return serializer;
    }

    void checkOpen() {
        if (closed.get()) {
            throw new IllegalStateException("topic '" + name() + "' is closed" + closedBecause);
        }
        driver.checkOpen();
    }

    void checkPartition(int p) {
        if (p >= 0 && p < knownPartitions) {
            return;
        }
        List<PartitionInfo> partitions = partitions();
        if (partitions.size() > knownPartitions) {
            knownPartitions = partitions.size(); // racing writers only ever store counts the topic had
        }
        if (p < 0 || p >= partitions.size()) {
            throw new IllegalArgumentException("partition " + p + " is out of range: topic '" + name() + "' has "
                    + partitions.size() + " partitions (0.." + (partitions.size() - 1) + ")");
        }
    }

    @Override
    public Producer producer(ProducerOptions options) {
        checkOpen();
        ProducerImpl p = new ProducerImpl(this, Objects.requireNonNull(options, "options"));
        mbeans.put(p, EngineMBeans.producer(this, p)); // before it is a child: closing the handle then finds both
        children.add(p);
        return p;
    }

    @Override
    public Consumer consumer(ConsumerOptions options) {
        checkOpen();
        Objects.requireNonNull(options, "options");
        int[] targets = options.targets();
        if (targets != null) {
            for (int t : targets) {
                checkPartition(t);
            }
        }
        ConsumerImpl c = new ConsumerImpl(this, options);
        mbeans.put(c, EngineMBeans.consumer(this, c)); // before it is a child: closing the handle then finds both
        children.add(c);
        return c;
    }

    void closed(AutoCloseable child) {
        children.remove(child);
        JmxRegistration r = mbeans.remove(child);
        if (r != null) {
            r.close();
        }
    }

    @Override
    public PartitionBounds bounds(int partition) {
        checkOpen();
        checkPartition(partition);
        return backend.bounds(partition);
    }

    @Override
    public java.util.OptionalLong storedBytes(int partition) {
        checkOpen();
        checkPartition(partition);
        return backend.storedBytes(partition);
    }

    @Override
    public List<LostRange> lostRanges(int partition) {
        checkOpen();
        checkPartition(partition);
        return backend.lostRanges(partition);
    }

    @Override
    public Set<String> consumerNames() {
        checkOpen();
        return backend.consumerNames();
    }

    @Override
    public Map<Integer, Long> positions(String name) {
        checkOpen();
        return backend.committed(Objects.requireNonNull(name, "name"));
    }

    @Override
    public Optional<ConsumerGroup> describeGroup(String name) {
        checkOpen();
        ConsumerOptions.named(Objects.requireNonNull(name, "name")); // validates the name
        return backend.describeGroup(name);
    }

    @Override
    public void resetPositions(String name, StartAt position) {
        checkOpen();
        ConsumerOptions.named(name); // validates the name
        Map<Integer, Long> m = new TreeMap<>();
        int n = partitions().size();
        for (int p = 0; p < n; p++) {
            PartitionBounds b = backend.bounds(p);
            long id;
            switch (position.kind()) {
                case EARLIEST:
                    id = b.first();
                    break;
                case LATEST:
                    id = b.next();
                    break;
                case ID:
                    id = Math.max(b.first(), position.id());
                    break;
                default:
                    id = backend.idForTime(p, position.time());
                    break;
            }
            m.put(p, id);
        }
        backend.storePositions(name, m);
    }

    /** Closes the handle because its topic was deleted through its driver (later calls say so). */
    void closeDeleted() {
        closedBecause = ": it was deleted through this driver. Open it again with openTopic(\"" + name()
                + "\") once it is created again (a re-created topic is a new topic)";
        close();
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        RuntimeException first = null;
        for (AutoCloseable c : List.copyOf(children)) {
            try {
                c.close();
            } catch (Exception e) {
                if (first == null) {
                    first = e instanceof RuntimeException ? (RuntimeException) e : new IllegalStateException(e);
                }
            }
        }
        backend.close();
        driver.closed(this);
        if (first != null) {
            throw first;
        }
    }

    @Override
    public String toString() {
        return "TopicHandle[" + name() + ", " + partitions().size() + " partitions]";
    }
}
