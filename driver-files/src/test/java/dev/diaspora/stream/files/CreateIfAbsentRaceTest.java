package dev.diaspora.stream.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.TopicMismatchException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13: sixteen processes (child JVMs) start together with {@code createTopicIfAbsent} on one name under one
 * {@code root_path}: exactly one creates the topic, all open it, and the event each pushes lands in that one topic.
 */
class CreateIfAbsentRaceTest {
    private static final int PROCESSES = 16;

    @TempDir
    Path root;

    @TempDir
    Path scratch;

    @Test
    @Timeout(300)
    void sixteenProcessesRacingCreateTheTopicExactlyOnceAndAllOpenIt() throws Exception {
        Path go = scratch.resolve("go");
        List<ChildProcess> children = new ArrayList<>();
        try {
            for (int i = 0; i < PROCESSES; i++) {
                children.add(ChildProcess.start(CreateIfAbsentMain.class, root.toString(), "runs", "c" + i,
                        go.toString()));
            }
            for (ChildProcess c : children) {
                assertTrue(c.awaitLine("READY", 120_000), "a child did not start: " + c.lines() + "\n" + c.errors());
            }
            Files.createFile(go);
            int created = 0;
            for (ChildProcess c : children) {
                assertEquals(0, c.waitFor(120_000), "child: " + c.lines() + "\n" + c.errors());
                assertTrue(c.lines().contains("OPENED 4"), "child opened the topic: " + c.lines());
                created += c.lines().contains("CREATED") ? 1 : 0;
            }
            assertEquals(1, created, "processes whose createTopicIfAbsent returned true");
        } finally {
            for (ChildProcess c : children) {
                c.close();
            }
        }
        try (Stream<Path> s = Files.list(root)) {
            assertEquals(List.of("runs"), s.map(p -> p.getFileName().toString()).toList(),
                    "the root holds the topic and no leftover of the losing creations");
        }
        try (Driver d = Driver.open("files", Metadata.of("{\"root_path\":\"" + root + "\"}"));
                TopicHandle t = d.openTopic("runs")) {
            long events = 0;
            for (int p = 0; p < 4; p++) {
                events += t.bounds(p).next();
            }
            assertEquals(PROCESSES, events, "every child pushed its event into the one topic");
            TopicMismatchException e = assertThrows(TopicMismatchException.class,
                    () -> d.createTopicIfAbsent("runs", Metadata.of("{\"num_partitions\":4,\"durability\":\"fsync\"}")));
            assertEquals(List.of("durability"), e.keys(), e.getMessage());
            assertEquals(Set.of("num_partitions"), new HashSet<>(assertThrows(TopicMismatchException.class,
                    () -> d.createTopicIfAbsent("runs", Metadata.of("{\"num_partitions\":2}"))).keys()));
        }
    }
}
