package dev.diaspora.stream.kafka;

import dev.diaspora.stream.ConsumerConflictException;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.spi.SessionListener;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.RebalanceInProgressException;

/**
 * Where one {@link KafkaReadSession} stores positions in Kafka's group, and what a rebalance takes from it: commits of
 * the held partitions (following a rebalance in progress, at most one session timeout), the commit in a revocation
 * callback of the positions the engine hands over, and the partitions Kafka took away without a revocation (this
 * member was dropped from the group), whose positions are not stored: a commit that covers them, or that Kafka fences
 * ({@code CommitFailedException}, {@code FencedInstanceIdException}), is reported as
 * {@link ConsumerConflictException}, and their next owner starts after the last stored position (at-least-once).
 *
 * <p>Thread safety: confined to the session's fetch thread (Kafka runs rebalance callbacks inside its poll there).
 */
final class KafkaCommits {
    /** How long one Kafka poll waits for a rebalance to progress while a commit waits for it. */
    private static final long REBALANCE_WAIT_MS = 20;

    private final KafkaTopic topic;
    private final String name;
    private final KafkaConsumer<byte[], ByteBuffer> consumer;
    private final KafkaPartitions held;
    private final KafkaPositions positions;
    private final SessionListener listener;
    private final long sessionTimeoutMs;
    /** One Kafka poll with the held partitions paused: follows the group protocol without fetching. */
    private final Consumer<Duration> upkeep;
    /**
     * Partitions Kafka took away without a revocation (this member was dropped), or whose revocation could not store
     * their positions, until they are assigned again.
     */
    private final Set<Integer> lost = new HashSet<>();

    KafkaCommits(KafkaTopic topic, String name, KafkaConsumer<byte[], ByteBuffer> consumer, KafkaPartitions held,
            KafkaPositions positions, SessionListener listener, long sessionTimeoutMs, Consumer<Duration> upkeep) {
        this.topic = topic;
        this.name = name;
        this.consumer = consumer;
        this.held = held;
        this.positions = positions;
        this.listener = listener;
        this.sessionTimeoutMs = sessionTimeoutMs;
        this.upkeep = upkeep;
    }

    /** Partitions assigned (again): no longer lost. */
    void assigned(Collection<TopicPartition> tps) {
        for (TopicPartition tp : tps) {
            lost.remove(tp.partition());
        }
    }

    /**
     * Kafka's revocation callback: the acknowledged positions the engine returns for the leaving partitions are
     * committed (the partitions are still this member's until the callback returns), then the partitions are dropped.
     */
    void revoked(Collection<TopicPartition> partitions) {
        Set<Integer> leaving = partitionsOf(partitions);
        if (leaving.isEmpty()) {
            return;
        }
        Map<Integer, Long> toCommit = listener.revoking(leaving);
        if (toCommit != null && !toCommit.isEmpty()) {
            try {
                commitHeld(toCommit);
            } catch (RuntimeException e) {
                topic.backend.errors.onError("kafka: consumer '" + name + "' of topic '" + topic.name
                        + "': the positions of partitions " + leaving + " could not be stored before they left;"
                        + " their next owner starts after the last stored ones and may deliver some events again", e);
                // the next owner re-reads from the last commit: at-least-once; a commit() that covers these
                // positions must not report them stored, so they count as lost (commit() throws for them)
                lost.addAll(leaving);
            }
        }
        positions.drop(leaving);
        held.drop(leaving);
    }

    /**
     * Kafka dropped this member from the group (its poll interval or session expired): the partitions may already be
     * read by another member, so the engine is told (its listener, and acknowledgements of them now fail) but nothing
     * is committed: Kafka would refuse it, and it could overwrite the new owner's position.
     */
    void lost(Collection<TopicPartition> partitions) {
        Set<Integer> leaving = partitionsOf(partitions);
        if (leaving.isEmpty()) {
            return;
        }
        listener.revoking(leaving); // positions not stored: the next owner starts after the last commit
        lost.addAll(leaving);
        positions.drop(leaving);
        held.drop(leaving);
    }

    private static Set<Integer> partitionsOf(Collection<TopicPartition> partitions) {
        Set<Integer> ps = new HashSet<>();
        for (TopicPartition tp : partitions) {
            ps.add(tp.partition());
        }
        return ps;
    }

    /**
     * Commits the positions of partitions this member holds. While Kafka rebalances the group it refuses commits
     * ({@code RebalanceInProgressException}): the session then follows the rebalance (polls with its partitions
     * paused, at most one session timeout) and commits what it still holds; positions of partitions revoked meanwhile
     * were committed by the revocation callback (the engine hands them over there). Positions of partitions Kafka
     * took away without a revocation are not stored: {@link ConsumerConflictException}, as for a commit Kafka fences.
     */
    void commit(Map<Integer, Long> toCommit) {
        if (toCommit.isEmpty()) {
            return;
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(sessionTimeoutMs);
        while (true) {
            try {
                commitHeld(toCommit);
                break;
            } catch (RebalanceInProgressException e) {
                if (System.nanoTime() - deadline > 0) {
                    throw new DiasporaException("kafka: consumer '" + name + "' of topic '" + topic.name + "' could"
                            + " not commit " + toCommit + ": its group is still rebalancing after " + sessionTimeoutMs
                            + " ms (members joining or leaving); the acknowledgements are kept and committed later: "
                            + e, e, true);
                }
                upkeep.accept(Duration.ofMillis(REBALANCE_WAIT_MS)); // drives the rebalance; no fetch, no busy loop
            }
        }
        Set<Integer> gone = new TreeSet<>(toCommit.keySet());
        gone.retainAll(lost);
        if (!gone.isEmpty()) {
            throw notHeld(gone, null);
        }
    }

    /**
     * Commits the positions of {@code toCommit}'s partitions that this member holds (all of them in a revocation
     * callback). Fenced commits become {@link ConsumerConflictException}; a rebalance in progress is thrown as is.
     */
    private void commitHeld(Map<Integer, Long> toCommit) {
        Map<TopicPartition, OffsetAndMetadata> m = new HashMap<>();
        for (Map.Entry<Integer, Long> e : toCommit.entrySet()) {
            if (held.holds(e.getKey())) {
                m.put(new TopicPartition(topic.name, e.getKey()), new OffsetAndMetadata(e.getValue()));
            }
        }
        if (m.isEmpty()) {
            return;
        }
        try {
            positions.call(() -> {
                consumer.commitSync(m);
                return null;
            });
        } catch (RebalanceInProgressException e) {
            throw e;
        } catch (CommitFailedException | FencedInstanceIdException e) {
            throw notHeld(new TreeSet<>(toCommit.keySet()), e);
        } catch (KafkaException e) {
            throw new DiasporaException("kafka: consumer '" + name + "' of topic '" + topic.name
                    + "' could not commit " + toCommit + ": " + e, e);
        }
    }

    private ConsumerConflictException notHeld(Set<Integer> partitions, KafkaException cause) {
        String msg = "kafka: consumer '" + name + "' of topic '" + topic.name + "' no longer reads partitions "
                + partitions + " (Kafka's group gave them to another member of the name, or removed this one after"
                + " its fetch thread stalled longer than its sessionTimeout, " + sessionTimeoutMs + " ms, the"
                + " max.poll.interval.ms the driver sets): their acknowledgements are not stored and their new reader"
                + " starts after the last stored position. Keep the fetch thread free (selector, allocator, listener)"
                + " and acknowledge promptly, or use ConsumerOptions.targets for a fixed assignment."
                + (cause == null ? "" : " Kafka said: " + cause.getMessage());
        return cause == null ? new ConsumerConflictException(msg) : new ConsumerConflictException(msg, cause);
    }
}
