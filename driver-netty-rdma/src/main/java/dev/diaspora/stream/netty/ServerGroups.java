package dev.diaspora.stream.netty;

import com.fasterxml.jackson.databind.JsonNode;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.netty.protocol.Answers;
import dev.diaspora.stream.netty.protocol.ConsumerRequests;
import dev.diaspora.stream.netty.protocol.Protocol;
import dev.diaspora.stream.netty.protocol.Request;
import io.netty.buffer.ByteBuf;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The consumer-group coordinator of a {@link PartitionServer} (PROTOCOL.md, "Consumer groups"): the server holding
 * partition 0 of a topic keeps the members of each consumer name of that topic. A member joins (JOIN, answered with a
 * random id), heartbeats (HEARTBEAT) and leaves (LEAVE); MEMBERS lists the live ones, from which every member computes
 * the same assignment. A member is bound to the connection that joined: it ends with a LEAVE, when that connection
 * closes (client process killed, connection lost), and it is left out of MEMBERS while it has not heartbeated within
 * its session timeout, as measured by this server's {@link System#nanoTime()}. An expired member is kept until its
 * connection closes or it leaves, so that its next HEARTBEAT makes it live again (it rejoins, having given its
 * partitions up, as the engine's group session does). Nothing is stored: a restarted server knows no member, and
 * members rejoin when their HEARTBEAT is answered with "unknown member" or their connection comes back.
 *
 * <p>The partition leases are not kept here but by each partition's server, bound to the connection (see
 * {@code ServerConnection}): a stalled member whose connection lives keeps them until it gives them up itself.
 *
 * <p>Thread safety: thread-safe (one monitor per server).
 */
final class ServerGroups {
    /** The longest member id accepted from a client; ids made here are 16 hexadecimal digits. */
    static final int MAX_MEMBER_ID = ConsumerRequests.MAX_MEMBER_ID;
    /** The longest consumer name, as the engine allows ({@code ConsumerOptions}). */
    static final int MAX_CONSUMER_NAME = ConsumerRequests.MAX_CONSUMER_NAME;
    /** The most members one connection may have at once (a client opens one per group consumer). */
    static final int MAX_MEMBERS_PER_CONNECTION = 4096;

    private static final SecureRandom RANDOM = new SecureRandom();

    private final String serverId;
    /** Group key (topic, consumer name) to its members by id; guarded by this. */
    private final Map<String, TreeMap<String, Member>> groups = new HashMap<>();
    /** Every member by id; guarded by this. */
    private final Map<String, Member> byId = new HashMap<>();

    private static final class Member {
        final String id;
        final String group;
        final ServerConnection connection;
        final long timeoutNanos;
        long lastBeat;

        Member(String id, String group, ServerConnection connection, long timeoutNanos, long now) {
            this.id = id;
            this.group = group;
            this.connection = connection;
            this.timeoutNanos = timeoutNanos;
            this.lastBeat = now;
        }

        boolean live(long now) {
            return now - lastBeat <= timeoutNanos;
        }
    }

    ServerGroups(String serverId) {
        this.serverId = serverId;
    }

    /** @return whether {@code type} is a group request served by {@link #serve} */
    static boolean isGroupRequest(int type) {
        return type == Protocol.JOIN || type == Protocol.HEARTBEAT || type == Protocol.LEAVE
                || type == Protocol.MEMBERS;
    }

    /**
     * Serves one group request of {@code conn}.
     *
     * @return the OK payload, or null for none
     */
    ByteBuf serve(ServerConnection conn, Request r) {
        if (r instanceof ConsumerRequests.Join j) {
            ServerTopic t = conn.topic(j.handle());
            checkCoordinator(t);
            String id = join(conn, key(t, j.consumer()), TimeUnit.MILLISECONDS.toNanos(j.timeoutMs()));
            return conn.answer(new Answers.Text(id)::encode);
        } else if (r instanceof ConsumerRequests.Heartbeat h) {
            heartbeat(conn, h.memberId());
            return null;
        } else if (r instanceof ConsumerRequests.Leave l) {
            leave(conn, l.memberId());
            return null;
        } else if (r instanceof ConsumerRequests.Members m) {
            ServerTopic t = conn.topic(m.handle());
            checkCoordinator(t);
            return conn.answer(new Answers.Names(members(key(t, m.consumer())))::encode);
        }
        throw new Protocol.BadFrameException("unknown request type " + r.type());
    }

    private static String key(ServerTopic t, String consumer) {
        return t.name + '\0' + consumer;
    }

    /** Refuses group requests for a topic whose partition 0 is on another server: that one coordinates. */
    private void checkCoordinator(ServerTopic t) {
        JsonNode servers = t.components.json().path(NettyBackend.PLACEMENT).path("servers");
        if (servers.isArray() && servers.size() > 0 && !servers.get(0).asText().equals(serverId)) {
            throw new DiasporaException("this partition server (" + serverId + ") does not coordinate the groups of"
                    + " topic '" + t.name + "': the server of partition 0 (" + servers.get(0).asText() + ") does");
        }
    }

    private String join(ServerConnection conn, String group, long timeoutNanos) {
        synchronized (this) {
            int mine = 0;
            for (Member m : byId.values()) {
                if (m.connection == conn) {
                    mine++;
                }
            }
            if (mine >= MAX_MEMBERS_PER_CONNECTION) {
                throw new DiasporaException("this connection has " + mine + " group members already, the most one"
                        + " connection may have; close consumers before opening more");
            }
            String id;
            do {
                id = String.format("%016x", RANDOM.nextLong());
            } while (byId.containsKey(id));
            Member m = new Member(id, group, conn, timeoutNanos, System.nanoTime());
            byId.put(id, m);
            groups.computeIfAbsent(group, k -> new TreeMap<>()).put(id, m);
            if (conn.isClosing()) { // the connection closed meanwhile: its members are gone with it
                remove(m);
                throw new DiasporaException("connection closed", null, true);
            }
            return id;
        }
    }

    private Member member(ServerConnection conn, String id) {
        Member m = byId.get(id);
        if (m == null || m.connection != conn) {
            throw new Protocol.UnknownMemberException("unknown group member '" + id + "': it left, its connection closed, or"
                    + " this server restarted since it joined; join again");
        }
        return m;
    }

    private synchronized void heartbeat(ServerConnection conn, String id) {
        member(conn, id).lastBeat = System.nanoTime();
    }

    private synchronized void leave(ServerConnection conn, String id) {
        remove(member(conn, id));
    }

    private synchronized List<String> members(String group) {
        TreeMap<String, Member> g = groups.get(group);
        List<String> out = new ArrayList<>();
        if (g != null) {
            long now = System.nanoTime();
            for (Member m : g.values()) {
                if (m.live(now)) {
                    out.add(m.id);
                }
            }
        }
        return out;
    }

    private void remove(Member m) {
        byId.remove(m.id);
        TreeMap<String, Member> g = groups.get(m.group);
        if (g != null) {
            g.remove(m.id);
            if (g.isEmpty()) {
                groups.remove(m.group);
            }
        }
    }

    /** @return true if {@code conn} has a group member */
    synchronized boolean hasMembers(ServerConnection conn) {
        for (Member m : byId.values()) {
            if (m.connection == conn) {
                return true;
            }
        }
        return false;
    }

    /** Ends every member of a closed connection. */
    synchronized void connectionClosed(ServerConnection conn) {
        for (Member m : List.copyOf(byId.values())) {
            if (m.connection == conn) {
                remove(m);
            }
        }
    }
}
