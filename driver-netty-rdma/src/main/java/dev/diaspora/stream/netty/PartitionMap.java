package dev.diaspora.stream.netty;

import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.PartitionInfo;
import dev.diaspora.stream.netty.protocol.Protocol;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A client's view of an open topic's partitions at one count: the connection and local index of each global
 * partition, and back. A topic that grows gets a new map ({@link Placement} gives the rule).
 *
 * <p>Thread safety: immutable; do not modify the arrays it returns.
 */
final class PartitionMap {
    final int size;
    private final Connection[] serverOf;
    private final int[] localOf;
    private final Map<Connection, int[]> globalOf;
    private final List<PartitionInfo> partitions;

    /**
     * @param byId the client's connection to a server id, or null if the client does not list that server
     * @throws DiasporaException naming the server of a partition that the client does not list
     */
    PartitionMap(String topic, Placement placement, int n, Function<String, Connection> byId) {
        this.size = n;
        this.serverOf = new Connection[n];
        this.localOf = new int[n];
        Map<Connection, List<Integer>> hosted = new HashMap<>();
        List<PartitionInfo> infos = new ArrayList<>(n);
        for (int p = 0; p < n; p++) {
            String id = placement.serverOf(p);
            Connection c = byId.apply(id);
            if (c == null) {
                throw new DiasporaException("Partition " + p + " of topic '" + topic + "' is stored on the partition"
                        + " server with id " + id + ", which is not among the servers of option 'servers'. Add that"
                        + " server to the option");
            }
            serverOf[p] = c;
            localOf[p] = placement.localOf(p);
            hosted.computeIfAbsent(c, k -> new ArrayList<>()).add(p);
            infos.add(new PartitionInfo(p, Metadata.of("{\"server\":" + Protocol.jsonString(c.address) + "}")));
        }
        this.partitions = List.copyOf(infos);
        Map<Connection, int[]> g = new HashMap<>();
        hosted.forEach((c, l) -> g.put(c, l.stream().mapToInt(Integer::intValue).toArray()));
        this.globalOf = Map.copyOf(g);
    }

    Connection serverOf(int p) {
        return serverOf[p];
    }

    int localOf(int p) {
        return localOf[p];
    }

    /** @return the local index of each global partition (for encoders) */
    int[] localOf() {
        return localOf;
    }

    /** @return the global partition of each local index on {@code c} that this map covers, or null if none */
    int[] globalOf(Connection c) {
        return globalOf.get(c);
    }

    /** @return each server holding partitions of this map, with the global partition of each of its local indexes */
    Map<Connection, int[]> servers() {
        return globalOf;
    }

    List<PartitionInfo> partitions() {
        return partitions;
    }
}
