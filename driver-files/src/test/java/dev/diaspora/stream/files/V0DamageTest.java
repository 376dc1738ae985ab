package dev.diaspora.stream.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.CorruptDataException;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.StartAt;
import dev.diaspora.stream.TopicHandle;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19, item 4: damaged copies of the C++ fixture {@code one}. Each kind of damage fails exactly the damaged
 * event with a {@link CorruptDataException} naming the partition, the event and the file; the events before it are
 * delivered intact, a seek past it reads on, and no event is ever made of wrong bytes.
 */
@Timeout(60)
class V0DamageTest {
    private static final String P0 = "one/partitions/00000000/";

    @TempDir
    Path root;
    private List<V0Fixtures.Expected> expected;

    @BeforeEach
    void fixtures() throws Exception {
        V0Fixtures.copy(root);
        expected = V0Fixtures.expected().stream().filter(x -> x.topic().equals("one")).collect(Collectors.toList());
    }

    /** @return the four u64 of index record {@code id} of {@code one} */
    private long[] record(int id) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(root.resolve(P0 + "index"))).order(ByteOrder.LITTLE_ENDIAN);
        return new long[] {b.getLong(id * 32), b.getLong(id * 32 + 8), b.getLong(id * 32 + 16), b.getLong(id * 32 + 24)};
    }

    private void write(String file, long at, byte[] bytes) throws IOException {
        try (FileChannel ch = FileChannel.open(root.resolve(P0 + file), StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(bytes), at);
        }
    }

    private void truncate(String file, long size) throws IOException {
        try (FileChannel ch = FileChannel.open(root.resolve(P0 + file), StandardOpenOption.WRITE)) {
            ch.truncate(size);
        }
    }

    /**
     * Reads {@code one} from the start: events before {@code bad} must be intact, event {@code bad} must fail naming
     * partition, event and {@code file}, then (if {@code thenFrom} &gt;= 0) a seek to {@code thenFrom} reads that
     * event intact.
     */
    private void check(int bad, String file, String what, int thenFrom) {
        try (Driver d = V0Fixtures.open(root); TopicHandle t = d.openTopic("one");
                Consumer c = t.consumer(ConsumerOptions.named("r").startAt(StartAt.EARLIEST))) {
            for (Event e : V0Fixtures.take(c, bad)) {
                same(e);
            }
            RuntimeException ex = assertThrows(RuntimeException.class, () -> c.poll(java.time.Duration.ofSeconds(5)));
            CorruptDataException cd = corrupt(ex);
            String m = cd.getMessage();
            assertTrue(m.contains("partition 0") && m.contains("event " + bad + " ")
                    && m.contains(root.resolve(P0 + file).toString()) && m.contains(what), m);
            RuntimeException again = assertThrows(RuntimeException.class,
                    () -> c.poll(java.time.Duration.ofSeconds(5)));
            assertTrue(corrupt(again).getMessage().contains("event " + bad + " "), "the consumer stays on it");
            if (thenFrom >= 0) {
                c.seek(0, StartAt.id(thenFrom));
                same(V0Fixtures.take(c, 1).get(0));
            }
        }
    }

    private static CorruptDataException corrupt(Throwable t) {
        for (Throwable x = t; x != null; x = x.getCause()) {
            if (x instanceof CorruptDataException c) {
                return c;
            }
        }
        throw new AssertionError("expected a CorruptDataException, got " + t, t);
    }

    private void same(Event e) {
        V0Fixtures.Expected x = expected.get((int) e.id());
        assertEquals(x.metadata(), e.metadata().toString());
        assertEquals(x.sha256(), V0Fixtures.sha256(e.data().toByteArray()), "data of event " + e.id());
    }

    @Test
    void dataFileCutInsideAnEvent() throws Exception {
        long[] r = record(20);
        truncate("data", r[2] + 5);
        check(20, "data", "places the data at", -1);
    }

    @Test
    void metadataFileCut() throws Exception {
        long[] r = record(30);
        truncate("metadata", r[0] + 3);
        check(30, "metadata", "places the metadata at", -1);
    }

    @Test
    void lengthPrefixDisagreesWithTheIndex() throws Exception {
        long[] r = record(5);
        write("metadata", r[0], ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(r[1] - 8 + 1).array());
        check(5, "metadata", "length prefix", 6);
    }

    @Test
    void metadataThatIsNotJson() throws Exception {
        long[] r = record(7);
        write("metadata", r[0] + 8 + r[1] - 8 - 1, new byte[] {','}); // the closing brace becomes a comma
        check(7, "metadata", "is not JSON", 8);
    }

    @Test
    void indexRecordWithAnImpossibleSize() throws Exception {
        write("index", 9 * 32 + 8, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(3).array());
        check(9, "index", "metadata size of 3 bytes", 10);
    }

    /** A writer killed inside an index write leaves a partial record: it is not an event, and nothing fails. */
    @Test
    void partialIndexRecordIsNotYetAnEvent() throws Exception {
        write("index", 40 * 32, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
        try (Driver d = V0Fixtures.open(root); TopicHandle t = d.openTopic("one");
                Consumer c = t.consumer(ConsumerOptions.named("r").startAt(StartAt.EARLIEST))) {
            assertEquals(40, t.bounds(0).next());
            for (Event e : V0Fixtures.take(c, 40)) {
                same(e);
            }
            assertTrue(c.poll(java.time.Duration.ofMillis(200)).isEmpty());
        }
    }

    /** Damaged component files and a topic without partitions are refused at open, naming the file. */
    @Test
    void damagedComponentsAndMissingPartitions() throws Exception {
        Files.writeString(root.resolve("three/serializer.json"), "{\"type\": ");
        Files.delete(root.resolve("empty/partitions/00000000/index"));
        Files.delete(root.resolve("empty/partitions/00000000/metadata"));
        Files.delete(root.resolve("empty/partitions/00000000/data"));
        Files.delete(root.resolve("empty/partitions/00000000"));
        Files.delete(root.resolve("empty/partitions/00000001/index"));
        Files.delete(root.resolve("empty/partitions/00000001/metadata"));
        Files.delete(root.resolve("empty/partitions/00000001/data"));
        Files.delete(root.resolve("empty/partitions/00000001"));
        try (Driver d = V0Fixtures.open(root)) {
            CorruptDataException e = assertThrows(CorruptDataException.class, () -> d.openTopic("three"));
            assertTrue(e.getMessage().contains(root.resolve("three/serializer.json").toString()), e.getMessage());
            e = assertThrows(CorruptDataException.class, () -> d.openTopic("empty"));
            assertTrue(e.getMessage().contains("no partition directory"), e.getMessage());
            Map<String, dev.diaspora.stream.Metadata> listed = d.listTopics();
            assertEquals(List.of("big", "one"), List.copyOf(listed.keySet()), "damaged topics are not listed");
        }
    }
}
