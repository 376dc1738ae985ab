package dev.diaspora.stream.netty;

import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.netty.protocol.Answers;
import dev.diaspora.stream.netty.protocol.ConsumerRequests;
import dev.diaspora.stream.netty.protocol.Protocol;
import dev.diaspora.stream.spi.Backoff;
import dev.diaspora.stream.spi.Clock;
import dev.diaspora.stream.spi.GroupMember;
import dev.diaspora.stream.spi.GroupMembership;
import dev.diaspora.stream.spi.Lease;
import io.netty.buffer.ByteBuf;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consumer groups of a {@link NettyTopic}: membership is kept by the group coordinator, the partition server of
 * the topic's partition 0 ({@link ServerGroups}, PROTOCOL.md "Consumer groups"), and each partition's lease by that
 * partition's server, bound to this client's connection to it.
 *
 * <p>A member rejoins (under a new id) when the coordinator answers that it does not know it (it restarted) or when
 * the connection to the coordinator is a new one (the old one dropped, and the server ended the membership with it).
 * While the coordinator cannot be reached, a member keeps the last list of members it read (it goes on with the
 * partitions it holds) and leases nothing it could not reach.
 *
 * <p>Thread safety: {@link #join} is thread-safe; a member is confined to its session's thread.
 */
final class NettyGroups implements GroupMembership {
    private static final Logger LOG = LoggerFactory.getLogger(NettyGroups.class);
    /** How long a member waits before trying to rejoin an unreachable coordinator again. */
    /**
     * How long a member waits before it tries to rejoin again after a failed attempt: 500 ms at first, doubling
     * (jittered) up to 2 s while the coordinator stays unreachable; a successful join starts again at 500 ms.
     */
    static final Backoff REJOIN_RETRY = Backoff.exponential(Duration.ofMillis(500), Duration.ofSeconds(2));

    private final NettyTopic topic;
    private final Connection coordinator;

    NettyGroups(NettyTopic topic, Connection coordinator) {
        this.topic = topic;
        this.coordinator = coordinator;
    }

    @Override
    public GroupMember join(String consumerName, Duration sessionTimeout) {
        long ms = sessionTimeout.toMillis();
        if (ms <= 0 || ms > ConsumerRequests.MAX_SESSION_TIMEOUT_MS) {
            throw new IllegalArgumentException("session timeout " + sessionTimeout + " of consumer '" + consumerName
                    + "' is outside what the netty driver accepts (1 ms to 1 day)");
        }
        Member m = new Member(consumerName, (int) ms);
        m.join();
        return m;
    }

    private final class Member implements GroupMember {
        private final String consumer;
        private final int timeoutMs;
        private String id;
        private int generation; // of the coordinator connection that joined
        private List<String> lastMembers = List.of();
        private long retryJoinAt; // nanoTime before which no rejoin is tried (0: any time)
        private Backoff.Retry rejoins; // made at the first failed rejoin
        private boolean closed;

        Member(String consumer, int timeoutMs) {
            this.consumer = consumer;
            this.timeoutMs = timeoutMs;
        }

        void join() {
            ByteBuf a = topic.handles().callOnHandle(coordinator, Protocol.JOIN,
                    h -> new ConsumerRequests.Join(h, consumer, timeoutMs).encode(topic.backend().alloc()));
            try {
                String was = id;
                id = Answers.Text.decode(a, "member id").value();
                generation = coordinator.generation();
                if (was != null) {
                    LOG.info("consumer '{}' of topic '{}': rejoined its group as member {} (was {}) on coordinator {}",
                            consumer, topic.name(), id, was, coordinator.address);
                }
            } finally {
                a.release();
            }
        }

        /**
         * Joins again if the connection that joined is gone: the coordinator ended the membership with it. A failed
         * attempt is not repeated before the pause of {@link #REJOIN_RETRY}, so that an unreachable coordinator host does not
         * hold the session's thread for a connect timeout at every check.
         */
        private void ensureJoined() {
            if (generation == coordinator.generation() && coordinator.isActive()) {
                return;
            }
            long now = System.nanoTime();
            if (retryJoinAt != 0 && now - retryJoinAt < 0) {
                throw new DiasporaException("the group coordinator " + coordinator.address + " was unreachable a"
                        + " moment ago; rejoining again shortly", null, true);
            }
            try {
                join();
                retryJoinAt = 0;
                if (rejoins != null) {
                    rejoins.reset();
                }
            } catch (DiasporaException e) {
                if (e.isRetriable()) {
                    if (rejoins == null) {
                        rejoins = REJOIN_RETRY.start(Clock.system());
                    }
                    retryJoinAt = now + rejoins.nextDelayNanos(); // unbounded: never -1
                }
                throw e;
            }
        }

        @Override
        public String id() {
            return id;
        }

        @Override
        public void heartbeat() {
            try {
                ensureJoined();
                try {
                    coordinator.callSync(Protocol.HEARTBEAT, new ConsumerRequests.Heartbeat(id)
                            .encode(topic.backend().alloc())).release();
                } catch (Protocol.UnknownMemberException e) {
                    join(); // the coordinator restarted (or ended the membership): join again under a new id
                }
            } catch (DiasporaException e) {
                if (!e.isRetriable()) {
                    throw e;
                }
                LOG.debug("consumer '{}': cannot heartbeat to coordinator {}: {}", consumer, coordinator.address,
                        e.toString());
            }
        }

        @Override
        public List<String> members() {
            try {
                ensureJoined();
                ByteBuf a = topic.handles().callOnHandle(coordinator, Protocol.MEMBERS,
                        h -> new ConsumerRequests.Members(h, consumer).encode(topic.backend().alloc()));
                try {
                    lastMembers = List.copyOf(Answers.Names.decode(a, ServerGroups.MAX_MEMBERS_PER_CONNECTION * 1024,
                            "members").names());
                } finally {
                    a.release();
                }
            } catch (DiasporaException e) {
                if (!e.isRetriable()) {
                    throw e;
                }
                LOG.debug("consumer '{}': cannot list the members on coordinator {}, going on with the last list: {}",
                        consumer, coordinator.address, e.toString());
            }
            return lastMembers;
        }

        @Override
        public Lease tryLease(int p) {
            try {
                return (Lease) topic.tryLease(consumer, p);
            } catch (DiasporaException e) {
                if (!e.isRetriable()) {
                    throw e;
                }
                LOG.debug("consumer '{}': cannot lease partition {} now, retrying: {}", consumer, p, e.toString());
                return null;
            }
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            if (generation != coordinator.generation() || !coordinator.isActive()) {
                return; // the coordinator ended the membership with the connection
            }
            try {
                coordinator.callSync(Protocol.LEAVE, new ConsumerRequests.Leave(id).encode(topic.backend().alloc()))
                        .release();
            } catch (DiasporaException e) {
                // unknown (the coordinator restarted) or unreachable: either way the membership is over
                LOG.debug("consumer '{}': leaving its group on {}: {}", consumer, coordinator.address, e.toString());
            }
        }
    }
}
