package dev.diaspora.stream.memory;

import dev.diaspora.stream.ConsumerGroup;
import dev.diaspora.stream.spi.GroupMember;
import dev.diaspora.stream.spi.GroupMembership;
import dev.diaspora.stream.spi.Lease;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The consumer groups of one memory topic, shared by every driver instance of a store (they share the topic's state).
 * A member is live while it has not left and heartbeated within its session timeout ({@link System#nanoTime()}, the
 * engine's clock). Leases taken through a member are bound to it: once the member is not live, any other session may
 * take them over, and {@link Lease#held()} of the old holder turns false (it then stores no position for them).
 *
 * <p>Thread safety: thread-safe (one monitor per topic for membership; leases in the topic's concurrent map).
 */
final class MemoryGroups implements GroupMembership {
    private static final AtomicLong IDS = new AtomicLong();

    private final MemoryTopicState state;
    private final Map<String, Map<String, Member>> groups = new HashMap<>(); // guarded by this

    MemoryGroups(MemoryTopicState state) {
        this.state = state;
    }

    @Override
    public GroupMember join(String consumerName, Duration sessionTimeout) {
        Member m = new Member(consumerName, String.format("m%016x", IDS.incrementAndGet()), sessionTimeout.toNanos());
        synchronized (this) {
            m.lastBeat = System.nanoTime();
            groups.computeIfAbsent(consumerName, k -> new TreeMap<>()).put(m.id, m);
        }
        return m;
    }

    /**
     * The live members of {@code consumerName}'s group and, for each, the partitions whose lease it holds (a lease
     * entry of the topic whose token is the member's). Takes no lease and changes no member.
     */
    @Override
    public Optional<ConsumerGroup> describe(String consumerName) {
        state.checkLive();
        long now = System.nanoTime();
        List<Member> live = new ArrayList<>();
        synchronized (this) {
            for (Member m : groups.getOrDefault(consumerName, Map.of()).values()) {
                if (!m.left && now - m.lastBeat <= m.timeoutNanos) {
                    live.add(m);
                }
            }
        }
        List<ConsumerGroup.Member> out = new ArrayList<>();
        for (Member m : live) {
            List<Integer> held = new ArrayList<>();
            for (int p = 0; p < state.partitions.length; p++) {
                Object token = state.leases.get(consumerName + "/" + p);
                if (token instanceof Member.Token && ((Member.Token) token).member == m) {
                    held.add(p);
                }
            }
            out.add(new ConsumerGroup.Member(m.id, held));
        }
        return Optional.of(new ConsumerGroup(consumerName, out));
    }

    /** @return whether a lease token may be taken over: it belongs to a member that is no longer live */
    boolean stale(Object token) {
        return token instanceof Member.Token && !((Member.Token) token).member.live(System.nanoTime());
    }

    final class Member implements GroupMember {
        final String group;
        final String id;
        final long timeoutNanos;
        long lastBeat; // guarded by MemoryGroups.this
        boolean left; // guarded by MemoryGroups.this

        Member(String group, String id, long timeoutNanos) {
            this.group = group;
            this.id = id;
            this.timeoutNanos = timeoutNanos;
        }

        boolean live(long now) {
            synchronized (MemoryGroups.this) {
                return !left && now - lastBeat <= timeoutNanos;
            }
        }

        @Override
        public String id() {
            return id;
        }

        @Override
        public void heartbeat() {
            synchronized (MemoryGroups.this) {
                if (!left) {
                    lastBeat = System.nanoTime();
                    groups.computeIfAbsent(group, k -> new TreeMap<>()).put(id, this); // back in if it was dropped
                }
            }
        }

        @Override
        public List<String> members() {
            long now = System.nanoTime();
            synchronized (MemoryGroups.this) {
                Map<String, Member> g = groups.getOrDefault(group, Map.of());
                g.values().removeIf(m -> m.left || now - m.lastBeat > m.timeoutNanos);
                return new ArrayList<>(g.keySet());
            }
        }

        @Override
        public Lease tryLease(int p) {
            state.checkLive();
            String key = group + "/" + p;
            Token token = new Token(this);
            Object now = state.leases.compute(key, (k, cur) -> cur == null || stale(cur) ? token : cur);
            if (now != token) {
                return null;
            }
            return new Lease() {
                @Override
                public boolean held() {
                    return state.leases.get(key) == token && live(System.nanoTime());
                }

                @Override
                public void close() {
                    state.leases.remove(key, token);
                }
            };
        }

        @Override
        public void close() {
            synchronized (MemoryGroups.this) {
                left = true;
                Map<String, Member> g = groups.get(group);
                if (g != null) {
                    g.remove(id);
                }
            }
        }

        /** A lease of this member: a distinct object per lease, so that a released lease never matches a new one. */
        final class Token {
            final Member member;

            Token(Member member) {
                this.member = member;
            }
        }
    }
}
