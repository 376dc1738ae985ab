package dev.diaspora.stream.kafka;

import dev.diaspora.stream.PartitionBounds;
import dev.diaspora.stream.PositionExpiredException;
import dev.diaspora.stream.StartAt;
import dev.diaspora.stream.spi.ExpiredPositionRule;
import dev.diaspora.stream.spi.IncomingBatch;
import java.nio.ByteBuffer;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;

/**
 * Where one {@link KafkaReadSession}'s partitions start and go on: the stored position of the consumer name (else
 * {@code startAt}), seeks, and positions below a partition's log start offset (Kafka's retention, or
 * {@code deleteRecords}, dropped the events there), which follow {@code ConsumerOptions.onExpiredPosition} through
 * the engine's {@link ExpiredPositionRule}, as on every other driver.
 *
 * <p>The consumer runs with {@code auto.offset.reset=none}, so Kafka never moves a position by itself: a start or a
 * seek below the log start is resolved here from {@code beginningOffsets} (EARLIEST and LATEST move it at once), and a
 * fetch that finds its offset dropped (the reader fell behind retention, or FAIL kept the position) raises
 * {@code OffsetOutOfRangeException}, which the session hands to {@link #outOfRange}. Under FAIL the partition is
 * paused in Kafka (so it does not fail the other partitions' fetches) and one failure batch is handed to the engine,
 * after the records buffered before it; the engine fails pulls of the partition until a {@link #seek}.
 *
 * <p>Thread safety: confined to the session's fetch thread.
 */
final class KafkaPositions {
    private final KafkaTopic topic;
    private final String name;
    private final KafkaConsumer<byte[], ByteBuffer> consumer;
    private final KafkaPartitions held;
    private final StartAt startAt;
    private final int initialPartitions; // partitions added later are read from their first event
    private final ExpiredPositionRule rule;
    private final Runnable onWakeup;
    /** FAIL: partitions whose position was dropped, until a seek; paused in Kafka meanwhile. */
    private final Map<Integer, PositionExpiredException> failing = new TreeMap<>();
    /** Of {@link #failing}, those whose failure the engine has not been handed yet. */
    private final Set<Integer> unreported = new HashSet<>();

    KafkaPositions(KafkaTopic topic, String name, KafkaConsumer<byte[], ByteBuffer> consumer, KafkaPartitions held,
            StartAt startAt, ExpiredPositionRule rule, Runnable onWakeup) {
        this.topic = topic;
        this.name = name;
        this.consumer = consumer;
        this.held = held;
        this.startAt = startAt;
        this.initialPartitions = topic.partitions().size();
        this.rule = rule;
        this.onWakeup = onWakeup;
    }

    /** Runs a blocking consumer call, retrying when a pending {@code wakeup()} interrupts it (which is remembered). */
    <T> T call(Supplier<T> call) {
        while (true) {
            try {
                return call.get();
            } catch (WakeupException e) {
                onWakeup.run();
            }
        }
    }

    /** Seeks newly held partitions to the stored position of the name, else to {@code startAt}, and holds them. */
    void start(Collection<TopicPartition> tps) {
        if (tps.isEmpty()) {
            return;
        }
        Map<TopicPartition, OffsetAndMetadata> stored = call(() -> consumer.committed(new HashSet<>(tps)));
        Map<TopicPartition, PartitionBounds> bounds = bounds(tps);
        Map<Integer, Long> starts = new HashMap<>();
        for (TopicPartition tp : tps) {
            OffsetAndMetadata s = stored.get(tp);
            PartitionBounds b = bounds.get(tp);
            int p = tp.partition();
            long pos = s != null ? rule.start(p, Math.min(s.offset(), b.next()), b)
                    : resolve(p, p >= initialPartitions ? StartAt.EARLIEST : startAt, b);
            failing.remove(p);
            unreported.remove(p);
            consumer.seek(tp, pos);
            starts.put(p, pos);
        }
        held.start(starts);
    }

    /** @return {@code p}'s position after a seek to {@code at} (the partition is held) */
    long seek(int p, StartAt at) {
        TopicPartition tp = new TopicPartition(topic.name, p);
        long id = resolve(p, at, bounds(List.of(tp)).get(tp));
        consumer.seek(tp, id);
        held.seek(p, id);
        unreported.remove(p);
        if (failing.remove(p) != null && !held.paused(p)) {
            consumer.resume(List.of(tp));
        }
        return id;
    }

    /** {@link ExpiredPositionRule#resolve}, an id past the end taken as the end (Kafka cannot fetch there). */
    private long resolve(int p, StartAt at, PartitionBounds b) {
        StartAt within = at.kind() == StartAt.Kind.ID && at.id() > b.next() ? StartAt.id(b.next()) : at;
        return rule.resolve(p, within, b, time -> topic.idForTime(p, time));
    }

    private Map<TopicPartition, PartitionBounds> bounds(Collection<TopicPartition> tps) {
        Map<TopicPartition, Long> first = call(() -> consumer.beginningOffsets(tps));
        Map<TopicPartition, Long> end = call(() -> consumer.endOffsets(tps));
        Map<TopicPartition, PartitionBounds> out = new HashMap<>();
        for (TopicPartition tp : tps) {
            long lo = first.get(tp);
            out.put(tp, new PartitionBounds(lo, Math.max(lo, end.get(tp))));
        }
        return out;
    }

    /**
     * Kafka's fetch found these positions (partition: fetch offset) out of its log's range. Below the log start they
     * follow the policy: EARLIEST and LATEST seek on (what was buffered before stays, and is served first), FAIL
     * pauses the partition and queues its failure. Above the end (the log was truncated) they go on at the end.
     */
    void outOfRange(Map<TopicPartition, Long> fetchOffsets) {
        Map<TopicPartition, PartitionBounds> bounds = null;
        for (Map.Entry<TopicPartition, Long> e : fetchOffsets.entrySet()) {
            TopicPartition tp = e.getKey();
            int p = tp.partition();
            if (!held.holds(p)) {
                continue;
            }
            if (bounds == null) {
                bounds = bounds(fetchOffsets.keySet());
            }
            PartitionBounds b = bounds.get(tp);
            long offset = e.getValue();
            if (offset >= b.first()) {
                consumer.seek(tp, Math.min(offset, b.next()));
                continue;
            }
            if (failing.containsKey(p)) {
                consumer.pause(List.of(tp)); // already reported: stays paused until a seek
                continue;
            }
            long resume = rule.overtaken(p, offset, b.first(), () -> b, 0);
            if (resume >= 0) {
                consumer.seek(tp, resume);
            } else {
                consumer.pause(List.of(tp));
                failing.put(p, new PositionExpiredException(p, offset, b.first(), "kafka: consumer '" + name
                        + "' of topic '" + topic.name + "'"));
                unreported.add(p);
            }
        }
    }

    /**
     * @return the failure of a FAIL partition not yet handed to the engine, once nothing is buffered before it and
     *     the engine does not pause it; or null
     */
    IncomingBatch failure() {
        for (Iterator<Integer> it = unreported.iterator(); it.hasNext();) {
            int p = it.next();
            if (held.buffered(p) == 0 && !held.paused(p)) {
                it.remove();
                PositionExpiredException e = failing.get(p);
                return IncomingBatch.failure(p, e.position(), e);
            }
        }
        return null;
    }

    /** @return whether {@code p} waits for a seek (FAIL): Kafka must keep it paused */
    boolean failing(int p) {
        return failing.containsKey(p);
    }

    /** Forgets partitions this session gives up. */
    void drop(Collection<Integer> ps) {
        failing.keySet().removeAll(ps);
        unreported.removeAll(ps);
    }
}
