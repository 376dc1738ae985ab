package dev.diaspora.stream.redis;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.BatchSize;
import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataSelector;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.TopicHandle;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.function.IntFunction;
import java.util.function.ObjIntConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Values above {@link RedisReads#INLINE_MAX} never pass through a script when read whole or mostly: they come with
 * plain {@code HGET}s (or with a read's {@code HMGET}, when the consumer's reads bring data along) (a script's answer is copied twice more on the server, which made 64 KiB consume 2-2.5 times
 * slower); small selections of them still go through the slicing script, which sends only the selected bytes. On a
 * private server whose {@code MONITOR} tells a client's commands from the ones a script ran. And the data is right
 * for sizes around the threshold, whole, chunked and selected (seeded).
 */
class RedisLargeValueReadTest {
    private static final int LARGE = 64 * 1024;

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void largeValuesReadWholeNeverPassThroughAScript() throws Exception {
        int events = 300;
        // every third event is at the threshold (may travel inside a script), the others above it (must not)
        IntFunction<Integer> size = i -> i % 3 == 0 ? RedisReads.INLINE_MAX : RedisReads.INLINE_MAX
                + (i % 3 == 1 ? 1 : LARGE);
        byte[][] data = randomData(events, size, 7);
        // batches of 32: the first is read without data, the next ones with the data of the batch's range
        List<String> lines = readMonitored(dir, data, ConsumerOptions.named("all").batchSize(BatchSize.of(32)),
                (e, i) -> assertArrayEquals(data[i], e.data().toByteArray(), "event " + i + " of " + data[i].length
                        + " bytes"));
        List<String> large = new ArrayList<>();
        for (int i = 0; i < events; i++) {
            if (size.apply(i) > RedisReads.INLINE_MAX) {
                large.add(Integer.toString(i));
            }
        }
        java.util.Set<String> plain = new java.util.TreeSet<>(RedisMonitor.arguments(lines, "HGET", false, ":d"));
        plain.addAll(RedisMonitor.arguments(lines, "HMGET", false, ":d"));
        assertTrue(plain.containsAll(large), "each value of more than " + RedisReads.INLINE_MAX + " bytes read"
                + " with a client's HGET or HMGET");
        List<String> inScripts = new ArrayList<>(RedisMonitor.arguments(lines, "HGET", true, ":d"));
        inScripts.addAll(RedisMonitor.arguments(lines, "HMGET", true, ":d"));
        inScripts.retainAll(large);
        assertEquals(List.of(), inScripts, "values of more than " + RedisReads.INLINE_MAX + " bytes read by a"
                + " script");
        assertTrue(RedisMonitor.arguments(lines, "HMGET", false, ":d").size() > events / 6,
                "the reads brought the data along once they learned that the consumer wants it whole");
    }

    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void smallSelectionsOfLargeValuesAreCutOnTheServerAndLargeOnesReadPlain() throws Exception {
        int events = 120;
        byte[][] data = randomData(events, i -> LARGE, 11);
        // even events: 10 % of the value (the script sends those bytes only); odd: 90 % (the whole field, cut here)
        DataSelector selector = (m, whole) -> m.json().path("i").asInt() % 2 == 0
                ? whole.makeSubView(100, whole.size() / 10) : whole.makeSubView(50, whole.size() * 9 / 10);
        List<String> lines = readMonitored(dir, data, ConsumerOptions.named("sel").dataSelector(selector), (e, i) -> {
            int off = i % 2 == 0 ? 100 : 50;
            int len = i % 2 == 0 ? LARGE / 10 : LARGE * 9 / 10;
            assertArrayEquals(java.util.Arrays.copyOfRange(data[i], off, off + len), e.data().toByteArray(),
                    "event " + i);
        });
        List<String> even = new ArrayList<>();
        List<String> odd = new ArrayList<>();
        for (int i = 0; i < events; i++) {
            (i % 2 == 0 ? even : odd).add(Integer.toString(i));
        }
        assertEquals(odd, RedisMonitor.arguments(lines, "HGET", false, ":d"), "mostly selected values,"
                + " each read with one client HGET");
        assertEquals(even, RedisMonitor.arguments(lines, "HGET", true, ":d"), "values of which a tenth is"
                + " selected, each cut by the slicing script");
    }

    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void sizesAroundTheThresholdWholeChunkedAndSelectedReadBack() throws Exception {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        String why = " (seed " + seed + "L)";
        int events = 240;
        int[] sizes = {100, RedisReads.INLINE_MAX - 1, RedisReads.INLINE_MAX, RedisReads.INLINE_MAX + 1, 32768,
            32769, LARGE, 70000};
        byte[][] data = randomData(events, i -> sizes[random.nextInt(sizes.length)], random.nextLong());
        RedisReadModesTest.Choice[] choices = RedisReadModesTest.Choice.inRuns(random, events);
        // chunks of 32 KiB: 32769, 64 KiB and 70,000 bytes are split, their chunks above the threshold or below
        try (RedisServerProcess server = RedisServerProcess.start(dir);
                Driver d = server.openDriver("\"chunk_size\":32768")) {
            d.createTopic("around", Metadata.of("{}"));
            try (TopicHandle t = d.openTopic("around")) {
                RedisReadModesTest.push(t, data);
                DataSelector selector = (m, whole) -> choices[m.json().path("i").asInt()].apply(whole);
                try (Consumer c = t.consumer(ConsumerOptions.named("around").dataSelector(selector))) {
                    for (int i = 0; i < events; i++) {
                        Event e = c.poll(Duration.ofSeconds(10)).orElseThrow();
                        assertEquals(i, e.metadata().json().path("i").asInt(), "order" + why);
                        assertArrayEquals(RedisReadModesTest.expected(data[i], choices[i]), e.data().toByteArray(),
                                "event " + i + " of " + data[i].length + " bytes, " + choices[i] + why);
                    }
                }
            }
        }
    }

    /**
     * Pushes {@code data} to a new topic on a private server and reads it all back with {@code options}, checking
     * each event in order.
     *
     * @return the commands the server ran while the consumer read
     */
    static List<String> readMonitored(Path dir, byte[][] data, ConsumerOptions options, ObjIntConsumer<Event> check)
            throws Exception {
        try (RedisServerProcess server = RedisServerProcess.start(dir); Driver d = server.openDriver("")) {
            d.createTopic("large", Metadata.of("{}"));
            try (TopicHandle t = d.openTopic("large")) {
                RedisReadModesTest.push(t, data);
                try (RedisMonitor monitor = new RedisMonitor(server.port()); Consumer c = t.consumer(options)) {
                    for (int i = 0; i < data.length; i++) {
                        check.accept(c.poll(Duration.ofSeconds(10)).orElseThrow(), i);
                    }
                    return monitor.lines(server);
                }
            }
        }
    }

    private static byte[][] randomData(int events, IntFunction<Integer> size, long seed) {
        Random random = new Random(seed);
        byte[][] data = new byte[events][];
        for (int i = 0; i < events; i++) {
            data[i] = new byte[size.apply(i)];
            random.nextBytes(data[i]);
        }
        return data;
    }
}
