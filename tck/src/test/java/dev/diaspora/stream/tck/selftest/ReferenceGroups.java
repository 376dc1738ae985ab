package dev.diaspora.stream.tck.selftest;

import dev.diaspora.stream.spi.GroupMember;
import dev.diaspora.stream.spi.GroupMembership;
import dev.diaspora.stream.spi.Lease;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The reference driver's consumer groups: in-process members with heartbeat deadlines, leases through the topic's
 * lease table, bound to the member that took them: once the member is not live (left, or no heartbeat within its
 * session timeout) any other session may take them over, and {@link Lease#held()} of the old holder turns false.
 * With {@link Fault#DOUBLE_ASSIGN} every member sees only itself and every lease is granted, so two members read one
 * partition; with {@link Fault#IGNORE_GENERATION} a lease stays {@code held()} after it was taken over, so a member
 * that was dropped while stalled still stores positions for partitions it lost.
 *
 * <p>Thread safety: thread-safe (one monitor for the membership; leases under the topic's lease table's monitor).
 */
final class ReferenceGroups {
    private static final AtomicLong IDS = new AtomicLong();
    private final Map<String, Map<String, Member>> groups = new TreeMap<>(); // name -> id -> member, guarded by this

    /** @return the membership as seen through one topic handle */
    GroupMembership through(ReferenceTopic topic, Fault fault) {
        return (name, sessionTimeout) -> join(name, sessionTimeout, topic, fault);
    }

    /** @return whether a lease holder's token may be taken over: it is a lease of a member that is no longer live */
    boolean stale(Object token) {
        return token instanceof Token && !((Token) token).member.live(System.nanoTime());
    }

    private GroupMember join(String name, Duration sessionTimeout, ReferenceTopic topic, Fault fault) {
        Member m = new Member(name, String.format("r%012d", IDS.incrementAndGet()), sessionTimeout.toNanos(), topic,
                fault);
        m.heartbeat();
        return m;
    }

    /** A lease of one member: a distinct object per lease, so that a released lease never matches a new one. */
    private static final class Token {
        final Member member;

        Token(Member member) {
            this.member = member;
        }
    }

    private final class Member implements GroupMember {
        private final String name;
        private final String id;
        private final long timeoutNanos;
        private final ReferenceTopic topic;
        private final Fault fault;
        private long lastBeat; // guarded by ReferenceGroups.this
        private boolean left; // guarded by ReferenceGroups.this

        Member(String name, String id, long timeoutNanos, ReferenceTopic topic, Fault fault) {
            this.name = name;
            this.id = id;
            this.timeoutNanos = timeoutNanos;
            this.topic = topic;
            this.fault = fault;
        }

        boolean live(long now) {
            synchronized (ReferenceGroups.this) {
                return !left && now - lastBeat <= timeoutNanos;
            }
        }

        @Override
        public String id() {
            return id;
        }

        @Override
        public void heartbeat() {
            synchronized (ReferenceGroups.this) {
                if (!left) {
                    lastBeat = System.nanoTime();
                    groups.computeIfAbsent(name, k -> new TreeMap<>()).put(id, this); // back in if it was dropped
                }
            }
        }

        @Override
        public List<String> members() {
            if (fault == Fault.DOUBLE_ASSIGN) {
                return List.of(id);
            }
            long now = System.nanoTime();
            synchronized (ReferenceGroups.this) {
                Map<String, Member> g = groups.getOrDefault(name, Map.of());
                g.values().removeIf(m -> m.left || now - m.lastBeat > m.timeoutNanos);
                return new ArrayList<>(g.keySet());
            }
        }

        @Override
        public Lease tryLease(int p) {
            if (fault == Fault.DOUBLE_ASSIGN) {
                return Lease.of(() -> { });
            }
            Token token = new Token(this);
            if (!topic.tryLease(name, p, token)) {
                return null;
            }
            return new Lease() {
                @Override
                public boolean held() {
                    return fault == Fault.IGNORE_GENERATION
                            || (topic.holds(name, p, token) && live(System.nanoTime()));
                }

                @Override
                public void close() {
                    topic.release(name, p, token);
                }
            };
        }

        @Override
        public void close() {
            synchronized (ReferenceGroups.this) {
                left = true;
                Map<String, Member> g = groups.get(name);
                if (g != null) {
                    g.remove(id);
                }
            }
        }
    }
}
