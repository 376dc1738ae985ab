package dev.diaspora.stream.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.CorruptDataException;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.ProducerOptions;
import dev.diaspora.stream.StartAt;
import dev.diaspora.stream.TopicHandle;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Damaged topics, as FORMAT.md documents them: a cut file of the newest segment is a torn tail (the topic opens with
 * the longest intact prefix, and the next append continues after it); a flipped bit in stored data, metadata or an
 * index record fails exactly that event with a {@link CorruptDataException} naming topic, partition and id; a
 * missing index segment is a clear error at open. Seeded (replay with -Dfiles.seed=...); the random cuts run
 * {@code -Dfiles.corruption.rounds=N} times (default 9).
 */
@Timeout(120)
class CorruptionTest {
    private static final long SEED = Long.getLong("files.seed", System.nanoTime());
    private static final String P0 = "partitions/00000000/";

    static {
        System.out.println("CorruptionTest seed " + SEED + " (replay with -Dfiles.seed=" + SEED + ")");
    }

    @TempDir
    Path root;

    private Driver open() {
        return Driver.open("files", Metadata.of("{\"root_path\":\"" + root + "\"}"));
    }

    /** Creates topic {@code name} and pushes {@code count} events of {@code Content("p0", i)} into partition 0. */
    private void fill(String name, String options, int count) {
        try (Driver d = open()) {
            d.createTopic(name, Metadata.of(options));
            try (TopicHandle t = d.openTopic(name); Producer p = t.producer(ProducerOptions.named("fill"))) {
                for (int i = 0; i < count; i++) {
                    p.push(Content.metadata("p0", i), DataView.of(Content.data("p0", i)), 0);
                    if (i % 7 == 6) {
                        p.flush().join(); // several index writes
                    }
                }
                p.flush().join();
            }
        }
    }

    private Path file(String topic, String rel) {
        return root.resolve(topic).resolve(rel);
    }

    private static void truncate(Path f, long size) throws IOException {
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
            ch.truncate(size);
        }
    }

    private static void flipBit(Path f, long offset, int bit) throws IOException {
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, offset);
            b.put(0, (byte) (b.get(0) ^ (1 << bit)));
            b.clear();
            ch.write(b, offset);
        }
    }

    /** Reads partition 0 from the start: returns how many events came, all checked, stopping at the end. */
    private static long readIntact(TopicHandle t, String consumer) {
        try (Consumer c = t.consumer(ConsumerOptions.named(consumer))) {
            long n = 0;
            Optional<Event> e;
            while ((e = c.poll(Duration.ofMillis(500))).isPresent()) {
                assertEquals(n, e.get().id(), "ids are contiguous");
                Content.check(e.get(), "p0", n);
                n++;
            }
            return n;
        }
    }

    @Test
    @Timeout(3600) // -Dfiles.corruption.rounds=200 takes a few minutes
    void aCutFileOfTheNewestSegmentShouldLeaveTheIntactPrefixAndAppendAfterIt() throws Exception {
        SplittableRandom r = new SplittableRandom(SEED);
        String[] files = {"00000000000000000000.index", "00000000000000000000.meta", "00000000000000000000.data"};
        int rounds = Integer.getInteger("files.corruption.rounds", 9); // more for a soak run
        for (int round = 0; round < rounds; round++) {
            String topic = "cut" + round;
            fill(topic, "{}", 40);
            Path f = file(topic, P0 + files[round % 3]);
            long size = Files.size(f);
            long cut = round < 3 ? r.nextLong(64) : 64 + r.nextLong(size - 64); // inside the header, or anywhere
            truncate(f, cut);
            try (Driver d = open(); TopicHandle t = d.openTopic(topic)) {
                long next = t.bounds(0).next();
                assertTrue(next <= 40, "bounds after cutting " + f + " at " + cut);
                assertEquals(next, readIntact(t, "check"), "intact events after cutting " + f + " at " + cut
                        + " (seed " + SEED + ")");
                try (Producer p = t.producer()) {
                    long id = p.push(Content.metadata("p0", next), DataView.of(Content.data("p0", next)), 0).join();
                    assertEquals(next, id, "the next append continues after the intact prefix");
                }
                assertEquals(next + 1, readIntact(t, "check2"), "everything reads after the repair");
            }
        }
    }

    /** Pulls partition 0 from the start, expecting event {@code bad} to fail with a message naming it. */
    private static void expectCorruptAt(TopicHandle t, long bad, long total, String what) {
        try (Consumer c = t.consumer(ConsumerOptions.named("reader-" + what))) {
            for (long i = 0; i < bad; i++) {
                Event e = c.poll(Duration.ofSeconds(10)).orElseThrow(() -> new AssertionError(what + ": missing"));
                Content.check(e, "p0", i);
            }
            CorruptDataException x = null;
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (x == null && System.nanoTime() < deadline) {
                try {
                    Optional<Event> e = c.poll(Duration.ofSeconds(2));
                    if (e.isPresent()) {
                        fail(what + ": event " + e.get().id() + " was delivered instead of failing");
                    }
                } catch (CorruptDataException e) {
                    x = e;
                }
            }
            assertTrue(x != null, what + ": the damaged event must fail its pull");
            String m = x.getMessage();
            assertTrue(m.contains("topic '") && m.contains("partition 0") && m.contains("event " + bad), m);
            c.seek(0, StartAt.id(bad + 1));
            for (long i = bad + 1; i < total; i++) {
                Event e = c.poll(Duration.ofSeconds(10)).orElseThrow(() -> new AssertionError(what + ": missing"));
                Content.check(e, "p0", i);
            }
        }
    }

    /** @return {metaPos, metaLen, dataPos, dataLen} of record {@code id} of the first segment */
    private long[] record(String topic, long id) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(48).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        try (FileChannel ch = FileChannel.open(file(topic, P0 + "00000000000000000000.index"))) {
            ch.read(b, 64 + 48 * id);
        }
        return new long[] {b.getLong(0), b.getInt(8), b.getLong(16), b.getLong(24)};
    }

    private static long firstWithData(long from) {
        long i = from;
        while (Content.size("p0", i) == 0) {
            i++;
        }
        return i;
    }

    @Test
    void aFlippedBitInStoredDataShouldFailThatEventOnly() throws Exception {
        fill("data", "{}", 40);
        long bad = firstWithData(10);
        long[] rec = record("data", bad);
        flipBit(file("data", P0 + "00000000000000000000.data"), rec[2] + new SplittableRandom(SEED).nextLong(rec[3]),
                5);
        try (Driver d = open(); TopicHandle t = d.openTopic("data")) {
            expectCorruptAt(t, bad, 40, "data");
        }
    }

    @Test
    void aFlippedBitInStoredMetadataShouldFailThatEventOnly() throws Exception {
        fill("meta", "{}", 40);
        long[] rec = record("meta", 17);
        flipBit(file("meta", P0 + "00000000000000000000.meta"), rec[0] + new SplittableRandom(SEED).nextLong(rec[1]),
                2);
        try (Driver d = open(); TopicHandle t = d.openTopic("meta")) {
            expectCorruptAt(t, 17, 40, "meta");
        }
    }

    @Test
    void aFlippedBitInAnIndexRecordShouldFailThatEventOnly() throws Exception {
        fill("index", "{}", 40);
        flipBit(file("index", P0 + "00000000000000000000.index"), 64 + 48 * 9 + new SplittableRandom(SEED).nextInt(48),
                6);
        try (Driver d = open(); TopicHandle t = d.openTopic("index")) {
            assertEquals(40, t.bounds(0).next(), "a damaged record in the middle is not a torn tail");
            expectCorruptAt(t, 9, 40, "index");
        }
    }

    @Test
    void aDamagedHeaderShouldBeAClearError() throws Exception {
        fill("header", "{}", 10);
        flipBit(file("header", P0 + "00000000000000000000.data"), 20, 1);
        try (Driver d = open(); TopicHandle t = d.openTopic("header")) {
            DiasporaException e = assertThrows(DiasporaException.class, () -> readIntact(t, "h"));
            assertTrue(e.getMessage().contains("00000000000000000000.data") && e.getMessage().contains("header"),
                    e.getMessage());
        }
    }

    private List<Path> segments(String topic, String suffix) throws IOException {
        try (Stream<Path> s = Files.list(file(topic, P0))) {
            return s.filter(f -> f.toString().endsWith(suffix)).sorted().toList();
        }
    }

    @Test
    void aMissingIndexSegmentShouldBeAClearErrorAndAHoleAfterItsFilesAreRemoved() throws Exception {
        fill("holes", "{\"segment_size\":65536}", 60);
        List<Path> indexes = segments("holes", ".index");
        assertTrue(indexes.size() >= 4, "segments: " + indexes);
        Path middle = indexes.get(1);
        String base = middle.getFileName().toString().substring(0, 20);
        long firstMissing = Long.parseLong(base);
        long nextBase = Long.parseLong(indexes.get(2).getFileName().toString().substring(0, 20));
        Files.delete(middle);
        try (Driver d = open()) {
            CorruptDataException e = assertThrows(CorruptDataException.class, () -> d.openTopic("holes"));
            assertTrue(e.getMessage().contains(base + ".index") && e.getMessage().contains("missing"), e.getMessage());
        }
        Files.delete(file("holes", P0 + base + ".data"));
        Files.delete(file("holes", P0 + base + ".meta"));
        try (Driver d = open(); TopicHandle t = d.openTopic("holes");
                Consumer c = t.consumer(ConsumerOptions.named("c"))) {
            for (long i = 0; i < firstMissing; i++) {
                Content.check(c.poll(Duration.ofSeconds(10)).orElseThrow(), "p0", i);
            }
            CorruptDataException e = assertThrows(CorruptDataException.class, () -> {
                for (int k = 0; k < 20; k++) {
                    c.poll(Duration.ofSeconds(1));
                }
            });
            assertTrue(e.getMessage().contains("missing") && e.getMessage().contains("[" + firstMissing + ", "
                    + nextBase + ")"), e.getMessage());
            c.seek(0, StartAt.id(nextBase));
            for (long i = nextBase; i < 60; i++) {
                Content.check(c.poll(Duration.ofSeconds(10)).orElseThrow(), "p0", i);
            }
        }
    }

    @Test
    void theOldestSegmentsRemovedWholeShouldMoveTheFirstEvent() throws Exception {
        fill("retention", "{\"segment_size\":65536}", 60);
        Path oldest = segments("retention", ".index").get(0);
        String second = segments("retention", ".index").get(1).getFileName().toString().substring(0, 20);
        for (String s : new String[] {".index", ".meta", ".data"}) {
            Files.delete(file("retention", P0 + "00000000000000000000" + s));
        }
        assertTrue(Files.notExists(oldest));
        try (Driver d = open(); TopicHandle t = d.openTopic("retention");
                Consumer c = t.consumer(ConsumerOptions.named("c"))) {
            long first = Long.parseLong(second);
            assertEquals(first, t.bounds(0).first(), "the first retained event");
            Event e = c.poll(Duration.ofSeconds(10)).orElseThrow();
            assertEquals(first, e.id(), "a new consumer starts at the first retained event");
            Content.check(e, "p0", first);
        }
    }

    @Test
    void aDamagedRecordInOnePartitionShouldNotStopTheOthers() throws Exception {
        try (Driver d = open()) {
            d.createTopic("fair", Metadata.of("{\"num_partitions\":2}"));
            try (TopicHandle t = d.openTopic("fair"); Producer p = t.producer()) {
                for (int i = 0; i < 40; i++) {
                    p.push(Content.metadata("p" + (i % 2), i / 2), DataView.EMPTY, i % 2);
                }
                p.flush().join();
            }
        }
        flipBit(file("fair", P0 + "00000000000000000000.meta"), 64 + 3, 4); // event 0 of partition 0
        try (Driver d = open(); TopicHandle t = d.openTopic("fair");
                Consumer c = t.consumer(ConsumerOptions.named("c"))) {
            int fromOne = 0;
            int errors = 0;
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while ((fromOne < 20 || errors == 0) && System.nanoTime() < deadline) {
                try {
                    Optional<Event> e = c.poll(Duration.ofSeconds(2));
                    if (e.isPresent()) { // a failure reaches a pull only while one is pending: keep polling
                        assertEquals(1, e.get().partition(), "only partition 1 can deliver");
                        assertEquals(fromOne++, e.get().id());
                    }
                } catch (CorruptDataException x) {
                    assertTrue(x.getMessage().contains("partition 0 event 0"), x.getMessage());
                    errors++;
                }
            }
            assertEquals(20, fromOne, "partition 1 delivers everything while partition 0 is stuck (S4)");
            assertTrue(errors >= 1, "the damaged event fails pulls");
        }
    }
}
