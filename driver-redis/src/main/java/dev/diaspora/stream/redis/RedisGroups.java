package dev.diaspora.stream.redis;

import dev.diaspora.stream.ConsumerGroup;
import dev.diaspora.stream.spi.GroupMember;
import dev.diaspora.stream.spi.GroupMembership;
import dev.diaspora.stream.spi.Lease;
import io.lettuce.core.RedisFuture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;

/**
 * Consumer groups of one topic in Redis: a sorted set per consumer name holds each member id with the server time
 * (milliseconds) at which it expires; joining and heartbeating set it to now plus the session timeout, and every
 * reader of the set first drops the expired members, all in scripts that take the time from the server, so members
 * in different processes and hosts agree. A lease through a member is the partition's lease key holding
 * {@code "<member> <token>"}; another member may take it over once that member has left the set (left, or missed its
 * heartbeats), and the old holder's {@link Lease#held()} turns false as soon as its own session timeout has passed
 * since its last heartbeat (or its lease refresh finds the key taken).
 *
 * <p>Thread safety: thread-safe; a member is confined to its session's thread, except what the lease refresher reads.
 */
final class RedisGroups implements GroupMembership {
    private final RedisTopic topic;

    RedisGroups(RedisTopic topic) {
        this.topic = topic;
    }

    private String groupKey(String consumerName) {
        return topic.inc.group(consumerName);
    }

    @Override
    public GroupMember join(String consumerName, Duration sessionTimeout) {
        Member m = new Member(consumerName, "m" + UUID.randomUUID().toString().replace("-", "").substring(0, 16),
                sessionTimeout.toMillis());
        m.heartbeat();
        return m;
    }

    @Override
    public Optional<ConsumerGroup> describe(String consumerName) {
        RedisBackend b = topic.backend;
        String what = "Describing the group of consumer '" + consumerName + "' of topic '" + topic.name() + "'";
        List<String> live = liveMembers(consumerName, what);
        List<RedisFuture<Object>> holders = new ArrayList<>();
        for (int p = 0; p < topic.numPartitions(); p++) {
            holders.add(b.redis.get(topic.inc.lease(consumerName, p)));
        }
        TreeMap<String, List<Integer>> held = new TreeMap<>();
        for (String id : live) {
            held.put(id, new ArrayList<>());
        }
        for (int p = 0; p < holders.size(); p++) {
            String v = RedisCodecs.text(b.await(holders.get(p), what));
            if (v != null && v.indexOf(' ') > 0 && held.containsKey(v.substring(0, v.indexOf(' ')))) {
                held.get(v.substring(0, v.indexOf(' '))).add(p);
            }
        }
        List<ConsumerGroup.Member> out = new ArrayList<>();
        held.forEach((id, ps) -> out.add(new ConsumerGroup.Member(id, ps)));
        return Optional.of(new ConsumerGroup(consumerName, out));
    }

    private List<String> liveMembers(String consumerName, String what) {
        RedisBackend b = topic.backend;
        List<Object> ids = b.await(RedisScripts.MEMBERS.runList(b.redis, new String[] {groupKey(consumerName)}),
                what);
        List<String> out = new ArrayList<>();
        for (Object id : ids) {
            out.add(RedisCodecs.text(id));
        }
        out.sort(null);
        return out;
    }

    /** One member; its heartbeats are round trips on the session's thread, so a stalled session stops them. */
    final class Member implements GroupMember {
        private final String group;
        private final String id;
        private final long timeoutMs;
        private volatile long lastBeatNanos;
        private volatile boolean left;

        Member(String group, String id, long timeoutMs) {
            this.group = group;
            this.id = id;
            this.timeoutMs = timeoutMs;
        }

        @Override
        public String id() {
            return id;
        }

        boolean live() {
            return !left && System.nanoTime() - lastBeatNanos <= timeoutMs * 1_000_000L;
        }

        @Override
        public void heartbeat() {
            if (left) {
                return;
            }
            long sent = System.nanoTime();
            RedisBackend b = topic.backend;
            b.await(RedisScripts.HEARTBEAT.run(b.redis, new String[] {groupKey(group)}, id,
                    Long.toString(timeoutMs)), "Heartbeating in the group of consumer '" + group + "' of topic '"
                    + topic.name() + "'");
            lastBeatNanos = sent; // the time it was sent: the server's deadline is at least this one
        }

        @Override
        public List<String> members() {
            return liveMembers(group, "Reading the group of consumer '" + group + "' of topic '" + topic.name()
                    + "'");
        }

        @Override
        public Lease tryLease(int p) {
            RedisLeases.Held h = topic.backend.leases.tryTakeForMember(topic.inc.lease(group, p), groupKey(group), id);
            if (h == null) {
                return null;
            }
            return new Lease() {
                @Override
                public boolean held() {
                    return !h.lost() && !h.released() && live();
                }

                @Override
                public void close() {
                    h.close();
                }
            };
        }

        @Override
        public void close() {
            if (left) {
                return;
            }
            left = true;
            RedisBackend b = topic.backend;
            b.await(b.redis.zrem(groupKey(group), id), "Leaving the group of consumer '" + group + "' of topic '"
                    + topic.name() + "'");
        }
    }
}
