package dev.diaspora.stream.files;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.StartAt;
import dev.diaspora.stream.TopicHandle;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19, item 2: a Java producer writes v0 topics byte for byte as the C++ library wrote the fixtures (same
 * events pushed in the same order), the Java reader reads back what was pushed, and a second Java process is refused
 * while one appends.
 */
@Timeout(90)
class V0WriteTest {
    @TempDir
    Path root;

    private static void assertSameFiles(Path expected, Path actual) throws Exception {
        Map<Path, byte[]> want = V0ReadTest.cppFiles(expected);
        Map<Path, byte[]> got = V0ReadTest.cppFiles(actual);
        assertEquals(new java.util.TreeSet<>(want.keySet()), new java.util.TreeSet<>(got.keySet()), "same files");
        for (Path f : want.keySet()) {
            assertArrayEquals(want.get(f), got.get(f), f + " differs from what C++ wrote");
        }
    }

    @Test
    void writesTheFixturesByteForByte() throws Exception {
        Path java = root.resolve("java");
        try (Driver d = V0Fixtures.open(java)) {
            d.createTopic("one", Metadata.of("{}"));
            d.createTopic("three", Metadata.of("{\"num_partitions\":3}"));
            d.createTopic("big", Metadata.of("{}"));
            for (String topic : List.of("one", "three")) {
                try (TopicHandle t = d.openTopic(topic); Producer p = t.producer()) {
                    for (int k = 0; k < 40; k++) {
                        p.push(V0Fixtures.pushedMetadata(k), DataView.of(V0Fixtures.pattern(k, (k * 37) % 300)));
                    }
                    p.flush().join();
                }
            }
            try (TopicHandle t = d.openTopic("big"); Producer p = t.producer()) {
                for (int k = 0; k < 3; k++) {
                    ByteBuffer direct = ByteBuffer.allocateDirect(1_048_593).put(V0Fixtures.pattern(k, 1_048_593));
                    p.push(Metadata.of("{\"k\":" + k + "}"), DataView.of(direct.flip()));
                }
                p.flush().join();
            }
        }
        Path cpp = root.resolve("cpp");
        V0Fixtures.copy(cpp);
        for (String topic : List.of("one", "three", "big")) {
            assertSameFiles(cpp.resolve(topic), java.resolve(topic));
        }
    }

    @Test
    void readsBackWhatWasPushedAndContinuesAfterCpp() throws Exception {
        V0Fixtures.copy(root);
        List<Metadata> pushed = new ArrayList<>();
        try (Driver d = V0Fixtures.open(root); TopicHandle t = d.openTopic("one")) {
            try (Producer p = t.producer()) {
                List<CompletableFuture<Long>> ids = new ArrayList<>();
                String[] texts = {"{\"b\":1,\"a\":2.5,\"u\":\"\u00e9\\u00e9\",\"n\":null,\"f\":1e20,\"z\":[1,2]}",
                    "\"plain string\"", "{\"deep\":{\"y\":[{\"b\":true,\"a\":-0.0}],\"x\":1E-5}}", "[]"};
                for (String s : texts) {
                    pushed.add(Metadata.of(s));
                    ids.add(p.push(Metadata.of(s), DataView.of(s.getBytes()), 0));
                }
                p.flush().join();
                for (int i = 0; i < texts.length; i++) {
                    assertEquals(40 + i, ids.get(i).join(), "after the 40 events C++ wrote");
                }
            }
            try (Consumer c = t.consumer(ConsumerOptions.named("r").startAt(StartAt.id(40)).targets(0))) {
                List<Event> got = V0Fixtures.take(c, 4);
                String[] stored = {"{\"a\":2.5,\"b\":1,\"f\":1e+20,\"n\":null,\"u\":\"\u00e9\u00e9\",\"z\":[1,2]}",
                    "\"plain string\"", "{\"deep\":{\"x\":1e-05,\"y\":[{\"a\":-0.0,\"b\":true}]}}", "[]"};
                for (int i = 0; i < 4; i++) {
                    assertEquals(stored[i], got.get(i).metadata().toString(), "as nlohmann dump() stores it");
                    assertEquals(pushed.get(i).json(), got.get(i).metadata().json(), "the same JSON value");
                    assertArrayEquals(pushed.get(i).toString().getBytes(), got.get(i).data().toByteArray());
                }
            }
        }
    }

    @Test
    void anotherJavaProcessIsRefusedWhileOneAppends() throws Exception {
        V0Fixtures.copy(root);
        try (ChildProcess child = ChildProcess.start(V0ProducerMain.class, root.toString(), "empty", "3", "60000")) {
            assertTrue(child.awaitLine("PUSHED", 30_000), child.errors());
            try (Driver d = V0Fixtures.open(root); TopicHandle t = d.openTopic("empty")) {
                DiasporaException e = assertThrows(DiasporaException.class, t::producer);
                assertTrue(e.getMessage().contains("another process is appending")
                        && e.getMessage().contains("append.lock"), e.getMessage());
                child.kill();
                try (Producer p = t.producer()) {
                    assertEquals(3, p.push(Metadata.of("{\"k\":3}"), DataView.of(new byte[] {7}), 0).join(),
                            "after the other process's events");
                }
            }
        }
        assertEquals(4 * 32, Files.size(root.resolve("empty/partitions/00000000/index")));
    }

    /** An index cut inside a record (a writer killed mid-write) is trimmed to whole records before appending. */
    @Test
    void tornIndexTailIsCutBeforeAppending() throws Exception {
        V0Fixtures.copy(root);
        Path index = root.resolve("one/partitions/00000000/index");
        Files.write(index, new byte[] {9, 9, 9}, java.nio.file.StandardOpenOption.APPEND);
        try (Driver d = V0Fixtures.open(root); TopicHandle t = d.openTopic("one"); Producer p = t.producer()) {
            assertEquals(40, p.push(Metadata.of("{\"k\":40}"), DataView.of(new byte[] {1, 2}), 0).join());
        }
        assertEquals(41 * 32, Files.size(index));
    }
}
