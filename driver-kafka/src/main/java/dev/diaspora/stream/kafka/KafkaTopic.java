package dev.diaspora.stream.kafka;

import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.PartitionBounds;
import dev.diaspora.stream.PartitionInfo;
import dev.diaspora.stream.spi.AppenderConfig;
import dev.diaspora.stream.spi.ReadSession;
import dev.diaspora.stream.spi.RecordAppender;
import dev.diaspora.stream.spi.SessionConfig;
import dev.diaspora.stream.spi.TopicBackend;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsResult;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsSpec;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.errors.UnknownMemberIdException;

/**
 * An open topic of the kafka driver.
 *
 * <p>Thread safety: thread-safe (the admin client and the producer are).
 */
final class KafkaTopic implements TopicBackend {
    final KafkaBackend backend;
    final String name;
    /** How this topic's records are laid out: stored with the topic, so every reader decodes what writers wrote. */
    final RecordFraming framing;
    private volatile List<PartitionInfo> partitions; // replaced when Kafka reports more partitions (addPartitions)
    private volatile List<TopicPartition> tps;
    private volatile long nextPartitionCheck; // nanoTime of the next look at the partition count
    private final java.util.concurrent.atomic.AtomicBoolean checking = new java.util.concurrent.atomic.AtomicBoolean();
    private final Metadata components;
    /** This topic's identity in Kafka: every operation fails once it was deleted or replaced. */
    final KafkaIncarnation incarnation;
    /** The mark each record carries of this incarnation; null if Kafka gave no topic id. */
    private final IncarnationMark mark;
    private volatile long lastSessionCheck; // nanoTime of the last check by a read session

    KafkaTopic(KafkaBackend backend, String name, int numPartitions, Metadata components, RecordFraming framing,
            Uuid topicId) {
        this.backend = backend;
        this.incarnation = new KafkaIncarnation(this, topicId);
        this.mark = IncarnationMark.of(topicId);
        this.name = name;
        this.framing = framing;
        grow(numPartitions);
        this.nextPartitionCheck = System.nanoTime() + PARTITION_CHECK_NANOS;
        this.components = components;
    }

    /** How often an open topic asks Kafka for its partition count (in the background; partitions may be added). */
    static final long PARTITION_CHECK_NANOS = 1_000_000_000L;

    /** Lists {@code n} partitions if that is more than listed now. */
    private synchronized void grow(int n) {
        if (partitions != null && n <= partitions.size()) {
            return;
        }
        List<PartitionInfo> ps = new ArrayList<>();
        List<TopicPartition> t = new ArrayList<>();
        for (int p = 0; p < n; p++) {
            ps.add(new PartitionInfo(p, Metadata.of("{\"partition_id\":" + p + "}")));
            t.add(new TopicPartition(name, p));
        }
        tps = List.copyOf(t);
        partitions = List.copyOf(ps);
    }

    /** At most every second, asks Kafka for the partition count without waiting for the answer. */
    private void checkPartitionCount() {
        long now = System.nanoTime();
        if (now - nextPartitionCheck < 0 || !checking.compareAndSet(false, true)) {
            return;
        }
        nextPartitionCheck = now + PARTITION_CHECK_NANOS;
        try {
            backend.admin.describeTopics(List.of(name)).topicNameValues().get(name).whenComplete((d, err) -> {
                if (d != null) {
                    grow(d.partitions().size());
                }
                checking.set(false);
            });
        } catch (RuntimeException e) {
            checking.set(false); // closed admin client: the count stays
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public List<PartitionInfo> partitions() {
        checkPartitionCount();
        return partitions;
    }

    @Override
    public Metadata components() {
        return components;
    }

    private long offset(int p, OffsetSpec spec, String what) {
        TopicPartition tp = tps.get(p);
        ListOffsetsResult r = backend.admin.listOffsets(Map.of(tp, spec));
        return backend.call(r.partitionResult(tp), what + " of partition " + p + " of topic '" + name + "'").offset();
    }

    @Override
    public PartitionBounds bounds(int p) {
        incarnation.check();
        long first = offset(p, OffsetSpec.earliest(), "earliest offset");
        long next = offset(p, OffsetSpec.latest(), "latest offset");
        return new PartitionBounds(first, Math.max(first, next));
    }

    /**
     * The size of the partition's log on its leader ({@code Admin.describeLogDirs}: segments and indexes, summed over
     * the leader's log directories); each follower holds about as much again. Empty while the partition has no leader.
     * Two admin round trips (the leader, then its log directories), for {@code diaspora-ctl topic describe}.
     */
    @Override
    public java.util.OptionalLong storedBytes(int p) {
        incarnation.check();
        TopicPartition tp = new TopicPartition(name, p);
        org.apache.kafka.common.Node leader = backend.call(backend.admin.describeTopics(List.of(name))
                .topicNameValues().get(name), "describing topic '" + name + "'").partitions().get(p).leader();
        if (leader == null || leader.isEmpty()) {
            return java.util.OptionalLong.empty();
        }
        Map<String, org.apache.kafka.clients.admin.LogDirDescription> dirs = backend.call(backend.admin
                .describeLogDirs(List.of(leader.id())).descriptions().get(leader.id()), "describing the log"
                + " directories of broker " + leader.id() + " (partition " + p + " of topic '" + name + "')");
        long total = 0;
        boolean found = false;
        for (org.apache.kafka.clients.admin.LogDirDescription d : dirs.values()) {
            org.apache.kafka.clients.admin.ReplicaInfo r = d.replicaInfos().get(tp);
            if (r != null && !r.isFuture()) {
                total += r.size();
                found = true;
            }
        }
        return found ? java.util.OptionalLong.of(total) : java.util.OptionalLong.empty();
    }

    @Override
    public long idForTime(int p, Instant time) {
        incarnation.check();
        long ms = Math.floorDiv(time.getEpochSecond() * 1_000_000_000L + time.getNano() + 999_999L, 1_000_000L);
        long o = offset(p, OffsetSpec.forTimestamp(ms), "offset for time " + time);
        return o >= 0 ? o : offset(p, OffsetSpec.latest(), "latest offset");
    }

    @Override
    public RecordAppender appender(AppenderConfig config) {
        incarnation.check();
        return new KafkaAppender(this);
    }

    @Override
    public ReadSession openSession(SessionConfig config) {
        incarnation.check();
        return new KafkaReadSession(this, config);
    }

    @Override
    public Set<String> consumerNames() {
        incarnation.check();
        java.util.Collection<GroupListing> groups = backend.call(backend.admin.listGroups().all(), "listing groups");
        if (groups.isEmpty()) {
            return Set.of();
        }
        Map<String, ListConsumerGroupOffsetsSpec> specs = new HashMap<>();
        for (GroupListing g : groups) {
            specs.put(g.groupId(), new ListConsumerGroupOffsetsSpec().topicPartitions(tps));
        }
        ListConsumerGroupOffsetsResult r = backend.admin.listConsumerGroupOffsets(specs);
        Set<String> out = new HashSet<>();
        for (String g : specs.keySet()) {
            try {
                Map<TopicPartition, OffsetAndMetadata> m = backend.await(r.partitionsToOffsetAndMetadata(g),
                        "reading the offsets of group '" + g + "'");
                if (m.values().stream().anyMatch(o -> o != null)) {
                    out.add(g);
                }
            } catch (ExecutionException e) {
                // not a consumer group, or gone: no positions
            }
        }
        return out;
    }

    @Override
    public Map<Integer, Long> committed(String consumerName) {
        incarnation.check();
        ListConsumerGroupOffsetsResult r = backend.admin.listConsumerGroupOffsets(Map.of(consumerName,
                new ListConsumerGroupOffsetsSpec().topicPartitions(tps)));
        Map<TopicPartition, OffsetAndMetadata> m;
        try {
            m = backend.await(r.partitionsToOffsetAndMetadata(consumerName), "reading the positions of consumer '"
                    + consumerName + "'");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof GroupIdNotFoundException) {
                return Map.of();
            }
            throw KafkaBackend.fail("reading the positions of consumer '" + consumerName + "'", e.getCause());
        }
        Map<Integer, Long> out = new TreeMap<>();
        for (Map.Entry<TopicPartition, OffsetAndMetadata> e : m.entrySet()) {
            if (e.getValue() != null && e.getKey().topic().equals(name)) {
                out.put(e.getKey().partition(), e.getValue().offset());
            }
        }
        return out;
    }

    @Override
    public void storePositions(String consumerName, Map<Integer, Long> positions) {
        incarnation.check();
        if (positions.isEmpty()) {
            return;
        }
        Map<TopicPartition, OffsetAndMetadata> m = new HashMap<>();
        for (Map.Entry<Integer, Long> e : positions.entrySet()) {
            m.put(tps.get(e.getKey()), new OffsetAndMetadata(e.getValue()));
        }
        try {
            backend.await(backend.admin.alterConsumerGroupOffsets(consumerName, m).all(), "storing the positions of"
                    + " consumer '" + consumerName + "'");
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof UnknownMemberIdException
                    || c instanceof org.apache.kafka.common.errors.RebalanceInProgressException
                    || String.valueOf(c.getMessage()).contains("not empty")) {
                throw new DiasporaException("kafka: cannot store the positions of consumer '" + consumerName
                        + "' on topic '" + name + "': its consumer group is active (Kafka refuses offset changes"
                        + " while the group has members); close its consumers first", c);
            }
            throw KafkaBackend.fail("storing the positions of consumer '" + consumerName + "'", c);
        }
    }

    /**
     * The mark of this incarnation (null if Kafka gave no topic id), carried by each record: a send through a handle
     * of a deleted topic may still reach the topic re-created under its name (Kafka addresses topics by name) before
     * the driver notices; its push then fails, and readers of the new topic skip it ({@link #foreign}).
     */
    IncarnationMark mark() {
        return mark;
    }

    /** @return true if {@code r} was sent through a handle of another incarnation of the name ({@link IncarnationMark}) */
    boolean foreign(ConsumerRecord<?, ByteBuffer> r) {
        return mark != null && mark.foreign(r, framing);
    }

    /**
     * For read sessions: checks the incarnation at most every {@code intervalNanos} (one describe), so a consumer of a
     * deleted or re-created topic fails within that time.
     */
    void checkEvery(long intervalNanos) {
        long now = System.nanoTime();
        if (incarnation.gone() != null || now - lastSessionCheck >= intervalNanos) {
            incarnation.check();
            lastSessionCheck = now;
        }
    }

    @Override
    public void close() {
    }
}
