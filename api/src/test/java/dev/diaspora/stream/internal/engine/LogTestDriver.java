package dev.diaspora.stream.internal.engine;

import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.PartitionBounds;
import dev.diaspora.stream.PartitionInfo;
import dev.diaspora.stream.TopicExistsException;
import dev.diaspora.stream.TopicNotFoundException;
import dev.diaspora.stream.spi.AbstractDriverProvider;
import dev.diaspora.stream.spi.AppenderConfig;
import dev.diaspora.stream.spi.Backend;
import dev.diaspora.stream.spi.BatchAppender;
import dev.diaspora.stream.spi.Capabilities;
import dev.diaspora.stream.spi.ChangeNotifier;
import dev.diaspora.stream.spi.DataRequest;
import dev.diaspora.stream.spi.IncomingBatch;
import dev.diaspora.stream.spi.LocalReadSession;
import dev.diaspora.stream.spi.LocalTopic;
import dev.diaspora.stream.spi.OptionSchema;
import dev.diaspora.stream.spi.OptionSpec;
import dev.diaspora.stream.spi.Options;
import dev.diaspora.stream.spi.OutgoingBatch;
import dev.diaspora.stream.spi.Partitions;
import dev.diaspora.stream.spi.ReadSession;
import dev.diaspora.stream.spi.SessionConfig;
import dev.diaspora.stream.spi.TopicBackend;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The smallest working driver, for the engine's own tests of the rules that no driver can break (process, thread
 * confinement, getters, iteration): topics are in-memory lists of records private to one driver instance; appends
 * copy and complete inline (and fail a batch whose future has no completion attached yet); reads and data reads go
 * through the shared {@link LocalReadSession}; a batch the engine recycles has its metadata buffer overwritten. No retention, no groups, no time lookup. Registered in this module's test resources as {@code engine-test-log}.
 *
 * <p>Thread safety: thread-safe (each partition's monitor guards its records).
 */
final class LogTestDriver {
    private LogTestDriver() {
    }

    /** The provider of {@code engine-test-log}. */
    public static final class Provider extends AbstractDriverProvider {
        public Provider() {
            super("engine-test-log", "api test driver: in-memory topics private to the driver instance",
                    OptionSchema.of(OptionSpec.integer(SUGGESTED_EVENTS).min(0).defaultValue(0)
                            .doc("the pending-events bound the backend suggests; 0 suggests none"),
                            OptionSpec.integer(SUGGESTED_BYTES).min(0).defaultValue(0)
                                    .doc("the pending-bytes bound the backend suggests; 0 suggests none")),
                    OptionSchema.topicOptions(),
                    new Capabilities(false, false, false, false, false, 1 << 24));
        }

        @Override
        public Backend open(Options options) {
            return new LogBackend(options.intValue(SUGGESTED_EVENTS, 0), options.integer(SUGGESTED_BYTES, 0));
        }
    }

    /** How many partition reads the driver's topics served, in this JVM (an idle consumer's wake-ups). */
    static final java.util.concurrent.atomic.AtomicLong READS = new java.util.concurrent.atomic.AtomicLong();

    /** How many batches the engine gave back with {@link IncomingBatch#recycle()}, in this JVM. */
    static final java.util.concurrent.atomic.AtomicLong BATCHES_RECYCLED = new java.util.concurrent.atomic.AtomicLong();

    /** Driver option: the producer pending-events bound the backend suggests (0, the default, suggests none). */
    static final String SUGGESTED_EVENTS = "suggested_max_pending_events";
    /** Driver option: the producer pending-bytes bound the backend suggests (0, the default, suggests none). */
    static final String SUGGESTED_BYTES = "suggested_max_pending_bytes";

    private static final class LogBackend implements Backend {
        private final Map<String, LogTopic> topics = new ConcurrentHashMap<>();
        private final int suggestedEvents;
        private final long suggestedBytes;

        LogBackend(int suggestedEvents, long suggestedBytes) {
            this.suggestedEvents = suggestedEvents;
            this.suggestedBytes = suggestedBytes;
        }

        @Override
        public OptionalInt suggestedMaxPendingEvents() {
            return suggestedEvents > 0 ? OptionalInt.of(suggestedEvents) : OptionalInt.empty();
        }

        @Override
        public OptionalLong suggestedMaxPendingBytes() {
            return suggestedBytes > 0 ? OptionalLong.of(suggestedBytes) : OptionalLong.empty();
        }

        @Override
        public void createTopic(String name, Options topicOptions, Metadata components) {
            LogTopic t = new LogTopic(name, topicOptions.intValue("num_partitions", 1), components);
            if (topics.putIfAbsent(name, t) != null) {
                throw new TopicExistsException("Topic '" + name + "' already exists");
            }
        }

        @Override
        public TopicBackend openTopic(String name) {
            LogTopic t = topics.get(name);
            if (t == null) {
                throw new TopicNotFoundException("Topic '" + name + "' does not exist");
            }
            return t;
        }

        @Override
        public boolean topicExists(String name) {
            return topics.containsKey(name);
        }

        @Override
        public Map<String, Metadata> listTopics() {
            Map<String, Metadata> out = new TreeMap<>();
            topics.keySet().forEach(n -> out.put(n, Metadata.EMPTY));
            return out;
        }

        @Override
        public void deleteTopic(String name) {
            topics.remove(name);
        }

        @Override
        public void close() {
        }
    }

    private static final class LogTopic implements TopicBackend, LocalTopic {
        private final String name;
        private final Metadata components;
        private final List<PartitionInfo> partitions;
        private final List<List<byte[][]>> records = new ArrayList<>(); // per partition: {metadata, data}
        private final Map<String, Map<Integer, Long>> positions = new ConcurrentHashMap<>();
        private final Map<String, Object> leases = new ConcurrentHashMap<>();
        private final ChangeNotifier notifier = new ChangeNotifier();

        LogTopic(String name, int n, Metadata components) {
            this.name = name;
            this.components = components;
            this.partitions = Partitions.plain(n);
            for (int p = 0; p < n; p++) {
                records.add(new ArrayList<>());
            }
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public List<PartitionInfo> partitions() {
            return partitions;
        }

        @Override
        public Metadata components() {
            return components;
        }

        @Override
        public int numPartitions() {
            return partitions.size();
        }

        @Override
        public PartitionBounds bounds(int p) {
            List<byte[][]> log = records.get(p);
            synchronized (log) {
                return new PartitionBounds(0, log.size());
            }
        }

        @Override
        public long idForTime(int p, Instant time) {
            throw new UnsupportedOperationException("engine-test-log has no time lookup");
        }

        @Override
        public BatchAppender appender(AppenderConfig config) {
            return (p, batch, done) -> {
                if (done.getNumberOfDependents() == 0) { // the engine attaches its completion before handing over
                    done.completeExceptionally(new IllegalStateException("engine-test-log: the engine handed over a"
                            + " batch whose future had nothing attached"));
                    return;
                }
                long first = append(records.get(p), batch);
                notifier.changed();
                done.complete(first);
            };
        }

        private static long append(List<byte[][]> log, OutgoingBatch batch) {
            synchronized (log) {
                long first = log.size();
                for (int i = 0; i < batch.count(); i++) {
                    byte[] md = new byte[batch.metadataSize(i)];
                    batch.copyMetadata(i, md, 0);
                    log.add(new byte[][] {md, batch.data(i).toByteArray()});
                }
                return first;
            }
        }

        @Override
        public ReadSession openSession(SessionConfig config) {
            return new LocalReadSession(this, config);
        }

        @Override
        public IncomingBatch read(int p, long fromId, int maxEvents, long maxBytes) {
            READS.incrementAndGet();
            List<byte[][]> log = records.get(p);
            synchronized (log) {
                int n = (int) Math.min(maxEvents, log.size() - fromId);
                if (n <= 0) {
                    return null;
                }
                int[] offsets = new int[n + 1];
                for (int i = 0; i < n; i++) {
                    offsets[i + 1] = offsets[i] + log.get((int) fromId + i)[0].length;
                }
                byte[] md = new byte[offsets[n]];
                long[] sizes = new long[n];
                long[] locations = new long[n];
                for (int i = 0; i < n; i++) {
                    byte[][] r = log.get((int) fromId + i);
                    System.arraycopy(r[0], 0, md, offsets[i], r[0].length);
                    sizes[i] = r[1].length;
                    locations[i] = fromId + i;
                }
                // a driver reusing the buffers once the engine gives them back: scribbled over, so that metadata
                // still wrapping them shows garbage (RecycleEventsTest)
                return new IncomingBatch(p, fromId, n, ByteBuffer.wrap(md), offsets, new long[n], sizes, locations,
                        null, null, () -> {
                            java.util.Arrays.fill(md, (byte) '#');
                            BATCHES_RECYCLED.incrementAndGet();
                        });
            }
        }

        @Override
        public void readData(List<DataRequest> requests) {
            for (DataRequest r : requests) {
                List<byte[][]> log = records.get(r.partition());
                byte[] data;
                synchronized (log) {
                    data = log.get((int) r.descriptor().locationAsLong())[1];
                }
                r.fillFrom(ByteBuffer.wrap(data));
            }
        }

        @Override
        public Set<String> consumerNames() {
            return Set.copyOf(positions.keySet());
        }

        @Override
        public Map<Integer, Long> committed(String consumer) {
            return Map.copyOf(positions.getOrDefault(consumer, Map.of()));
        }

        @Override
        public void commit(String consumer, Map<Integer, Long> stored) {
            positions.computeIfAbsent(consumer, k -> new ConcurrentHashMap<>()).putAll(stored);
        }

        @Override
        public void storePositions(String consumer, Map<Integer, Long> stored) {
            commit(consumer, stored);
        }

        @Override
        public AutoCloseable tryLease(String consumer, int p) {
            String key = consumer + "/" + p;
            Object token = new Object();
            return leases.putIfAbsent(key, token) != null ? null : () -> leases.remove(key, token);
        }

        @Override
        public ChangeNotifier notifier() {
            return notifier;
        }

        @Override
        public void close() {
        }
    }
}
