package dev.diaspora.stream.internal.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.AssignmentListener;
import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerConflictException;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.PartitionBounds;
import dev.diaspora.stream.PartitionInfo;
import dev.diaspora.stream.StartAt;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.spi.DataRequest;
import dev.diaspora.stream.spi.IncomingBatch;

import dev.diaspora.stream.spi.ReadSession;
import dev.diaspora.stream.spi.SessionConfig;
import dev.diaspora.stream.spi.SessionListener;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A group rebalance can take a partition away and give it back while the fetch thread is inside one session call (a
 * Kafka poll or commit that follows two rebalances): the session's assignment is equal before and after, but another
 * member read the partition meanwhile and stored a later position. The engine must treat that as a leave and an
 * arrival: the events it had prefetched are stale (the other member delivered them), the partition starts again at
 * the session's new position, in a new tenure, and the assignment listener hears both changes.
 */
@Timeout(30)
class RevokedAndReturnedTest {
    /** The position the other member stored while it held partition 0. */
    static final long OTHERS_POSITION = 50;
    static volatile ScriptedSession session;

    /** The test driver, registered in this module's test resources as {@code engine-test-regroup}. */
    public static final class Provider extends FixedTopicDriver {
        public Provider() {
            super("engine-test-regroup", "api test driver: one partition of 100 events, whose session can be made to"
                    + " lose and regain it within one poll", true, RegroupTopic::new);
        }
    }

    static final class RegroupTopic extends UnreadableRecordTest.FixedTopic {
        @Override
        public List<PartitionInfo> partitions() {
            return List.of(new PartitionInfo(0, Metadata.EMPTY));
        }

        @Override
        public int numPartitions() {
            return 1;
        }

        @Override
        public PartitionBounds bounds(int p) {
            return new PartitionBounds(0, 100);
        }

        @Override
        public IncomingBatch read(int p, long fromId, int maxEvents, long maxBytes) {
            int n = (int) Math.min(maxEvents, 100 - fromId);
            if (n <= 0) {
                return null;
            }
            return batch(p, fromId, n, null);
        }

        @Override
        public ReadSession openSession(SessionConfig config) {
            ScriptedSession s = new ScriptedSession(this, config.listener());
            session = s;
            return s;
        }
    }

    /** A group member's session of one partition; {@link #loseAndRegain} scripts the rebalances for its next poll. */
    static final class ScriptedSession implements ReadSession {
        private final RegroupTopic topic;
        private final SessionListener listener;
        private volatile Set<Integer> assignment = Set.of(0);
        private long position;
        private final CountDownLatch regained = new CountDownLatch(1);
        private volatile boolean loseAndRegain;
        private volatile boolean revokeAndHold;
        private final CountDownLatch revoked = new CountDownLatch(1);
        private final CountDownLatch release = new CountDownLatch(1);
        volatile Map<Integer, Long> handedOver;

        ScriptedSession(RegroupTopic topic, SessionListener listener) {
            this.topic = topic;
            this.listener = listener;
        }

        void loseAndRegain() {
            loseAndRegain = true;
        }

        @Override
        public Set<Integer> assignment() {
            return assignment;
        }

        @Override
        public long position(int p) {
            return position;
        }

        /** The next poll revokes partition 0 and stays in the session until {@link #release} opens. */
        void revokeAndHold() {
            revokeAndHold = true;
        }

        @Override
        public IncomingBatch poll(int maxEvents, long maxBytes, long timeoutNanos) {
            if (revokeAndHold) {
                revokeAndHold = false;
                handedOver = listener.revoking(Set.of(0)); // a Kafka rebalance: revoked inside the poll, which goes on
                assignment = Set.of();
                revoked.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return null;
            }
            if (loseAndRegain) {
                loseAndRegain = false;
                handedOver = listener.revoking(Set.of(0)); // the first rebalance: partition 0 goes to another member
                assignment = Set.of();
                position = OTHERS_POSITION; // which read up to here and stored it, then left: the second rebalance
                assignment = Set.of(0); // a new instance, equal to the one before the poll
                regained.countDown();
                return null;
            }
            IncomingBatch b = assignment.isEmpty() ? null : topic.read(0, position, Math.min(maxEvents, 10), maxBytes);
            if (b == null) {
                LockSupport.parkNanos(Math.min(timeoutNanos, TimeUnit.MILLISECONDS.toNanos(5)));
                return null;
            }
            position += b.count();
            return b;
        }

        @Override
        public void readData(List<DataRequest> requests) {
        }

        @Override
        public void commit(Map<Integer, Long> positions) {
        }

        @Override
        public long seek(int p, StartAt at) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void pause(int p) {
        }

        @Override
        public void resume(int p) {
        }

        @Override
        public void wakeup() {
        }

        @Override
        public void close() {
        }
    }

    @Test
    void aPartitionGivenAwayAndBackWithinOnePollStartsAgainAtTheStoredPosition() throws Exception {
        List<String> heard = new CopyOnWriteArrayList<>();
        try (Driver d = Driver.open("engine-test-regroup");
                TopicHandle t = d.openTopic("fixed");
                Consumer c = t.consumer(ConsumerOptions.named("g").assignmentListener(new AssignmentListener() {
                    @Override
                    public void onAssigned(Set<Integer> partitions) {
                        heard.add("assigned " + partitions);
                    }

                    @Override
                    public void onRevoked(Set<Integer> partitions) {
                        heard.add("revoked " + partitions);
                    }
                }))) {
            Event first = c.poll(Duration.ofSeconds(10)).orElseThrow();
            assertEquals(0, first.id());
            first.acknowledge();
            Event second = c.poll(Duration.ofSeconds(10)).orElseThrow();
            assertEquals(1, second.id());
            // events 2.. are prefetched now; the partition goes away and comes back inside the next poll
            session.loseAndRegain();
            assertTrue(session.regained.await(10, TimeUnit.SECONDS), "the session was not polled again");
            Event next = c.poll(Duration.ofSeconds(10)).orElseThrow();
            assertEquals(OTHERS_POSITION, next.id(), "the events prefetched before the rebalances were read and"
                    + " stored by the other member: delivering them again would repeat them");
            assertEquals(Map.of(0, 1L), session.handedOver, "the acknowledged position is handed over");
            assertThrows(ConsumerConflictException.class, second::acknowledge,
                    "an event of the earlier tenure cannot be acknowledged in the new one");
            next.acknowledge();
            assertEquals(List.of("assigned [0]", "revoked [0]", "assigned [0]"), heard);
        }
    }

    /**
     * Another member may hold a revoked partition as soon as the session has revoked it, while the fetch thread is
     * still inside the session's call (Kafka revokes in a poll, then rejoins): {@link Consumer#assignment()} must no
     * longer list it then (the TCK's S7 once saw both members list the same partitions).
     */
    @Test
    void aRevokedPartitionLeavesTheAssignmentBeforeTheSessionReturns() throws Exception {
        try (Driver d = Driver.open("engine-test-regroup");
                TopicHandle t = d.openTopic("fixed");
                Consumer c = t.consumer(ConsumerOptions.named("g"))) {
            assertEquals(0, c.poll(Duration.ofSeconds(10)).orElseThrow().id());
            assertEquals(Set.of(0), c.assignment());
            session.revokeAndHold();
            assertTrue(session.revoked.await(10, TimeUnit.SECONDS), "the session was not polled again");
            try {
                assertEquals(Set.of(), c.assignment(), "partition 0 was revoked: another member may read it now");
            } finally {
                session.release.countDown();
            }
        }
    }
}
