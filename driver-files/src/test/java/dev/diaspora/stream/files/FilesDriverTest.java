package dev.diaspora.stream.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.InvalidOptionException;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.TopicNotFoundException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Options, names, topic layout and durability: what the TCK cannot know about this driver. */
@Timeout(60)
class FilesDriverTest {
    private static final long SEED = Long.getLong("files.seed", System.nanoTime());

    static {
        System.out.println("FilesDriverTest seed " + SEED + " (replay with -Dfiles.seed=" + SEED + ")");
    }

    @TempDir
    Path root;

    private Driver open() {
        return Driver.open("files", Metadata.of("{\"root_path\":\"" + root + "\"}"));
    }

    @Test
    void shouldRejectAMissingRootPath() {
        InvalidOptionException e = assertThrows(InvalidOptionException.class,
                () -> Driver.open("files", Metadata.of("{}")));
        assertTrue(e.getMessage().contains("root_path"), e.getMessage());
    }

    @Test
    void shouldRejectAnEmptyOrMistypedRootPath() {
        assertThrows(InvalidOptionException.class, () -> Driver.open("files", Metadata.of("{\"root_path\":\"\"}")));
        assertThrows(InvalidOptionException.class, () -> Driver.open("files", Metadata.of("{\"root_path\":12}")));
        InvalidOptionException e = assertThrows(InvalidOptionException.class,
                () -> Driver.open("files", Metadata.of("{\"root_pth\":\"" + root + "\"}")));
        assertTrue(e.getMessage().contains("root_path"), "suggests the right key: " + e.getMessage());
    }

    @Test
    void shouldRejectARootPathThatIsAFile() throws Exception {
        Path f = Files.writeString(root.resolve("plain-file"), "x");
        InvalidOptionException e = assertThrows(InvalidOptionException.class,
                () -> Driver.open("files", Metadata.of("{\"root_path\":\"" + f + "\"}")));
        assertTrue(e.getMessage().contains("is a file") && e.getMessage().contains(f.toString()), e.getMessage());
    }

    @Test
    void shouldRejectARootPathThatCannotBeWritten() throws Exception {
        Path ro = Files.createDirectory(root.resolve("read-only"));
        Files.setPosixFilePermissions(ro, PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            assumeFalse(Files.isWritable(ro), "this user (root?) can write to any directory");
            InvalidOptionException e = assertThrows(InvalidOptionException.class,
                    () -> Driver.open("files", Metadata.of("{\"root_path\":\"" + ro + "\"}")));
            assertTrue(e.getMessage().contains("not writable"), e.getMessage());
        } finally {
            Files.setPosixFilePermissions(ro, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    @Test
    void shouldCreateAMissingRootPathIncludingParents() {
        Path deep = root.resolve("a/b/c");
        try (Driver d = Driver.open("files", Metadata.of("{\"root_path\":\"" + deep + "\"}"))) {
            d.createTopic("t");
            assertTrue(Files.isDirectory(deep.resolve("t")));
        }
    }

    @Test
    void shouldRejectBadTopicOptions() {
        try (Driver d = open()) {
            InvalidOptionException small = assertThrows(InvalidOptionException.class,
                    () -> d.createTopic("t", Metadata.of("{\"segment_size\":1000}")));
            assertTrue(small.getMessage().contains("segment_size") && small.getMessage().contains("65536"),
                    small.getMessage());
            assertThrows(InvalidOptionException.class, () -> d.createTopic("t", Metadata.of("{\"segment_size\":\"1G\"}")));
            InvalidOptionException dur = assertThrows(InvalidOptionException.class,
                    () -> d.createTopic("t", Metadata.of("{\"durability\":\"always\"}")));
            assertTrue(dur.getMessage().contains("os") && dur.getMessage().contains("fsync"), dur.getMessage());
            assertThrows(InvalidOptionException.class, () -> d.createTopic("t", Metadata.of("{\"num_partitions\":0}")));
            assertThrows(InvalidOptionException.class, () -> d.createTopic("t", Metadata.of("{\"partitions\":2}")));
            assertFalse(d.topicExists("t"), "no failed create leaves a topic");
        }
    }

    @Test
    void shouldRejectTopicNamesThatAreNotPlainNames() {
        try (Driver d = open()) {
            for (String bad : new String[] {"../x", "a/b", "", "..", ".", "x".repeat(201), "a\\b", "a b"}) {
                assertThrows(IllegalArgumentException.class, () -> d.createTopic(bad), "name '" + bad + "'");
            }
            assertTrue(d.listTopics().isEmpty());
        }
    }

    @Test
    void shouldLayOutTopicsAsDocumentedAndListThem() throws Exception {
        try (Driver d = open()) {
            d.createTopic("laid-out", Metadata.of("{\"num_partitions\":3,\"segment_size\":1048576,"
                    + "\"durability\":\"fsync\"}"));
            Path t = root.resolve("laid-out");
            assertTrue(Files.isRegularFile(t.resolve("topic.json")));
            for (int p = 0; p < 3; p++) {
                Path pd = t.resolve("partitions").resolve(String.format("%08d", p));
                for (String f : new String[] {"lock", "00000000000000000000.index", "00000000000000000000.meta",
                    "00000000000000000000.data"}) {
                    assertTrue(Files.exists(pd.resolve(f)), pd.resolve(f).toString());
                }
            }
            assertTrue(Files.isDirectory(t.resolve("consumers")));
            String json = Files.readString(t.resolve("topic.json"));
            assertTrue(json.startsWith("{\"format\":1,\"id\":\""), json);
            assertTrue(json.matches(".*,\"crc32c\":\"[0-9a-f]{8}\"}"), json);
            // Directories that are not topics are ignored.
            Files.createDirectories(root.resolve(".tmp-leftover/partitions"));
            Files.createDirectories(root.resolve("not-a-topic"));
            Map<String, Metadata> topics = d.listTopics();
            assertEquals(Set.of("laid-out"), topics.keySet());
            var desc = topics.get("laid-out").json();
            assertEquals(3, desc.get("num_partitions").intValue());
            assertEquals(1048576, desc.get("segment_size").longValue());
            assertEquals("fsync", desc.get("durability").asText());
            assertTrue(desc.get("validator").isObject() && desc.get("serializer").isObject()
                    && desc.get("partition_selector").isObject(), desc.toString());
            assertFalse(d.topicExists("not-a-topic"));
            TopicNotFoundException e = assertThrows(TopicNotFoundException.class, () -> d.openTopic("not-a-topic"));
            assertTrue(e.getMessage().contains("topic.json"), e.getMessage());
        }
    }

    @Test
    void anFsyncTopicShouldStoreAndServeEvents() {
        try (Driver d = open()) {
            d.createTopic("durable", Metadata.of("{\"durability\":\"fsync\",\"segment_size\":65536}"));
            try (TopicHandle t = d.openTopic("durable"); Producer p = t.producer()) {
                for (int i = 0; i < 30; i++) {
                    p.push(Content.metadata("p0", i), DataView.of(Content.data("p0", i)));
                }
                p.flush().join();
            }
        }
        try (Driver d = open(); TopicHandle t = d.openTopic("durable");
                Consumer c = t.consumer(ConsumerOptions.named("c"))) {
            for (int i = 0; i < 30; i++) {
                Content.check(c.poll(Duration.ofSeconds(10)).orElseThrow(), "p0", i);
            }
        }
    }

    @Test
    void pushShouldNotMoveTheCallersBuffers() {
        ByteBuffer heap = ByteBuffer.allocate(10_000);
        heap.position(100).limit(9_000);
        ByteBuffer direct = ByteBuffer.allocateDirect(300_000);
        direct.position(7).limit(250_000);
        try (Driver d = open()) {
            d.createTopic("buffers");
            try (TopicHandle t = d.openTopic("buffers"); Producer p = t.producer()) {
                p.push(Metadata.of("{}"), DataView.of(heap, direct)).join();
            }
        }
        assertEquals(100, heap.position());
        assertEquals(9_000, heap.limit());
        assertEquals(7, direct.position());
        assertEquals(250_000, direct.limit());
    }

    @Test
    void consumerNamesShouldBecomeSafeFileNamesAndComeBackIntact() throws Exception {
        SplittableRandom r = new SplittableRandom(SEED);
        try (Driver d = open()) {
            d.createTopic("names");
            try (TopicHandle t = d.openTopic("names"); Producer p = t.producer()) {
                p.push(Metadata.of("{}"), DataView.EMPTY).join();
                String[] names = {"plain", ".hidden", "with space", "pct%41", "ünïcødé", "€".repeat(200),
                    "tab\u00a0x", "a..b", "~tilde", randomName(r), randomName(r)};
                for (String n : names) {
                    try (Consumer c = t.consumer(ConsumerOptions.named(n))) {
                        Event e = c.poll(Duration.ofSeconds(10)).orElseThrow();
                        e.acknowledge();
                    }
                    assertEquals(Map.of(0, 1L), t.positions(n), "positions of '" + n + "'");
                }
                assertEquals(Set.of(names), t.consumerNames());
                try (var files = Files.list(root.resolve("names/consumers"))) {
                    for (Path f : files.toList()) {
                        String fn = f.getFileName().toString();
                        assertTrue(fn.length() < 200 && fn.matches("[A-Za-z0-9._%~-]+") && !fn.startsWith("."), fn);
                    }
                }
            }
        }
    }

    private static String randomName(SplittableRandom r) {
        StringBuilder b = new StringBuilder();
        int n = 1 + r.nextInt(60);
        for (int i = 0; i < n; i++) {
            int c;
            do {
                c = r.nextInt(4) == 0 ? 0x20 + r.nextInt(0x2FFF) : 0x20 + r.nextInt(0x5F);
            } while (c == '/' || c == '\\' || Character.isISOControl(c) || Character.isSurrogate((char) c));
            b.append((char) c);
        }
        String s = b.toString();
        return s.equals(".") || s.equals("..") ? "x" + s : s;
    }

    @Test
    void nameStemsShouldRoundTrip() {
        SplittableRandom r = new SplittableRandom(SEED + 1);
        for (int i = 0; i < 2000; i++) {
            String name = randomName(r);
            String stem = ConsumerFiles.stem(name);
            assertTrue(stem.matches("[A-Za-z0-9._%~-]+") && !stem.startsWith(".") && stem.length() <= 150 + 33,
                    stem);
            if (stem.indexOf('~') < 0) {
                assertEquals(name, ConsumerFiles.decode(stem), "decode(stem(name)) for seed " + SEED);
            }
        }
        assertNull(ConsumerFiles.decode("bad%G1"));
        assertEquals("a.b", ConsumerFiles.stem("a.b"));
        assertEquals("%2Ea", ConsumerFiles.stem(".a"));
    }

    @Test
    void aTopicDeletedByAnotherDriverShouldBeGoneAndItsNameReusable() {
        try (Driver a = open(); Driver b = open()) {
            a.createTopic("gone", Metadata.of("{\"num_partitions\":2}"));
            b.deleteTopic("gone");
            assertFalse(a.topicExists("gone"));
            assertThrows(TopicNotFoundException.class, () -> a.openTopic("gone"));
            a.createTopic("gone");
            try (var s = Files.list(root)) {
                assertEquals(1, s.count(), "no leftovers in the root");
            }
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
