package dev.diaspora.stream.netty;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Topic names for tests that need a topic's partitions on particular servers: the creation rule
 * ({@link Placement#creationRing}) follows the server ids and the name, so a test picks the name.
 */
final class PlacedNames {
    private PlacedNames() {
    }

    /**
     * @param serverIds the ids of the servers, in the order partitions 0, 1, ... must go to them (every server once)
     * @return {@code prefix}, or {@code prefix-N} for the smallest N, whose partition p is created on
     *     {@code serverIds[p mod S]}
     * @throws IllegalArgumentException if no name does (three or more servers in an order that is no rotation of the
     *     sorted ids)
     */
    static String topic(String prefix, List<String> serverIds) {
        for (int i = 0; i < 1000; i++) {
            String name = i == 0 ? prefix : prefix + "-" + i;
            if (Placement.creationRing(serverIds, name).equals(serverIds)) {
                return name;
            }
        }
        throw new IllegalArgumentException("no topic name places its partitions on " + serverIds + " in that order");
    }

    /** @return the id of the partition server whose root directory is {@code root} (started once at least) */
    static String serverId(Path root) {
        try {
            return Files.readString(root.resolve(PartitionServer.ID_FILE)).trim();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
