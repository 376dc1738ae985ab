package dev.diaspora.stream.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.diaspora.stream.tck.RecordingClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A member's {@code .held} file: what it writes reads back; a torn file (a write in progress, or damaged) is read
 * again after the pauses of {@link HeldFile#TORN_READ_RETRY}, on the reader's clock, and then counts as unreadable.
 */
class HeldFileTest {
    @TempDir
    Path dir;

    @Test
    void whatAMemberWritesReadsBackWithoutAPause() throws Exception {
        Path file = dir.resolve("m1" + HeldFile.SUFFIX);
        try (HeldFile h = HeldFile.create(file)) {
            h.add(3, "c");
            h.add(1, "c");
            RecordingClock clock = new RecordingClock();
            assertEquals(List.of(1, 3), HeldFile.read(file, clock));
            assertEquals(List.of(), clock.pauses());
        }
    }

    @Test
    void aTornFileIsReadAgainAfterThePausesOfThePolicyThenCountsAsUnreadable() throws Exception {
        Path file = dir.resolve("m2" + HeldFile.SUFFIX);
        Files.write(file, new byte[] {0, 0, 0, 2, 0, 0, 0, 1}); // two partitions announced, one written, no CRC
        RecordingClock clock = new RecordingClock();
        assertNull(HeldFile.read(file, clock), "a file that stays torn is unreadable");
        clock.assertPausesFollow(HeldFile.TORN_READ_RETRY, HeldFile.TORN_READ_RETRY.maxRetries());
    }

    @Test
    void aMissingFileIsNoFileWithoutAPause() {
        RecordingClock clock = new RecordingClock();
        assertNull(HeldFile.read(dir.resolve("none" + HeldFile.SUFFIX), clock));
        assertEquals(List.of(), clock.pauses());
    }
}
