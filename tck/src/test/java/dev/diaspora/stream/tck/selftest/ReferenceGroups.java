package dev.diaspora.stream.tck.selftest;

import dev.diaspora.stream.spi.GroupMember;
import dev.diaspora.stream.spi.GroupMembership;
import dev.diaspora.stream.spi.LocalTopic;
import dev.diaspora.stream.spi.Lease;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The reference driver's consumer groups: in-process members with heartbeat deadlines, leases through the topic's
 * plain leases (a stalled member keeps them until it gives them up). With {@link Fault#DOUBLE_ASSIGN} every member
 * sees only itself and every lease is granted, so two members read one partition.
 *
 * <p>Thread safety: thread-safe (one monitor).
 */
final class ReferenceGroups {
    private static final AtomicLong IDS = new AtomicLong();
    private final Map<String, Map<String, long[]>> groups = new TreeMap<>(); // name -> id -> {lastBeat, timeout}

    /** @return the membership as seen through one topic handle */
    GroupMembership through(LocalTopic topic, Fault fault) {
        return (name, sessionTimeout) -> join(name, sessionTimeout, topic, fault);
    }

    private GroupMember join(String name, Duration sessionTimeout, LocalTopic topic, Fault fault) {
        String id = String.format("r%012d", IDS.incrementAndGet());
        long timeout = sessionTimeout.toNanos();
        synchronized (this) {
            groups.computeIfAbsent(name, k -> new TreeMap<>()).put(id, new long[] {System.nanoTime(), timeout});
        }
        return new GroupMember() {
            @Override
            public String id() {
                return id;
            }

            @Override
            public void heartbeat() {
                synchronized (ReferenceGroups.this) {
                    groups.computeIfAbsent(name, k -> new TreeMap<>()).put(id, new long[] {System.nanoTime(), timeout});
                }
            }

            @Override
            public List<String> members() {
                if (fault == Fault.DOUBLE_ASSIGN) {
                    return List.of(id);
                }
                long now = System.nanoTime();
                synchronized (ReferenceGroups.this) {
                    Map<String, long[]> g = groups.getOrDefault(name, Map.of());
                    g.values().removeIf(v -> now - v[0] > v[1]);
                    return new ArrayList<>(g.keySet());
                }
            }

            @Override
            public Lease tryLease(int p) {
                if (fault == Fault.DOUBLE_ASSIGN) {
                    return Lease.of(() -> { });
                }
                AutoCloseable l = topic.tryLease(name, p);
                return l == null ? null : Lease.of(l);
            }

            @Override
            public void close() {
                synchronized (ReferenceGroups.this) {
                    Map<String, long[]> g = groups.get(name);
                    if (g != null) {
                        g.remove(id);
                    }
                }
            }
        };
    }
}
