package dev.diaspora.stream.kafka;

import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.spi.DataRequest;
import dev.diaspora.stream.spi.IncomingBatch;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;

/**
 * The partitions one {@link KafkaReadSession} holds, and what it read of them: each partition's position (next id to
 * hand to the engine), the records Kafka's polls returned after it, and which ones the engine paused. Serves one
 * partition per {@link #next} batch, round robin; builds each {@link IncomingBatch} from consecutive records
 * (metadata copied into one block, data kept as views of Kafka's fetch buffers) and serves {@link #readData} from
 * those views until the engine releases the batch.
 *
 * <p>Ownership: each built batch holds its records' data views until its release callback runs (any thread), so the
 * fetch responses behind them stay in memory that long. Thread safety: confined to the session's fetch thread,
 * except {@link #assignment()}, a batch's release and {@link #clear()}, which any thread may call.
 */
final class KafkaPartitions {
    private static final int INDEX_BITS = 20;
    /** The most events one batch may hold (the index of an event in its batch has {@value #INDEX_BITS} bits). */
    private static final int MAX_EVENTS = 1 << INDEX_BITS;

    private final String topicName;
    private final String consumerName;
    private final RecordFraming framing;
    private final Map<Integer, Long> positions = new HashMap<>();
    private final Map<Integer, ArrayDeque<ConsumerRecord<byte[], ByteBuffer>>> buffered = new HashMap<>();
    private final Set<Integer> paused = new HashSet<>();
    private final ConcurrentHashMap<Long, ByteBuffer[]> held = new ConcurrentHashMap<>();
    private volatile Set<Integer> assignment = Set.of();
    private int cursor;
    private long batchSeq;

    KafkaPartitions(String topicName, String consumerName, RecordFraming framing) {
        this.topicName = topicName;
        this.consumerName = consumerName;
        this.framing = framing;
    }

    /** @return the held partitions, an immutable set that is replaced (not changed) when they change */
    Set<Integer> assignment() {
        return assignment;
    }

    /** @return whether partition {@code p} is held */
    boolean holds(int p) {
        return positions.containsKey(p);
    }

    /** @return whether no partition is held */
    boolean isEmpty() {
        return positions.isEmpty();
    }

    /** @return the next id of {@code p} to hand to the engine */
    long position(int p) {
        Long pos = positions.get(p);
        if (pos == null) {
            throw new IllegalArgumentException("partition " + p + " is not assigned to consumer '" + consumerName
                    + "' (assigned: " + assignment + ")");
        }
        return pos;
    }

    /** Holds the partitions of {@code starts} from the given positions (Kafka's consumer is seeked there). */
    void start(Map<Integer, Long> starts) {
        for (Map.Entry<Integer, Long> e : starts.entrySet()) {
            positions.put(e.getKey(), e.getValue());
            buffered.put(e.getKey(), new ArrayDeque<>());
        }
        publish();
    }

    /** Gives partitions up with what was buffered of them. */
    void drop(Set<Integer> leaving) {
        for (int p : leaving) {
            positions.remove(p);
            buffered.remove(p);
            paused.remove(p);
        }
        publish();
    }

    private void publish() {
        Set<Integer> now = Collections.unmodifiableSet(new TreeSet<>(positions.keySet()));
        if (!now.equals(assignment)) {
            assignment = now;
        }
    }

    /** Moves {@code p} (held) to {@code id}, forgetting what was buffered of it. */
    void seek(int p, long id) {
        positions.put(p, id);
        buffered.get(p).clear();
    }

    /** @return whether {@code p} is held and was not paused (it is now) */
    boolean pause(int p) {
        return positions.containsKey(p) && paused.add(p);
    }

    /** @return whether {@code p} was paused (it is not now) */
    boolean resume(int p) {
        return paused.remove(p);
    }

    /** @return whether the engine paused {@code p} */
    boolean paused(int p) {
        return paused.contains(p);
    }

    /** @return how many records of {@code p} are buffered, not yet handed to the engine */
    int buffered(int p) {
        ArrayDeque<ConsumerRecord<byte[], ByteBuffer>> q = buffered.get(p);
        return q == null ? 0 : q.size();
    }

    /**
     * Buffers the records of a Kafka poll that follow each held partition's position, except those {@code foreign}
     * rejects (written to another incarnation of the topic).
     */
    void add(ConsumerRecords<byte[], ByteBuffer> records, Predicate<ConsumerRecord<byte[], ByteBuffer>> foreign) {
        for (TopicPartition tp : records.partitions()) {
            ArrayDeque<ConsumerRecord<byte[], ByteBuffer>> q = buffered.get(tp.partition());
            if (q == null) {
                continue; // no longer ours
            }
            long pos = positions.get(tp.partition());
            ConsumerRecord<byte[], ByteBuffer> tail = q.peekLast();
            long after = tail == null ? pos : tail.offset() + 1;
            for (ConsumerRecord<byte[], ByteBuffer> r : records.records(tp)) {
                if (r.offset() >= after && !foreign.test(r)) {
                    q.add(r);
                }
            }
        }
    }

    /**
     * @return a batch of the next unpaused partition with buffered records (round robin; consecutive ids, at most
     *     {@code maxEvents} events and {@code maxBytes} of values but at least one event), advancing its position; or
     *     null if none has records
     */
    IncomingBatch next(int maxEvents, long maxBytes) {
        if (positions.isEmpty()) {
            return null;
        }
        Integer[] parts = positions.keySet().toArray(new Integer[0]);
        Arrays.sort(parts);
        for (int k = 0; k < parts.length; k++) {
            int i = (cursor + k) % parts.length;
            int p = parts[i];
            ArrayDeque<ConsumerRecord<byte[], ByteBuffer>> q = buffered.get(p);
            if (q == null || q.isEmpty() || paused.contains(p)) {
                continue;
            }
            cursor = (i + 1) % parts.length;
            return build(p, take(q, Math.min(maxEvents, MAX_EVENTS), maxBytes));
        }
        return null;
    }

    private static List<ConsumerRecord<byte[], ByteBuffer>> take(ArrayDeque<ConsumerRecord<byte[], ByteBuffer>> q,
            int maxEvents, long maxBytes) {
        List<ConsumerRecord<byte[], ByteBuffer>> take = new ArrayList<>();
        long bytes = 0;
        long expect = -1;
        while (!q.isEmpty() && take.size() < maxEvents) {
            ConsumerRecord<byte[], ByteBuffer> r = q.peekFirst();
            if (expect >= 0 && r.offset() != expect) {
                break; // a gap (compaction, transaction marker): ids of one batch are consecutive
            }
            int size = RecordFraming.valueSize(r);
            if (!take.isEmpty() && bytes + size > maxBytes) {
                break;
            }
            take.add(q.pollFirst());
            bytes += size;
            expect = r.offset() + 1;
        }
        return take;
    }

    /** @return a batch of {@code take}, consecutive records of partition {@code p}; advances its position past them */
    private IncomingBatch build(int p, List<ConsumerRecord<byte[], ByteBuffer>> take) {
        int n = take.size();
        int[] offsets = new int[n + 1];
        long[] ts = new long[n];
        long[] sizes = new long[n];
        long[] locations = new long[n];
        ByteBuffer[] data = new ByteBuffer[n];
        byte[][] mds = new byte[n][];
        int mdTotal = 0;
        for (int i = 0; i < n; i++) {
            mds[i] = framing.metadata(take.get(i));
            data[i] = framing.data(take.get(i));
            mdTotal += mds[i].length;
        }
        byte[] md = new byte[mdTotal];
        long seq = batchSeq++;
        int at = 0;
        for (int i = 0; i < n; i++) {
            offsets[i] = at;
            System.arraycopy(mds[i], 0, md, at, mds[i].length);
            at += mds[i].length;
            offsets[i + 1] = at;
            ts[i] = take.get(i).timestamp() * 1_000_000L;
            sizes[i] = data[i].remaining();
            locations[i] = (seq << INDEX_BITS) | i;
        }
        held.put(seq, data);
        positions.put(p, take.get(n - 1).offset() + 1);
        return new IncomingBatch(p, take.get(0).offset(), n, ByteBuffer.wrap(md, 0, at), offsets, ts, sizes,
                locations, () -> held.remove(seq));
    }

    /** Fills each request from the data views of its (unreleased) batch. */
    void readData(List<DataRequest> requests) {
        for (DataRequest r : requests) {
            long loc = r.descriptor().locationAsLong();
            ByteBuffer[] data = held.get(loc >>> INDEX_BITS);
            int i = (int) (loc & ((1 << INDEX_BITS) - 1));
            if (data == null || i >= data.length) {
                r.fail(new DiasporaException("partition " + r.partition() + " event " + r.eventId() + " of topic '"
                        + topicName + "': its data is no longer held by the kafka session"));
                continue;
            }
            try {
                r.fillFrom(data[i]);
            } catch (DiasporaException e) {
                r.fail(e);
            }
        }
    }

    /** Forgets every batch's data (the session closes). */
    void clear() {
        held.clear();
    }
}
