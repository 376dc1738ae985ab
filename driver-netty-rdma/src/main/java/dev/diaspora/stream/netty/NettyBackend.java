package dev.diaspora.stream.netty;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.InvalidOptionException;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.TopicExistsException;
import dev.diaspora.stream.TopicNotFoundException;
import dev.diaspora.stream.netty.protocol.Answers;
import dev.diaspora.stream.netty.protocol.Protocol;
import dev.diaspora.stream.netty.protocol.TopicRequests;
import dev.diaspora.stream.netty.protocol.TopicChangeFrames;
import dev.diaspora.stream.spi.Backend;
import dev.diaspora.stream.spi.Backoff;
import dev.diaspora.stream.spi.Clock;
import dev.diaspora.stream.spi.Options;
import dev.diaspora.stream.spi.TopicBackend;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.File;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLException;

/**
 * The client side of the {@code netty} driver: one connection per server, topic admin over the protocol.
 *
 * <p>A topic's placement (which server, by its stable id, holds each partition) is stored with the topic on each of
 * its servers, under the reserved component key {@value #PLACEMENT}; this class hides that key from users.
 *
 * <p>Thread safety: thread-safe.
 */
final class NettyBackend implements Backend {
    static final String PLACEMENT = "netty_placement";
    /** How {@link #openTopic} retries a topic still being created: 10 ms at first, doubling to 200 ms, for 10 s. */
    static final Backoff OPEN_RETRY = Backoff.exponential(Duration.ofMillis(10), Duration.ofMillis(200))
            .deadline(Duration.ofSeconds(10));

    private final String token;
    private final int connectTimeoutMillis;
    private final long requestTimeoutMillis;
    private final long deliveryTimeoutMillis;
    private final SslContext ssl;
    private final EventLoopGroup group;
    private final List<Connection> connections = new ArrayList<>();
    private final Map<String, Connection> byId = new HashMap<>();
    private final Set<NettyTopic> open = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    NettyBackend(List<String> servers, Options options) {
        String t = options.string(NettyDriverProvider.TOKEN);
        this.token = t == null ? "" : t;
        this.connectTimeoutMillis = options.intValue(NettyDriverProvider.CONNECT_TIMEOUT_MS, 10_000);
        this.requestTimeoutMillis = options.integer(NettyDriverProvider.REQUEST_TIMEOUT_MS, 30_000);
        this.deliveryTimeoutMillis = options.integer(NettyDriverProvider.DELIVERY_TIMEOUT_MS, 120_000);
        this.ssl = options.bool(NettyDriverProvider.TLS, false) ? sslContext(options.string(
                NettyDriverProvider.TLS_TRUST)) : null;
        this.group = Transport.get().group(options.intValue(NettyDriverProvider.IO_THREADS, 1), "diaspora-netty-io");
        try {
            for (String s : servers) {
                Connection c = new Connection(this, s);
                connections.add(c);
                c.connect();
                Connection other = byId.putIfAbsent(c.serverId(), c);
                if (other != null) {
                    throw new InvalidOptionException("Servers " + other.address + " and " + s + " in option 'servers'"
                            + " are the same partition server (id " + c.serverId() + "): list each server once");
                }
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private static SslContext sslContext(String trust) {
        try {
            SslContextBuilder b = SslContextBuilder.forClient();
            if (trust != null) {
                b.trustManager(new File(trust));
            }
            return b.build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new InvalidOptionException("Cannot set up TLS for driver 'netty'" + (trust == null ? ""
                    : " with trusted certificates from " + trust) + ": " + e + ". Give a PEM file in option '"
                    + NettyDriverProvider.TLS_TRUST + "'", e);
        }
    }

    EventLoopGroup group() {
        return group;
    }

    SslContext ssl() {
        return ssl;
    }

    String token() {
        return token;
    }

    int connectTimeoutMillis() {
        return connectTimeoutMillis;
    }

    long requestTimeoutMillis() {
        return requestTimeoutMillis;
    }

    /** @return how long a producer's batch may take to be stored, retries included (0: no retries) */
    long deliveryTimeoutMillis() {
        return deliveryTimeoutMillis;
    }

    ByteBufAllocator alloc() {
        return ByteBufAllocator.DEFAULT;
    }

    Connection byServerId(String id) {
        return byId.get(id);
    }

    List<Connection> connections() {
        return connections;
    }

    // ------------------------------------------------------------------ admin

    @Override
    public void createTopic(String name, Options topicOptions, Metadata components) {
        checkOpen();
        int n = topicOptions.intValue("num_partitions", 1);
        List<Connection> ring = creationRing(connections, name);
        ObjectNode stored = ((ObjectNode) components.json()).deepCopy();
        // topic_id names this incarnation: a re-created topic has another
        stored.set(PLACEMENT, Placement.create(ring.stream().map(Connection::serverId).toList(), n,
                UUID.randomUUID().toString()));
        int[] counts = new int[ring.size()]; // partition p on ring[p mod S]
        for (int p = 0; p < n; p++) {
            counts[p % ring.size()]++;
        }
        // created in the order of the server ids, not of the ring: two clients creating the name at once go to the
        // same server first, and there one of them loses before it created anything (in ring order, clients whose
        // rings differ could each win a first server and then both undo and fail)
        Integer[] order = new Integer[ring.size()];
        for (int s = 0; s < order.length; s++) {
            order[s] = s;
        }
        Arrays.sort(order, Comparator.comparing(s -> ring.get(s).serverId()));
        List<Connection> done = new ArrayList<>();
        try {
            for (int s : order) {
                if (counts[s] == 0) {
                    continue;
                }
                ObjectNode o = JsonNodeFactory.instance.objectNode();
                Iterator<Map.Entry<String, JsonNode>> it = topicOptions.toMetadata().json().fields();
                while (it.hasNext()) {
                    Map.Entry<String, JsonNode> e = it.next();
                    if (!e.getValue().isNull()) {
                        o.set(e.getKey(), e.getValue());
                    }
                }
                o.put("num_partitions", counts[s]);
                Connection c = ring.get(s);
                c.callSync(Protocol.CREATE_TOPIC, new TopicRequests.CreateTopic(name, o.toString(), stored.toString())
                        .encode(alloc())).release();
                done.add(c);
            }
        } catch (RuntimeException e) {
            if (!(e instanceof TopicExistsException) || !done.isEmpty()) {
                for (Connection c : done) { // undo: a topic exists on all its servers or on none
                    try {
                        deleteOn(c, name);
                    } catch (RuntimeException ignored) {
                        e.addSuppressed(ignored);
                    }
                }
            }
            throw e;
        }
    }

    /** @return {@code servers} in the order of {@link Placement#creationRing} for a new topic {@code topic} */
    static List<Connection> creationRing(List<Connection> servers, String topic) {
        Map<String, Connection> byId = new HashMap<>();
        for (Connection c : servers) {
            byId.put(c.serverId(), c);
        }
        return Placement.creationRing(byId.keySet(), topic).stream().map(byId::get).toList();
    }

    /**
     * Opens the topic, and opens it again while it is {@link NettyTopic#incomplete incomplete} (another client is
     * creating it server by server, or deleting it): for at most {@link #OPEN_RETRY}'s deadline, or the request
     * timeout if shorter. Other failures are not retried here.
     */
    @Override
    public TopicBackend openTopic(String name) {
        return OPEN_RETRY.deadlineAtMost(Duration.ofMillis(requestTimeoutMillis)).call(Clock.system(),
                "opening topic '" + name + "'", e -> e instanceof NettyTopic.IncompleteTopicException,
                () -> openOnce(name));
    }

    private TopicBackend openOnce(String name) {
        checkOpen();
        Map<Connection, ByteBuf> answers = new LinkedHashMap<>();
        try {
            for (Connection c : connections) {
                try {
                    answers.put(c, c.callSync(Protocol.OPEN_TOPIC, new TopicRequests.OpenTopic(name).encode(alloc())));
                } catch (TopicNotFoundException e) {
                    // this server holds none of its partitions
                }
            }
            if (answers.isEmpty()) {
                throw new TopicNotFoundException("Topic '" + name + "' does not exist on the partition servers "
                        + connections + "; create it first with createTopic(\"" + name + "\")");
            }
            NettyTopic t = new NettyTopic(this, name, answers);
            open.add(t);
            return t;
        } finally {
            for (ByteBuf b : answers.values()) {
                b.release();
            }
        }
    }

    void closed(NettyTopic t) {
        open.remove(t);
    }

    @Override
    public boolean topicExists(String name) {
        checkOpen();
        for (Connection c : connections) {
            ByteBuf a = c.callSync(Protocol.TOPIC_EXISTS, new TopicRequests.TopicExists(name).encode(alloc()));
            try {
                if (Answers.Flag.decode(a).value()) {
                    return true;
                }
            } finally {
                a.release();
            }
        }
        return false;
    }

    @Override
    public Map<String, Metadata> listTopics() {
        checkOpen();
        Map<String, ObjectNode> first = new TreeMap<>();
        Map<String, Map<String, Integer>> localCounts = new HashMap<>();
        for (Connection c : connections) {
            ByteBuf a = c.callSync(Protocol.LIST_TOPICS, new TopicRequests.ListTopics().encode(alloc()));
            try {
                for (Map.Entry<String, String> topic : Answers.TopicList.decode(a).topics().entrySet()) {
                    String name = topic.getKey();
                    ObjectNode d = (ObjectNode) Metadata.of(topic.getValue()).json();
                    first.putIfAbsent(name, d);
                    localCounts.computeIfAbsent(name, k -> new HashMap<>()).put(c.serverId(),
                            d.path("num_partitions").asInt());
                }
            } finally {
                a.release();
            }
        }
        Map<String, Metadata> out = new TreeMap<>();
        first.forEach((name, stored) -> {
            ObjectNode d = stored.deepCopy();
            JsonNode place = d.remove(PLACEMENT);
            if (place != null && place.has("num_partitions")) { // the count is what every server of the ring holds
                int created = place.get("num_partitions").asInt();
                int n = created;
                try {
                    n = Math.max(created, Placement.of(name, stored).count(localCounts.get(name)));
                } catch (DiasporaException e) {
                    // a placement this client cannot map: the count it was created with
                }
                d.put("num_partitions", n);
            }
            out.put(name, Metadata.of(d));
        });
        return out;
    }

    /**
     * Sends the changes to every server holding the topic; each validates them and applies them with its files
     * engine (retention takes effect there). A server that fails leaves the others changed: call again, the change
     * is idempotent.
     */
    @Override
    public void alterTopic(String name, Options changes) {
        checkOpen();
        TopicChangeFrames.AlterTopic req = new TopicChangeFrames.AlterTopic(name, changes.toMetadata().toString());
        boolean any = false;
        for (Connection c : connections) {
            try {
                c.callSync(Protocol.ALTER_TOPIC, req.encode(alloc())).release();
                any = true;
            } catch (TopicNotFoundException e) {
                // this server holds none of its partitions
            }
        }
        if (!any) {
            throw new TopicNotFoundException("Topic '" + name + "' does not exist on the partition servers "
                    + connections + "; create it first with createTopic(\"" + name + "\")");
        }
    }

    /**
     * Asks every server of the topic's ring to add its share of partitions {@code current..newCount-1} (the ring
     * rule of {@link Placement}); the count grows once all of them have. A server that fails leaves the topic at its
     * old count (the others' new partitions are not mapped by anyone): call again with the same count to complete it.
     * Open topics of this driver see the new count at once, those of other clients with the servers' next NOTIFY.
     */
    @Override
    public void addPartitions(String name, int newCount) {
        checkOpen();
        if (newCount > TopicChangeFrames.MAX_PARTITIONS) {
            throw new IllegalArgumentException("Topic '" + name + "': the netty driver holds at most "
                    + TopicChangeFrames.MAX_PARTITIONS + " partitions per topic, got " + newCount);
        }
        try (NettyTopic t = (NettyTopic) openTopic(name)) {
            dev.diaspora.stream.spi.Partitions.checkGrowth(name, t.numPartitions(), newCount);
            TopicChangeFrames.AddPartitions req = new TopicChangeFrames.AddPartitions(name, newCount);
            for (String id : t.placement().ring()) {
                Connection c = byServerId(id); // every server of the ring: openTopic checked it
                ByteBuf a = c.callSync(Protocol.ADD_PARTITIONS, req.encode(alloc()));
                int local;
                try {
                    local = TopicChangeFrames.PartitionCount.decode(a).local();
                } finally {
                    a.release();
                }
                for (NettyTopic o : List.copyOf(open)) {
                    if (o.name().equals(name)) {
                        o.partitionsAdded(c, local);
                    }
                }
            }
        }
    }

    @Override
    public void deleteTopic(String name) {
        checkOpen();
        boolean any = false;
        for (NettyTopic t : List.copyOf(open)) {
            if (t.name().equals(name)) {
                t.close();
            }
        }
        for (Connection c : connections) {
            try {
                deleteOn(c, name);
                any = true;
            } catch (TopicNotFoundException e) {
                // not on this server
            }
        }
        if (!any) {
            throw new TopicNotFoundException("Topic '" + name + "' does not exist on the partition servers "
                    + connections + "; nothing to delete");
        }
    }

    private void deleteOn(Connection c, String name) {
        c.callSync(Protocol.DELETE_TOPIC, new TopicRequests.DeleteTopic(name).encode(alloc())).release();
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the netty driver is closed");
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (NettyTopic t : List.copyOf(open)) {
            t.close();
        }
        for (Connection c : connections) {
            c.close();
        }
        Transport.shutdown(group);
    }

    @Override
    public String toString() {
        return "netty" + connections;
    }

}
