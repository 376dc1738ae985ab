package dev.diaspora.stream.files;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataAllocator;
import dev.diaspora.stream.DataDescriptor;
import dev.diaspora.stream.DataSelector;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.StartAt;
import dev.diaspora.stream.TopicHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19, item 1: the topics the C++ library wrote, read through the ordinary API of the {@code files-v0} driver:
 * every event equals {@code expected.jsonl} (metadata text, data length, SHA-256), with and without data selections,
 * from every start position; positions stored beside the topic leave the C++ files untouched.
 */
@Timeout(60)
class V0ReadTest {
    @TempDir
    Path root;

    @BeforeEach
    void fixtures() throws Exception {
        V0Fixtures.copy(root);
    }

    private static Map<String, List<V0Fixtures.Expected>> byTopic() throws Exception {
        return V0Fixtures.expected().stream().collect(Collectors.groupingBy(V0Fixtures.Expected::topic));
    }

    @Test
    void everyEventOfEveryTopicEqualsWhatTheCppConsumerRead() throws Exception {
        Map<String, List<V0Fixtures.Expected>> expected = byTopic();
        try (Driver d = V0Fixtures.open(root)) {
            for (String topic : List.of("one", "three", "empty", "big")) {
                List<V0Fixtures.Expected> want = expected.getOrDefault(topic, List.of());
                try (TopicHandle t = d.openTopic(topic);
                        Consumer c = t.consumer(ConsumerOptions.named("all").startAt(StartAt.EARLIEST))) {
                    assertEquals(topic.equals("three") ? 3 : topic.equals("empty") ? 2 : 1, t.partitions().size());
                    Map<String, Event> got = new HashMap<>();
                    for (Event e : V0Fixtures.take(c, want.size())) {
                        got.put(e.partition() + "/" + e.id(), e);
                    }
                    assertFalse(c.poll(Duration.ofMillis(200)).isPresent(), topic + ": no event beyond the fixture");
                    for (V0Fixtures.Expected x : want) {
                        Event e = got.get(x.partition() + "/" + x.id());
                        assertTrue(e != null, topic + ": event " + x.partition() + "/" + x.id() + " missing");
                        assertEquals(x.metadata(), e.metadata().toString(), topic + " " + x);
                        byte[] data = e.data().toByteArray();
                        assertEquals(x.dataLen(), data.length, topic + " " + x);
                        assertEquals(x.sha256(), V0Fixtures.sha256(data), topic + " " + x);
                        assertEquals(Instant.EPOCH, e.timestamp(), "v0 stores no time");
                    }
                }
            }
        }
    }

    /** Random sub-views, strided and unstructured views: exactly the selected bytes, for heap and direct buffers. */
    @Test
    void selectionsReadExactlyTheSelectedBytes() throws Exception {
        long seed = System.nanoTime();
        SplittableRandom rnd = new SplittableRandom(seed);
        Map<Long, DataDescriptor> chosen = new java.util.concurrent.ConcurrentHashMap<>();
        DataSelector selector = (m, desc) -> {
            long k = m.json().get("k").asLong();
            long size = desc.size();
            DataDescriptor s;
            synchronized (rnd) {
                switch (rnd.nextInt(4)) {
                    case 0 -> s = desc.makeSubView(size == 0 ? 0 : rnd.nextLong(size), rnd.nextLong(size + 1));
                    case 1 -> s = desc.makeStridedView(rnd.nextLong(Math.max(1, size / 4 + 1)), 1 + rnd.nextInt(5),
                            1 + rnd.nextInt(20), rnd.nextInt(30));
                    case 2 -> s = desc.makeUnstructuredView(new DataDescriptor.Range(0, Math.min(3, size)),
                            new DataDescriptor.Range(Math.min(size, 7), size / 3));
                    default -> s = DataDescriptor.NONE;
                }
            }
            chosen.put(k, s);
            return s;
        };
        try (Driver d = V0Fixtures.open(root)) {
            for (String topic : List.of("one", "three", "big")) {
                for (DataAllocator alloc : List.of(DataAllocator.heap(), DataAllocator.direct())) {
                    chosen.clear();
                    int n = topic.equals("big") ? 3 : 40;
                    try (TopicHandle t = d.openTopic(topic);
                            Consumer c = t.consumer(ConsumerOptions.named("sel").startAt(StartAt.EARLIEST)
                                    .dataSelector(selector).dataAllocator(alloc))) {
                        for (Event e : V0Fixtures.take(c, n)) {
                            int k = e.metadata().json().get("k").asInt();
                            byte[] full = V0Fixtures.pattern(k, topic.equals("big") ? 1_048_593 : (k * 37) % 300);
                            byte[] want = select(full, chosen.get((long) k));
                            assertArrayEquals(want, e.data().toByteArray(), "seed " + seed + ", " + topic + " k=" + k
                                    + " " + chosen.get((long) k));
                        }
                    }
                }
            }
        }
    }

    private static byte[] select(byte[] full, DataDescriptor s) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (DataDescriptor.Range r : s.flatten()) {
            out.write(full, (int) r.offset(), (int) r.size());
        }
        return out.toByteArray();
    }

    @Test
    void startPositionsAndStoredPositionsLeaveTheCppFilesAlone() throws Exception {
        Map<Path, byte[]> before = cppFiles(root.resolve("three"));
        try (Driver d = V0Fixtures.open(root); TopicHandle t = d.openTopic("three")) {
            assertEquals(14, t.bounds(0).next());
            assertEquals(13, t.bounds(2).next());
            try (Consumer c = t.consumer(ConsumerOptions.named("late").startAt(StartAt.LATEST))) {
                assertFalse(c.poll(Duration.ofMillis(200)).isPresent(), "LATEST: nothing yet");
            }
            try (Consumer c = t.consumer(ConsumerOptions.named("at5").targets(1).startAt(StartAt.id(5)))) {
                Event e = V0Fixtures.take(c, 1).get(0);
                assertEquals(5, e.id());
                assertEquals("{\"energy\":12,\"k\":16,\"name\":\"ev-16\"}", e.metadata().toString(), "k = 3*5+1");
            }
            try (Consumer c = t.consumer(ConsumerOptions.named("app").targets(0).startAt(StartAt.EARLIEST))) {
                for (Event e : V0Fixtures.take(c, 4)) {
                    e.acknowledge();
                }
                c.commit().join();
            }
            try (Consumer c = t.consumer(ConsumerOptions.named("app").targets(0).startAt(StartAt.EARLIEST))) {
                assertEquals(4, V0Fixtures.take(c, 1).get(0).id(), "the stored position, not startAt");
            }
            assertEquals(Map.of(0, 4L), t.positions("app"));
            assertThrows(UnsupportedOperationException.class,
                    () -> t.consumer(ConsumerOptions.named("time").startAt(StartAt.time(Instant.now()))));
        }
        Map<Path, byte[]> after = cppFiles(root.resolve("three"));
        assertEquals(before.keySet(), after.keySet(), "no file added or removed where C++ looks");
        for (Path f : before.keySet()) {
            assertArrayEquals(before.get(f), after.get(f), f + " unchanged");
        }
        assertTrue(Files.isDirectory(root.resolve("three/.diaspora-java/consumers")), "positions beside the topic");
    }

    /** Every file outside .diaspora-java, with its bytes. */
    static Map<Path, byte[]> cppFiles(Path topic) throws Exception {
        Map<Path, byte[]> out = new HashMap<>();
        try (Stream<Path> all = Files.walk(topic)) {
            for (Path f : (Iterable<Path>) all::iterator) {
                Path rel = topic.relativize(f);
                if (!rel.toString().startsWith(V0Layout.JAVA_DIR) && Files.isRegularFile(f)) {
                    out.put(rel, Files.readAllBytes(f));
                }
            }
        }
        return out;
    }

    @Test
    void listAndDescribeShowTheLayout() throws Exception {
        try (Driver d = V0Fixtures.open(root)) {
            Map<String, dev.diaspora.stream.Metadata> topics = d.listTopics();
            assertEquals(List.of("big", "empty", "one", "three"), new ArrayList<>(topics.keySet()));
            String three = topics.get("three").toString();
            assertTrue(three.contains("\"layout\":\"v0\"") && three.contains("\"num_partitions\":3"), three);
            assertTrue(three.contains("\"serializer\":{\"type\":\"default\"}"), three);
        }
        assertTrue(Arrays.asList(root.toFile().list()).contains("one"));
    }
}
