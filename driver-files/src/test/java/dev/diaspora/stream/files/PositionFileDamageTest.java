package dev.diaspora.stream.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.CorruptDataException;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.StartAt;
import dev.diaspora.stream.TopicHandle;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Damaged position files (FORMAT.md 8.2): a stored position survives one damaged slot (the other is used, with a
 * WARN); a position that no valid slot holds any more fails the consumer's open, naming the file and the reset,
 * never a silent restart at {@code startAt}; a file that was never written is no position at all. Seeded (bit and
 * byte chosen at random; replay with -Dfiles.seed=...).
 */
@Timeout(60)
class PositionFileDamageTest {
    private static final long SEED = Long.getLong("files.seed", System.nanoTime());
    /** Partition 0's slots of consumer "app": header 64 + name block 64. */
    private static final long SLOT0 = 128;
    private static final long SLOT1 = 160;

    static {
        System.out.println("PositionFileDamageTest seed " + SEED + " (replay with -Dfiles.seed=" + SEED + ")");
    }

    @TempDir
    Path root;
    private final SplittableRandom random = new SplittableRandom(SEED);

    private Driver open() {
        return Driver.open("files", Metadata.of("{\"root_path\":\"" + root + "\"}"));
    }

    private Path posFile() {
        return root.resolve("t/consumers/app.pos");
    }

    /** 200 events; consumer "app" reads and acknowledges 10 of them: stored position 10. */
    @BeforeEach
    void fill() {
        try (Driver d = open()) {
            d.createTopic("t", Metadata.of("{}"));
            try (TopicHandle t = d.openTopic("t"); Producer p = t.producer()) {
                for (int i = 0; i < 200; i++) {
                    p.push(Content.metadata("p0", i), DataView.of(Content.data("p0", i)), 0);
                }
                p.flush().join();
                try (Consumer c = t.consumer(ConsumerOptions.named("app").startAt(StartAt.EARLIEST))) {
                    for (int i = 0; i < 10; i++) {
                        c.poll(Duration.ofSeconds(10)).orElseThrow().acknowledge();
                    }
                    c.commit().join();
                }
                assertEquals(Map.of(0, 10L), t.positions("app"));
            }
        }
    }

    /** @return where a consumer "app" opened with {@code startAt} starts reading partition 0 */
    private long firstIdRead(String startAt) {
        try (Driver d = open(); TopicHandle t = d.openTopic("t");
                Consumer c = t.consumer(ConsumerOptions.named("app")
                        .startAt("latest".equals(startAt) ? StartAt.LATEST : StartAt.EARLIEST))) {
            long start = c.position(0);
            Event e = c.poll(Duration.ofSeconds(2)).orElse(null);
            assertEquals(start == 200 ? -1 : start, e == null ? -1 : e.id(), "the first event read");
            return start;
        }
    }

    private void flipRandomBit(long slot) throws IOException {
        long at = slot + random.nextInt(28); // anywhere in the checked bytes: sequence, position, partition, CRC
        int bit = random.nextInt(8);
        try (FileChannel ch = FileChannel.open(posFile(), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, at);
            b.put(0, (byte) (b.get(0) ^ (1 << bit)));
            ch.write(b.flip(), at);
        }
    }

    private void zero(long slot) throws IOException {
        try (FileChannel ch = FileChannel.open(posFile(), StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(32), slot);
        }
    }

    private void expectClearFailure(String what) {
        try (Driver d = open(); TopicHandle t = d.openTopic("t")) {
            CorruptDataException e = assertThrows(CorruptDataException.class,
                    () -> t.consumer(ConsumerOptions.named("app").startAt(StartAt.LATEST)).close(), what);
            String m = e.getMessage();
            assertTrue(m.contains(posFile().toString()) && m.contains("partition 0")
                    && m.contains("diaspora-ctl consumer reset") && m.contains("resetPositions"), m);
            assertThrows(CorruptDataException.class, () -> t.positions("app"), "positions() reports it too");
        }
    }

    @Test
    void aFlippedBitInTheSlotOfAPositionCommittedOnceShouldKeepThePosition() throws Exception {
        flipRandomBit(SLOT0); // the slot the first commit wrote
        assertEquals(10, firstIdRead("latest"), "a consumer at latest resumes at its stored position, not at 200");
        flipRandomBit(SLOT0); // whatever the first flip left, one slot still holds 10
        assertEquals(10, firstIdRead("earliest"), "a consumer at earliest does not replay everything");
    }

    @Test
    void aFlippedBitInEitherSlotAfterManyCommitsShouldUseTheOtherSlot() throws Exception {
        try (Driver d = open(); TopicHandle t = d.openTopic("t")) {
            t.resetPositions("app", StartAt.id(20));
            t.resetPositions("app", StartAt.id(30)); // now slot 0 holds 20 (sequence 3), slot 1 holds 30 (4)
        }
        flipRandomBit(SLOT0);
        assertEquals(30, firstIdRead("latest"));
        try (Driver d = open(); TopicHandle t = d.openTopic("t")) {
            t.resetPositions("app", StartAt.id(40)); // rewrites the damaged slot 0 (sequence 5)
        }
        flipRandomBit(SLOT0);
        assertEquals(30, firstIdRead("latest"), "the previous position, from the other slot (at-least-once)");
    }

    @Test
    void aFlippedBitInTheOnlyWrittenSlotShouldFailTheOpenNamingTheFileAndTheReset() throws Exception {
        zero(SLOT1); // a file as the old driver left it after one commit: one slot written
        flipRandomBit(SLOT0);
        expectClearFailure("one slot, damaged");
    }

    @Test
    void flippedBitsInBothSlotsShouldFailTheOpenUntilTheNameIsReset() throws Exception {
        flipRandomBit(SLOT0);
        flipRandomBit(SLOT1);
        expectClearFailure("both slots damaged");
        try (Driver d = open(); TopicHandle t = d.openTopic("t")) {
            t.resetPositions("app", StartAt.id(50));
            assertEquals(Map.of(0, 50L), t.positions("app"));
        }
        assertEquals(50, firstIdRead("latest"));
    }

    @Test
    void aPositionFileThatWasNeverWrittenShouldHoldNoPosition() throws Exception {
        Files.delete(posFile());
        Files.write(posFile(), ConsumerFiles.head("app")); // created, then a crash before the first slot
        assertEquals(200, firstIdRead("latest"), "no stored position: startAt applies");
        try (FileChannel ch = FileChannel.open(posFile(), StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(64), SLOT0); // both slots present, all zero
        }
        assertEquals(0, firstIdRead("earliest"));
    }
}
