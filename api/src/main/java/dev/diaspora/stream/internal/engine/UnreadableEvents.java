package dev.diaspora.stream.internal.engine;

import dev.diaspora.stream.CorruptDataException;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.EventsLostException;
import dev.diaspora.stream.InvalidMetadataException;
import dev.diaspora.stream.InvalidSelectionException;
import dev.diaspora.stream.UnreadableEventPolicy;
import dev.diaspora.stream.ValidationException;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A consumer's handling of events it cannot deliver ({@link UnreadableEventPolicy}) and of lost ranges
 * ({@link EventsLostException}): the markers that go into the ready queues, the WARN logs, the counters, and the ids
 * the consumer went past without delivering them, which acknowledgements step over so that a restart does not meet
 * them again. Not API.
 *
 * <p>Thread safety: {@link #unreadable} and {@link #lost} run on the fetch thread; {@link #stepOver} on any thread
 * that acknowledges; the counters are read from any thread.
 */
final class UnreadableEvents {
    private static final Logger LOG = LoggerFactory.getLogger(ConsumerImpl.class);

    private final String consumer;
    private final String topic;
    private final UnreadableEventPolicy policy;
    /** Per partition: first id -> id after, of ranges gone past without delivery (skipped or lost). */
    private volatile ConcurrentSkipListMap<Long, Long>[] passed; // grown by copy: the maps themselves stay
    /** Per partition: where the consumer started reading it; ids before it count as acknowledged. */
    private final PartitionLongs starts;
    private final LongAdder skipped = new LongAdder();
    private final LongAdder lostIds = new LongAdder();

    @SuppressWarnings("unchecked")
    UnreadableEvents(String consumer, String topic, UnreadableEventPolicy policy, int partitions) {
        this.consumer = consumer;
        this.topic = topic;
        this.policy = policy;
        this.passed = new ConcurrentSkipListMap[partitions];
        this.starts = new PartitionLongs(partitions, 0);
        for (int p = 0; p < partitions; p++) {
            passed[p] = new ConcurrentSkipListMap<>();
        }
    }

    /**
     * Event {@code id} of partition {@code p} cannot be delivered (not for retriable errors). Under FAIL: the sticky
     * marker, with an error that says how to go past it. Under SKIP: logs, counts, records the id as gone past
     * (advancing {@code acked} if everything before it is acknowledged) and returns the skip marker.
     */
    ReadyMarker unreadable(int p, long id, DiasporaException cause, PartitionLongs acked) {
        if (policy == UnreadableEventPolicy.FAIL) {
            return ReadyMarker.failed(explain(p, id, cause));
        }
        skipped.increment();
        LOG.warn("consumer '{}' of topic '{}': skipped partition {}, event {}, which cannot be read"
                + " (onUnreadableEvent SKIP): {}", consumer, topic, p, id, cause.toString());
        wentPast(p, id, id + 1, acked);
        return ReadyMarker.skipped(p, id);
    }

    /** A driver reported a lost range: logs, counts, records it as gone past; the marker fails one pull. */
    ReadyMarker lost(EventsLostException e, PartitionLongs acked) {
        lostIds.add(e.count());
        LOG.warn("consumer '{}' of topic '{}': partition {}, events {} to {} ({} events) are lost; going on with"
                + " event {}: {}", consumer, topic, e.partition(), e.firstLostId(), e.lastLostId(), e.count(),
                e.lastLostId() + 1, e.getMessage());
        wentPast(e.partition(), e.firstLostId(), e.lastLostId() + 1, acked);
        return ReadyMarker.lost(e, e.partition(), e.firstLostId(), e.lastLostId() + 1);
    }

    /** The topic grew to {@code partitions} partitions. Fetch thread. */
    void grow(int partitions) {
        ConcurrentSkipListMap<Long, Long>[] old = passed;
        if (partitions <= old.length) {
            return;
        }
        ConcurrentSkipListMap<Long, Long>[] grown = java.util.Arrays.copyOf(old, partitions);
        for (int p = old.length; p < partitions; p++) {
            grown[p] = new ConcurrentSkipListMap<>();
        }
        starts.grow(partitions);
        passed = grown;
    }

    /** Partition {@code p} was assigned and starts at {@code position}. */
    void started(int p, long position) {
        starts.set(p, position);
    }

    /** @return events skipped so far */
    long skipped() {
        return skipped.sum();
    }

    /** @return lost EventIDs reported so far */
    long lost() {
        return lostIds.sum();
    }

    private void wentPast(int p, long from, long next, PartitionLongs acked) {
        passed[p].merge(from, next, Math::max);
        stepOver(p, acked);
    }

    /**
     * Moves partition {@code p}'s acknowledged position over the ranges gone past that it has reached: if everything
     * before a skipped event is acknowledged, so is the skipped event. No allocation when nothing was skipped.
     */
    void stepOver(int p, PartitionLongs acked) {
        ConcurrentSkipListMap<Long, Long> m = passed[p];
        while (!m.isEmpty()) {
            Map.Entry<Long, Long> e = m.firstEntry();
            if (e == null) {
                return;
            }
            long seen = acked.get(p);
            long a = seen < 0 ? starts.get(p) : seen; // nothing acknowledged yet: everything before the start is
            if (e.getKey() > a) {
                return; // an event before the range is not acknowledged yet
            }
            if (e.getValue() > a) {
                acked.compareAndSet(p, seen, e.getValue()); // on a lost race, read again
            } else {
                m.remove(e.getKey(), e.getValue());
            }
        }
    }

    /**
     * The error of an event that stops its partition (FAIL): the original type where the engine knows how to rebuild
     * it, with the partition, the EventID and the two ways past it added to the message.
     */
    private DiasporaException explain(int p, long id, DiasporaException e) {
        String msg = "consumer '" + consumer + "' of topic '" + topic + "': partition " + p + ", event " + id
                + " cannot be read: " + e.getMessage() + ". The partition stays at this event; to go past it, call"
                + " seek(" + p + ", StartAt.id(" + (id + 1) + ")), or open the consumer with"
                + " ConsumerOptions.onUnreadableEvent(UnreadableEventPolicy.SKIP) to skip such events";
        Class<?> c = e.getClass();
        if (c == CorruptDataException.class) {
            return new CorruptDataException(msg, e);
        } else if (c == InvalidSelectionException.class) {
            return new InvalidSelectionException(msg, e);
        } else if (c == InvalidMetadataException.class) {
            return new InvalidMetadataException(msg, e);
        } else if (c == ValidationException.class) {
            return new ValidationException(msg, e);
        } else if (c == DiasporaException.class) {
            return new DiasporaException(msg, e);
        }
        return e; // a type the engine cannot rebuild keeps its own message
    }
}
