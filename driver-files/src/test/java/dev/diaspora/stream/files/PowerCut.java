package dev.diaspora.stream.files;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.EventsLostException;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.StartAt;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * Helpers for simulated power cuts: copying a live topic (the state a machine loses power in), damaging file tails,
 * pretending the machine restarted, and events whose content says which push made them.
 */
final class PowerCut {
    static final String BOOT = "diaspora.files.bootId";

    private PowerCut() {
    }

    /** Pretends the machine restarted: the next writers see another boot id than the one in the reservation. */
    static void restart(String label) {
        System.setProperty(BOOT, label);
    }

    static void sameBootAgain() {
        System.clearProperty(BOOT);
    }

    /** Copies a topic directory while it is open: what a power cut leaves (files as the OS has them). */
    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> all = Files.walk(from)) {
            for (Path f : (Iterable<Path>) all::iterator) {
                Path dst = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(dst);
                } else {
                    Files.copy(f, dst);
                }
            }
        }
    }

    static void truncate(Path f, long size) throws IOException {
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
            ch.truncate(size);
        }
    }

    static void flipBit(Path f, long offset, int bit) throws IOException {
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, offset);
            b.put(0, (byte) (b.get(0) ^ (1 << bit)));
            ch.write(b.flip(), offset);
        }
    }

    static Metadata metadata(String key, long n) {
        return Metadata.of("{\"k\":\"" + key + "\",\"n\":" + n + "}");
    }

    static byte[] data(String key, long n, int size) {
        byte[] b = new byte[size];
        new SplittableRandom(Content.mix(key.hashCode() * 31L + n)).nextBytes(b);
        return b;
    }

    /** Pushes {@code count} events {@code (key, from + i)} of {@code size} bytes to partition 0; returns their ids. */
    static long[] push(Producer p, String key, long from, int count, int size) {
        var futures = new ArrayList<java.util.concurrent.CompletableFuture<Long>>();
        for (int i = 0; i < count; i++) {
            futures.add(p.push(metadata(key, from + i), DataView.of(data(key, from + i, size)), 0));
        }
        p.flush().join();
        return futures.stream().mapToLong(java.util.concurrent.CompletableFuture::join).toArray();
    }

    /** Checks that {@code e} carries event {@code (key, n)}. */
    static void check(Event e, String key, long n, int size) {
        assertEquals(metadata(key, n).toString(), e.metadata().toString(), "metadata of event " + e.id());
        assertArrayEquals(data(key, n, size), e.data().toByteArray(), "data of event " + e.id());
    }

    /** What a consumer received: events and lost ranges, in order. */
    static final class Received {
        final List<Event> events = new ArrayList<>();
        final List<EventsLostException> lost = new ArrayList<>();
    }

    /**
     * Pulls until {@code count} events came (or nothing comes for 3 s); a lost range is recorded and passed with a
     * seek (which the engine that reports a range once does not need, and which is harmless there).
     */
    static Received drain(Consumer c, int count) {
        Received r = new Received();
        while (r.events.size() < count) {
            try {
                var o = c.poll(Duration.ofSeconds(3));
                if (o.isEmpty()) {
                    break;
                }
                r.events.add(o.get());
                o.get().acknowledge();
            } catch (EventsLostException e) {
                assertTrue(r.lost.isEmpty() || r.lost.get(r.lost.size() - 1) != e, "a lost range comes once");
                r.lost.add(e);
                c.seek(e.partition(), StartAt.id(e.lastLostId() + 1));
            }
        }
        return r;
    }
}
