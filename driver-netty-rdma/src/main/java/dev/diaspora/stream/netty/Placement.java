package dev.diaspora.stream.netty;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diaspora.stream.DiasporaException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * Which partition server holds each partition of a topic (PROTOCOL.md, "Placement"), shared by the client and the
 * server. The stored entry ({@value NettyBackend#PLACEMENT} among the topic's components, written once at creation)
 * lists the server of each partition the topic was created with. The topic's <b>ring</b> is the list of those
 * servers in the order of their first partition; partition {@code p} is on {@code ring[p mod R]}, at creation and
 * for every partition added later, and it is the {@code (p div R)}-th partition of that server (its local index).
 *
 * <p>The number of partitions is therefore not stored anywhere but derived from what each server holds: it is the
 * largest {@code N} such that every partition below {@code N} exists on its server. A server that grew before the
 * others (an {@code addPartitions} in progress, or one cut short) holds local partitions beyond {@code N} that no
 * client maps until the others have grown too; a repeated {@code addPartitions} completes it.
 *
 * <p>Thread safety: immutable.
 */
final class Placement {
    private final List<String> ring;
    private final int created;

    private Placement(List<String> ring, int created) {
        this.ring = List.copyOf(ring);
        this.created = created;
    }

    /**
     * The servers of a new topic in the order of its partitions (partition p on {@code ring[p mod S]}): the server
     * ids sorted, rotated left by the CRC32 of the topic's UTF-8 name mod S (PROTOCOL.md, "Placement"). It depends on
     * the set of servers and the name only, never on the order of a client's {@code servers} option: two clients that
     * list the same servers in different orders place a name's partitions on the same servers (so racing creators of
     * a topic of fewer partitions than servers meet on its first server), and single-partition topics spread over the
     * servers instead of all going to the first one listed.
     */
    static List<String> creationRing(Collection<String> serverIds, String topic) {
        List<String> ring = new ArrayList<>(serverIds);
        Collections.sort(ring);
        CRC32 crc = new CRC32();
        crc.update(topic.getBytes(StandardCharsets.UTF_8));
        Collections.rotate(ring, -(int) (crc.getValue() % ring.size()));
        return ring;
    }

    /**
     * @return the stored entry of a new topic of {@code n} partitions over {@code serverIds}, its ring (partition p on
     *     {@code serverIds[p mod S]}), naming its incarnation {@code topicId}
     */
    static ObjectNode create(List<String> serverIds, int n, String topicId) {
        ArrayNode servers = JsonNodeFactory.instance.arrayNode();
        for (int p = 0; p < n; p++) {
            servers.add(serverIds.get(p % serverIds.size()));
        }
        ObjectNode place = JsonNodeFactory.instance.objectNode();
        place.put("num_partitions", n);
        place.set("servers", servers);
        place.put("topic_id", topicId);
        return place;
    }

    /**
     * @param components a topic's stored components (or its description), holding the placement entry
     * @throws DiasporaException naming the topic if the entry is missing or does not follow the ring rule
     */
    static Placement of(String topic, JsonNode components) {
        JsonNode servers = components.path(NettyBackend.PLACEMENT).path("servers");
        if (!servers.isArray() || servers.size() == 0) {
            throw new DiasporaException("Topic '" + topic + "' has no partition placement: it was not created"
                    + " through the netty driver");
        }
        List<String> ring = new ArrayList<>();
        for (JsonNode s : servers) {
            if (!ring.contains(s.asText())) {
                ring.add(s.asText());
            }
        }
        for (int p = 0; p < servers.size(); p++) {
            if (!servers.get(p).asText().equals(ring.get(p % ring.size()))) {
                throw new DiasporaException("Topic '" + topic + "' has a placement that does not put partition p on"
                        + " server p mod " + ring.size() + " (partition " + p + " on " + servers.get(p).asText()
                        + "): the netty driver cannot map its partitions");
            }
        }
        return new Placement(ring, servers.size());
    }

    /** @return the ids of the topic's servers, in the order of their first partition */
    List<String> ring() {
        return ring;
    }

    /** @return the number of partitions the topic was created with */
    int created() {
        return created;
    }

    /** @return the id of the server of partition {@code p} */
    String serverOf(int p) {
        return ring.get(p % ring.size());
    }

    /** @return the index of partition {@code p} among its server's partitions */
    int localOf(int p) {
        return p / ring.size();
    }

    /** @return how many of partitions {@code 0..n-1} server {@code serverId} holds (0 if not one of the ring) */
    int localCount(String serverId, int n) {
        int r = ring.indexOf(serverId);
        return r < 0 || r >= n ? 0 : (n - r + ring.size() - 1) / ring.size();
    }

    /**
     * @param localCounts the partitions each server of the ring holds, by server id (absent: none)
     * @return the topic's partition count: the largest N whose every partition exists on its server
     */
    int count(Map<String, Integer> localCounts) {
        int n = Integer.MAX_VALUE;
        for (int r = 0; r < ring.size(); r++) {
            long upTo = r + (long) localCounts.getOrDefault(ring.get(r), 0) * ring.size();
            n = (int) Math.min(n, upTo);
        }
        return n;
    }
}
