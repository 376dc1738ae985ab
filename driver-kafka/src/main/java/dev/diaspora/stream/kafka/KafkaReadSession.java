package dev.diaspora.stream.kafka;

import dev.diaspora.stream.ConsumerConflictException;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.InvalidOptionException;
import dev.diaspora.stream.StartAt;
import dev.diaspora.stream.spi.DataRequest;
import dev.diaspora.stream.spi.ExpiredPositionRule;
import dev.diaspora.stream.spi.IncomingBatch;
import dev.diaspora.stream.spi.ReadSession;
import dev.diaspora.stream.spi.SessionConfig;
import dev.diaspora.stream.spi.SessionListener;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.NoOffsetForPartitionException;
import org.apache.kafka.clients.consumer.OffsetOutOfRangeException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidSessionTimeoutException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteBufferDeserializer;

/**
 * One consumer's reads over one {@link KafkaConsumer} ({@code group.id} = consumer name, no auto-commit).
 * With explicit targets it uses {@code assign()}; without, {@code subscribe()} with the cooperative-sticky assignor,
 * and the constructor waits (bounded) for the first assignment. Later rebalances change {@link #assignment()} inside
 * {@link #poll}: before a partition leaves, the acknowledged positions the engine returns from
 * {@link SessionListener#revoking} are committed.
 *
 * <p>Group membership. Kafka heartbeats from its own thread, so a stalled fetch thread is noticed through
 * {@code max.poll.interval.ms}, which defaults to {@code ConsumerOptions.sessionTimeout}: the session calls
 * {@link KafkaConsumer#poll} at least every {@value #UPKEEP_MS} ms while the engine drives it ({@link #poll} and
 * {@link #keepAlive}, with the partitions paused when it must not fetch), so only a fetch thread blocked in user code
 * (selector, allocator, listener) for longer than the session timeout makes Kafka leave the group. Partitions lost that
 * way (Kafka's {@code onPartitionsLost}: the generation is gone) go through {@link SessionListener#revoking} too, so
 * the engine tells the user and fails later acknowledgements of them, but nothing is committed for them: Kafka's
 * generation check refuses it, and the new owner starts after the last stored position (at-least-once). A commit Kafka
 * fences ({@code CommitFailedException}, {@code FencedInstanceIdException}, a rebalance that takes the partitions) is
 * reported as {@link ConsumerConflictException}. Commits, and what a rebalance takes away, are {@link KafkaCommits}'
 * job.
 *
 * <p>Records of one Kafka poll are buffered per partition ({@link KafkaPartitions}) and served one partition per
 * {@link #poll}, round robin. Values are deserialized as views of Kafka's fetch buffers (no copy); each returned batch
 * holds its records' data views until the engine releases it, and {@link #readData} copies only the selected bytes
 * from there into the allocator's buffers.
 *
 * <p>Positions: where partitions start, seeks, and positions below the log start offset (retention), which follow
 * {@code ConsumerOptions.onExpiredPosition} as on every driver, are {@link KafkaPositions}' job; Kafka's own
 * {@code auto.offset.reset} is {@code none}.
 *
 * <p>Thread safety: confined to the consumer's fetch thread, except {@link #wakeup()}.
 */
final class KafkaReadSession implements ReadSession {
    /** Bound on waiting for the first group assignment in the constructor. */
    private static final long FIRST_ASSIGNMENT_MS = 30_000;
    /** The longest heartbeat interval given to Kafka, whatever ConsumerOptions.heartbeatInterval says. */
    private static final long HEARTBEAT_CAP_MS = 500;
    /** How often a session checks that its topic was not deleted or re-created (one describe). */
    private static final long INCARNATION_CHECK_NANOS = 200_000_000L;
    /** The longest the session lets pass between two {@link KafkaConsumer#poll} calls while the engine drives it. */
    private static final long UPKEEP_MS = 100;

    private final KafkaTopic topic;
    private final String name;
    private final SessionListener listener;
    private final KafkaConsumer<byte[], ByteBuffer> consumer;
    private final KafkaPartitions held;
    private final List<String> leases = new ArrayList<>();
    private final KafkaPositions positions;
    private final KafkaCommits commits;
    private volatile boolean woken;
    private boolean assignedOnce;
    private boolean closed;
    private final boolean subscribed;
    /** The application has not pulled for maxPollInterval: this member left the group until it pulls again. */
    private boolean idle;
    private long lastKafkaPoll = System.nanoTime();

    KafkaReadSession(KafkaTopic topic, SessionConfig config) {
        this.topic = topic;
        this.name = config.consumerName();
        this.listener = config.listener() == null ? SessionListener.NONE : config.listener();
        this.held = new KafkaPartitions(topic.name, name, topic.framing);
        int[] targets = config.targets();
        this.subscribed = targets == null;
        if (targets != null) {
            for (int p : targets) {
                String key = topic.backend.config.bootstrap + "|" + topic.name + "|" + name + "|" + p;
                if (!KafkaBackend.LEASES.add(key)) {
                    releaseLeases();
                    throw new ConsumerConflictException("Partition " + p + " of topic '" + topic.name + "' is already"
                            + " read by another live consumer named '" + name + "' in this JVM; each partition goes to"
                            + " one consumer of a name at a time. Use other targets, another name, or close the other"
                            + " consumer.");
                }
                leases.add(key);
            }
        }
        Map<String, Object> defaults = new HashMap<>();
        defaults.put("client.id", KafkaBackend.clientId("consumer"));
        // the group timings of ConsumerOptions; Kafka also tells members of a rebalance through heartbeats, so they
        // stay at most 500 ms apart (a user's "kafka" driver options still override them all)
        defaults.put("session.timeout.ms", Long.toString(config.sessionTimeout().toMillis()));
        defaults.put("heartbeat.interval.ms",
                Long.toString(Math.min(HEARTBEAT_CAP_MS, config.heartbeatInterval().toMillis())));
        // Kafka's heartbeat thread beats on while the fetch thread stalls; a stall is seen through the poll interval
        defaults.put("max.poll.interval.ms", Long.toString(config.sessionTimeout().toMillis()));
        defaults.put("partition.assignment.strategy",
                "org.apache.kafka.clients.consumer.CooperativeStickyAssignor");
        defaults.put("group.protocol", "classic");
        // partitions added to the topic reach the group within about this long (Kafka's default is 5 minutes)
        defaults.put("metadata.max.age.ms", "2000");
        Map<String, Object> forced = new HashMap<>();
        forced.put("group.id", name);
        forced.put("enable.auto.commit", "false");
        // Kafka never moves a position by itself: one below the log start follows onExpiredPosition (KafkaPositions)
        forced.put("auto.offset.reset", "none");
        forced.put("allow.auto.create.topics", "false"); // a consumer must not bring a deleted topic back
        try {
            consumer = new KafkaConsumer<>(topic.backend.config.client(defaults, forced), new ByteArrayDeserializer(),
                    new ByteBufferDeserializer());
        } catch (RuntimeException e) {
            releaseLeases();
            throw new DiasporaException("kafka: cannot create a consumer for '" + name + "': " + e, e);
        }
        positions = new KafkaPositions(topic, name, consumer, held, config.startAt(),
                new ExpiredPositionRule(config.onExpiredPosition(), listener), () -> woken = true);
        commits = new KafkaCommits(topic, name, consumer, held, positions, listener,
                config.sessionTimeout().toMillis(), this::upkeep);
        try {
            if (targets != null) {
                List<TopicPartition> tps = new ArrayList<>();
                for (int p : targets) {
                    tps.add(new TopicPartition(topic.name, p));
                }
                consumer.assign(tps);
                startPartitions(tps);
            } else {
                consumer.subscribe(List.of(topic.name), new Rebalance());
                long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(FIRST_ASSIGNMENT_MS);
                while (!assignedOnce || held.isEmpty() && System.nanoTime() - deadline + TimeUnit.MILLISECONDS
                        .toNanos(FIRST_ASSIGNMENT_MS - 3_000) < 0) {
                    if (System.nanoTime() - deadline > 0) {
                        throw new DiasporaException("kafka: consumer '" + name + "' of topic '" + topic.name
                                + "' got no partition assignment from its group within " + FIRST_ASSIGNMENT_MS + " ms");
                    }
                    distribute(kafkaPoll(Duration.ofMillis(UPKEEP_MS)));
                }
            }
        } catch (RuntimeException e) {
            try {
                consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
            } catch (RuntimeException ignored) {
                // already failing
            }
            releaseLeases();
            if (e instanceof InvalidSessionTimeoutException) {
                throw new InvalidOptionException("kafka: consumer '" + name + "' of topic '" + topic.name + "': the"
                        + " broker refuses a session timeout of " + config.sessionTimeout().toMillis() + " ms (its"
                        + " group.min.session.timeout.ms and group.max.session.timeout.ms bound it; 6000 and 1800000"
                        + " by default). Choose ConsumerOptions.sessionTimeout within those bounds: " + e.getMessage(),
                        e);
            }
            throw e instanceof DiasporaException ? e : new DiasporaException("kafka: cannot open consumer '" + name
                    + "' of topic '" + topic.name + "': " + e, e);
        }
    }

    /** Starts newly held partitions ({@link KafkaPositions#start}); they are no longer lost. */
    private void startPartitions(Collection<TopicPartition> tps) {
        positions.start(tps);
        commits.assigned(tps);
    }

    /** Kafka's rebalance callbacks, run inside this session's Kafka polls on the fetch thread. */
    private final class Rebalance implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            commits.revoked(partitions);
        }

        /** Kafka dropped this member from the group: see {@link KafkaCommits#lost}. */
        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            commits.lost(partitions);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            assignedOnce = true;
            startPartitions(partitions);
        }
    }

    @Override
    public Set<Integer> assignment() {
        return held.assignment();
    }

    @Override
    public long position(int p) {
        return held.position(p);
    }

    @Override
    public IncomingBatch poll(int maxEvents, long maxBytes, long timeoutNanos) {
        topic.checkEvery(INCARNATION_CHECK_NANOS); // a deleted or re-created topic fails the poll (one describe)
        upkeepIfDue(); // buffered records of a partition this member lost are dropped before they are served
        IncomingBatch b = next(maxEvents, maxBytes);
        if (b != null) {
            return b;
        }
        if (woken) {
            woken = false;
            return null;
        }
        if (idle) { // out of the group: nothing to fetch until the application pulls again
            LockSupport.parkNanos(Math.min(Math.max(0, timeoutNanos), TimeUnit.MILLISECONDS.toNanos(UPKEEP_MS)));
            return null;
        }
        ConsumerRecords<byte[], ByteBuffer> records;
        try {
            records = kafkaPoll(Duration.ofNanos(Math.max(0, timeoutNanos)));
        } catch (WakeupException e) {
            woken = false;
            return null;
        } catch (KafkaException e) {
            throw new DiasporaException("kafka: consumer '" + name + "' of topic '" + topic.name + "' failed to poll: "
                    + e, e);
        }
        distribute(records);
        return next(maxEvents, maxBytes);
    }

    /** @return a buffered batch, else the failure of a partition whose position retention dropped (FAIL), or null */
    private IncomingBatch next(int maxEvents, long maxBytes) {
        IncomingBatch b = held.next(maxEvents, maxBytes);
        return b != null ? b : positions.failure();
    }

    private void distribute(ConsumerRecords<byte[], ByteBuffer> records) {
        held.add(records, topic::foreign); // foreign: pushed to a deleted topic of the name
    }

    @Override
    public void readData(List<DataRequest> requests) {
        held.readData(requests);
    }

    /** See {@link KafkaCommits#commit}. */
    @Override
    public void commit(Map<Integer, Long> toCommit) {
        commits.commit(toCommit);
    }

    @Override
    public long seek(int p, StartAt position) {
        position(p); // checks the assignment
        return positions.seek(p, position);
    }

    @Override
    public void pause(int p) {
        if (held.pause(p)) {
            consumer.pause(List.of(new TopicPartition(topic.name, p)));
        }
    }

    @Override
    public void resume(int p) {
        if (held.resume(p) && !positions.failing(p)) { // FAIL: stays paused in Kafka until a seek
            consumer.resume(List.of(new TopicPartition(topic.name, p)));
        }
    }

    /**
     * The engine's {@code maxPollInterval} rule, on Kafka's protocol: while the application does not pull, the member
     * unsubscribes (Kafka calls {@link Rebalance#onPartitionsRevoked}: positions committed, partitions given up, and
     * the member leaves the group at once, so the others take its partitions without waiting for a timeout); when it
     * pulls again it subscribes again and gets a share at the next rebalance. Kafka's own {@code max.poll.interval.ms}
     * cannot do this: the fetch thread keeps polling Kafka for the engine's prefetch whatever the application does.
     */
    @Override
    public boolean applicationIdle(boolean idle) {
        if (!subscribed || closed || this.idle == idle) {
            return false;
        }
        try {
            if (idle) {
                consumer.unsubscribe();
            } else {
                consumer.subscribe(List.of(topic.name), new Rebalance());
            }
        } catch (KafkaException e) {
            throw new DiasporaException("kafka: consumer '" + name + "' of topic '" + topic.name + "' could not "
                    + (idle ? "leave" : "rejoin") + " its group: " + e, e);
        }
        this.idle = idle;
        return true;
    }

    /** Keeps the group membership while the engine does not poll (its prefetch is full): see {@link #upkeepIfDue}. */
    @Override
    public void keepAlive() {
        upkeepIfDue();
    }

    /**
     * Polls Kafka if the last poll is {@value #UPKEEP_MS} ms old or more, so that its poll interval check only trips
     * when the fetch thread itself stalls, and so that a member dropped from the group learns it (and drops what it
     * buffered of those partitions) before it serves more records.
     */
    private void upkeepIfDue() {
        if (subscribed && !idle && System.nanoTime() - lastKafkaPoll >= TimeUnit.MILLISECONDS.toNanos(UPKEEP_MS)) {
            upkeep(Duration.ZERO);
        }
    }

    /** One Kafka poll with the held partitions paused: runs the group protocol and its callbacks, fetches nothing. */
    private void upkeep(Duration wait) {
        Set<TopicPartition> pausedNow = new HashSet<>(consumer.assignment());
        pausedNow.removeAll(consumer.paused());
        consumer.pause(pausedNow);
        try {
            distribute(kafkaPoll(wait)); // records only of partitions assigned inside this poll
        } catch (WakeupException e) {
            woken = true;
        } catch (KafkaException e) {
            throw new DiasporaException("kafka: consumer '" + name + "' of topic '" + topic.name + "' failed to follow"
                    + " its group: " + e, e);
        } finally {
            pausedNow.retainAll(consumer.assignment());
            pausedNow.removeIf(tp -> positions.failing(tp.partition()));
            consumer.resume(pausedNow);
        }
    }

    /** One Kafka poll; positions found below the log start follow the policy ({@link KafkaPositions#outOfRange}). */
    private ConsumerRecords<byte[], ByteBuffer> kafkaPoll(Duration timeout) {
        try {
            return consumer.poll(timeout);
        } catch (OffsetOutOfRangeException e) {
            positions.outOfRange(e.offsetOutOfRangePartitions()); // records fetched for others come with the next poll
            return ConsumerRecords.empty();
        } catch (NoOffsetForPartitionException e) {
            startPartitions(e.partitions()); // a start that failed inside a rebalance callback: start them again
            return ConsumerRecords.empty();
        } finally {
            lastKafkaPoll = System.nanoTime();
        }
    }

    @Override
    public void wakeup() {
        woken = true;
        consumer.wakeup();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            consumer.close(CloseOptions.timeout(Duration.ofSeconds(10)));
        } catch (WakeupException e) {
            // pending wakeup: already closed enough
        } catch (KafkaException e) {
            throw new DiasporaException("kafka: closing consumer '" + name + "' of topic '" + topic.name + "': " + e,
                    e);
        } finally {
            held.clear();
            releaseLeases();
        }
    }

    private void releaseLeases() {
        for (String l : leases) {
            KafkaBackend.LEASES.remove(l);
        }
        leases.clear();
    }
}
