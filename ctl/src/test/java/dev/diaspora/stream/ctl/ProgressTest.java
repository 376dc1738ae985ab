package dev.diaspora.stream.ctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The progress line of export, import and forward: its text, at most one redraw per second of a (manual) clock, and
 * nothing at all without a terminal. Tests have no terminal, so the drawing is checked with {@code enabled} forced.
 */
class ProgressTest {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void shouldFormatCountsTotalsBytesAndRate() {
        assertEquals("export: 12,000/48,000 events (25%), 3.0 MiB, 4,000 events/s",
                Progress.format("export", 12_000, 3 << 20, 3 * SECOND, 48_000));
        assertEquals("forward: 1 event, 17 B, 2 events/s", Progress.format("forward", 1, 17, SECOND / 2, -1));
        assertEquals("import: 0/0 events (100%), 0 B", Progress.format("import", 0, 0, 0, 0));
        assertEquals("1.5 KiB", Progress.bytes(1536));
        assertEquals("1023 B", Progress.bytes(1023));
        assertEquals("2.0 GiB", Progress.bytes(2L << 30));
        assertEquals("8.0 EiB", Progress.bytes(Long.MAX_VALUE));
    }

    @Test
    void shouldRedrawAtMostOncePerSecondAndEndTheLine() {
        AtomicLong now = new AtomicLong(100);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream err = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        try (Progress p = new Progress("import", err, true, now::get, 10)) {
            p.add(1, 10);
            assertEquals("", bytes.toString(StandardCharsets.UTF_8), "nothing before the first second");
            now.addAndGet(SECOND);
            p.add(1, 10);
            now.addAndGet(SECOND / 2);
            p.add(1, 10); // half a second later: no redraw
            String once = bytes.toString(StandardCharsets.UTF_8);
            assertEquals("\rimport: 2/10 events (20%), 20 B, 2 events/s", once);
            now.addAndGet(SECOND / 2);
            p.add(7, 70);
        }
        String all = bytes.toString(StandardCharsets.UTF_8);
        assertEquals("\rimport: 2/10 events (20%), 20 B, 2 events/s\rimport: 10/10 events (100%), 100 B, 5 events/s"
                + "\rimport: 10/10 events (100%), 100 B, 5 events/s" + System.lineSeparator(), all);
    }

    @Test
    void shouldWipeTheRestOfALongerPreviousLine() {
        AtomicLong now = new AtomicLong();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (Progress p = new Progress("forward", new PrintStream(bytes, true, StandardCharsets.UTF_8), true,
                now::get, -1)) {
            now.addAndGet(SECOND);
            p.add(5000, 5L << 30);
            now.addAndGet(1000 * SECOND);
        }
        String[] draws = bytes.toString(StandardCharsets.UTF_8).split("\r");
        // "", first draw, final draw: the final line is shorter in rate and padded to the first's width
        assertEquals(3, draws.length);
        assertTrue(draws[2].startsWith("forward: 5,000 events, 5.0 GiB, 4 events/s"), draws[2]);
        assertTrue(draws[2].stripTrailing().length() < draws[1].length(), "shorter text");
        assertEquals(draws[1].length() + System.lineSeparator().length(), draws[2].length(), "padded to the width");
    }

    @Test
    void shouldDrawNothingWithoutATerminal() {
        AtomicLong now = new AtomicLong();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (Progress p = new Progress("export", new PrintStream(bytes, true, StandardCharsets.UTF_8), false,
                now::get, 5)) {
            for (int i = 0; i < 5; i++) {
                now.addAndGet(2 * SECOND);
                p.add(1, 1);
            }
            assertEquals(5, p.events());
        }
        assertEquals(0, bytes.size());
    }
}
