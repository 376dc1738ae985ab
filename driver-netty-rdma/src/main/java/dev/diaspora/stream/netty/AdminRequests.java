package dev.diaspora.stream.netty;

import dev.diaspora.stream.InvalidOptionException;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.TopicNotFoundException;
import dev.diaspora.stream.files.FilesDriverProvider;
import dev.diaspora.stream.netty.protocol.Answers;
import dev.diaspora.stream.netty.protocol.Protocol;
import dev.diaspora.stream.netty.protocol.Request;
import dev.diaspora.stream.netty.protocol.TopicChangeFrames;
import dev.diaspora.stream.netty.protocol.TopicRequests;
import dev.diaspora.stream.spi.Options;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The topic administration requests of a {@link PartitionServer} (PROTOCOL.md, "Requests" and "Topic changes"):
 * create, list, exists, delete, alter and add partitions. They act on the server's files storage and hold no state
 * of a connection, so any connection may send them; they run on the server's worker pool.
 *
 * <p>Thread safety: thread-safe; topic changes of one server are serialized (the files engine serializes them
 * across processes too, but a server decides its share of new partitions from the count it reads first).
 */
final class AdminRequests {
    private static final FilesDriverProvider FILES = new FilesDriverProvider();
    /** What a client may change: the netty driver's declared alterable options, not all the files engine allows. */
    private static final Set<String> ALTERABLE = new NettyDriverProvider().capabilities().alterableOptions();

    private final PartitionServer server;
    private final Object changeLock = new Object();

    AdminRequests(PartitionServer server) {
        this.server = server;
    }

    /** @return whether {@code type} is an admin request served by {@link #serve} */
    static boolean isAdminRequest(int type) {
        return type == Protocol.CREATE_TOPIC || type == Protocol.LIST_TOPICS || type == Protocol.TOPIC_EXISTS
                || type == Protocol.DELETE_TOPIC || type == Protocol.ALTER_TOPIC || type == Protocol.ADD_PARTITIONS;
    }

    /**
     * Serves one admin request.
     *
     * @return the OK payload, or null for none
     */
    ByteBuf serve(ByteBufAllocator alloc, Request r) {
        if (r instanceof TopicRequests.CreateTopic c) {
            server.storage().createTopic(c.name(), FILES.topicOptions().validate(Metadata.of(c.options()),
                    "topic '" + c.name() + "'"), Metadata.of(c.components()));
            return null;
        } else if (r instanceof TopicRequests.ListTopics) {
            Map<String, String> all = new LinkedHashMap<>();
            server.storage().listTopics().forEach((name, description) -> all.put(name, description.toString()));
            return Protocol.encode(alloc, new Answers.TopicList(all)::encode);
        } else if (r instanceof TopicRequests.TopicExists e) {
            return Protocol.encode(alloc, new Answers.Flag(server.storage().topicExists(e.name()))::encode);
        } else if (r instanceof TopicRequests.DeleteTopic d) {
            server.topics().delete(d.name());
            return null;
        } else if (r instanceof TopicChangeFrames.AlterTopic a) {
            alter(a);
            return null;
        } else if (r instanceof TopicChangeFrames.AddPartitions a) {
            return Protocol.encode(alloc, new TopicChangeFrames.PartitionCount(addPartitions(a))::encode);
        }
        throw new Protocol.BadFrameException("unknown request type " + r.type());
    }

    /**
     * Applies option changes through the files engine, which hands them to the topic's open handle on this server
     * (retention then applies to the next trimming round). A client is not trusted: the options are validated again
     * and only those the netty driver declares alterable are accepted (the files engine could change more, such as
     * segment options, but clients of this protocol version do not offer them).
     */
    private void alter(TopicChangeFrames.AlterTopic req) {
        Metadata given = Metadata.of(req.options());
        String what = "topic '" + req.name() + "'";
        Options changes = FILES.topicOptions().validateChanges(given, what); // JSON object, known options, values
        Set<String> alterable = ALTERABLE;
        Set<String> fixed = new TreeSet<>();
        for (Iterator<String> it = given.json().fieldNames(); it.hasNext();) {
            String key = it.next();
            if (!alterable.contains(key)) {
                fixed.add(key);
            }
        }
        if (given.json().isEmpty() || !fixed.isEmpty()) {
            throw new InvalidOptionException("Cannot change option" + (fixed.size() == 1 ? " " : "s ") + fixed
                    + " of " + what + " on partition server " + server.serverId() + ": give a non-empty object of"
                    + " options among " + new TreeSet<>(alterable) + "; nothing was changed");
        }
        synchronized (changeLock) {
            describe(req.name());
            server.storage().alterTopic(req.name(), changes);
        }
    }

    /** @return this server's partition count of the topic after adding its share of partitions up to the count */
    private int addPartitions(TopicChangeFrames.AddPartitions req) {
        synchronized (changeLock) {
            Metadata d = describe(req.name());
            Placement placement = Placement.of(req.name(), d.json());
            int have = d.json().path("num_partitions").asInt();
            int want = placement.localCount(server.serverId(), req.count());
            if (placement.ring().indexOf(server.serverId()) < 0) {
                throw new InvalidOptionException("Partition server " + server.serverId() + " holds no partition of"
                        + " topic '" + req.name() + "' (its servers are " + placement.ring() + "): send"
                        + " ADD_PARTITIONS to those");
            }
            if (want > have) { // otherwise an earlier or concurrent call already added this server's share
                server.storage().addPartitions(req.name(), want);
                return want;
            }
            return have;
        }
    }

    private Metadata describe(String name) {
        Metadata d = server.storage().describeTopic(name);
        if (d == null) {
            throw new TopicNotFoundException("Topic '" + name + "' does not exist on partition server "
                    + server.serverId());
        }
        return d;
    }
}
