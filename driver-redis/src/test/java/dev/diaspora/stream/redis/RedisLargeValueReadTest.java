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
 * Values above {@link RedisReads#INLINE_MAX} never pass through a script when read (a script's answer is copied twice
 * more on the server, which made 64 KiB consume 2-2.5 times slower): they are in value keys, read with plain
 * {@code GET}s, and selections of them with {@code GETRANGE}s that send only the selected bytes. On a private server
 * whose {@code MONITOR} tells a client's commands from the ones a script ran. The data is right for sizes around the
 * threshold, whole, chunked and selected (seeded), and topics of the earlier layout (large values in the data hash)
 * still read back.
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
        List<String> read = valueKeysRead(lines, "GET");
        read.addAll(valueKeysRead(lines, "MGET"));
        read.sort(Comparator.comparingInt(Integer::parseInt));
        assertEquals(large, read, "each value of more than " + RedisReads.INLINE_MAX + " bytes read once with a"
                + " client GET or MGET of its value key");
        assertTrue(valueKeysRead(lines, "MGET").size() > large.size() / 2, "values read several per MGET");
        List<String> inScripts = new ArrayList<>(RedisMonitor.arguments(lines, "HGET", true, ":d"));
        inScripts.addAll(RedisMonitor.arguments(lines, "HMGET", true, ":d"));
        inScripts.retainAll(large); // values at the threshold may be read by the slicing script
        assertEquals(List.of(), inScripts, "values of more than " + RedisReads.INLINE_MAX + " bytes read by a"
                + " script");
        for (String[] w : RedisMonitor.commands(lines, "GET", true)) {
            assertTrue(!w[1].contains(":v:"), "a script read the value key " + w[1]);
        }
        assertTrue(RedisMonitor.arguments(lines, "HMGET", false, ":d").size() > events / 6,
                "the reads brought the data along once they learned that the consumer wants it whole");
    }

    /** @return the EventIDs of the value keys that clients read with {@code command} ({@code MGET}: each key), in order */
    private static List<String> valueKeysRead(List<String> lines, String command) {
        List<String> ids = new ArrayList<>();
        for (String[] w : RedisMonitor.commands(lines, command, false)) {
            for (int k = 1; k < (command.equals("MGET") ? w.length : 2); k++) {
                int at = w[k].lastIndexOf(":v:");
                if (at >= 0) {
                    ids.add(w[k].substring(at + 3));
                }
            }
        }
        return ids;
    }

    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void selectionsOfLargeValuesAreCutOnTheServerWithoutAScript() throws Exception {
        int events = 120;
        byte[][] data = randomData(events, i -> LARGE, 11);
        // even events: 10 % of the value; odd: 90 %; each is one GETRANGE of exactly those bytes
        DataSelector selector = (m, whole) -> m.json().path("i").asInt() % 2 == 0
                ? whole.makeSubView(100, whole.size() / 10) : whole.makeSubView(50, whole.size() * 9 / 10);
        List<String> lines = readMonitored(dir, data, ConsumerOptions.named("sel").dataSelector(selector), (e, i) -> {
            int off = i % 2 == 0 ? 100 : 50;
            int len = i % 2 == 0 ? LARGE / 10 : LARGE * 9 / 10;
            assertArrayEquals(java.util.Arrays.copyOfRange(data[i], off, off + len), e.data().toByteArray(),
                    "event " + i);
        });
        List<String> all = new ArrayList<>();
        List<String> ranges = new ArrayList<>();
        for (int i = 0; i < events; i++) {
            all.add(Integer.toString(i));
            int off = i % 2 == 0 ? 100 : 50;
            int len = i % 2 == 0 ? LARGE / 10 : LARGE * 9 / 10;
            ranges.add(off + "-" + (off + len - 1));
        }
        assertEquals(all, valueKeysRead(lines, "GETRANGE"), "each selection read with one client GETRANGE");
        List<String> asked = new ArrayList<>();
        for (String[] w : RedisMonitor.commands(lines, "GETRANGE", false)) {
            asked.add(w[2] + "-" + w[3]);
        }
        assertEquals(ranges, asked, "the bytes each GETRANGE asked for");
        assertEquals(List.of(), RedisMonitor.commands(lines, "GETRANGE", true), "a script cut a value");
        assertEquals(List.of(), RedisMonitor.commands(lines, "HGET", true), "a script read a value");
    }

    /**
     * A topic written before large data moved to value keys (every value in the data hash, entries without the
     * field {@code v}) reads back whole and through selections: the large fields with plain {@code HGET}s, small
     * selections of them through the slicing script.
     */
    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void topicsOfTheEarlierLayoutReadBack() throws Exception {
        int events = 40;
        byte[][] data = randomData(events, i -> i % 2 == 0 ? 100 : LARGE, 13);
        try (RedisServerProcess server = RedisServerProcess.start(dir); Driver d = server.openDriver("")) {
            d.createTopic("old", Metadata.of("{}"));
            try (io.lettuce.core.api.StatefulRedisConnection<String, byte[]> c = RedisTestServers.client(server.uri())
                    .connect(io.lettuce.core.codec.RedisCodec.of(io.lettuce.core.codec.StringCodec.UTF8,
                            io.lettuce.core.codec.ByteArrayCodec.INSTANCE))) {
                var r = c.sync();
                String inc = new String(r.hget("diaspora:{old}:meta", "inc"), java.nio.charset.StandardCharsets.UTF_8);
                String base = "diaspora:{old}:" + inc + ":0:";
                for (int i = 0; i < events; i++) {
                    java.util.Map<String, byte[]> fields = new java.util.LinkedHashMap<>();
                    fields.put("m", ("{\"i\":" + i + "}").getBytes(java.nio.charset.StandardCharsets.UTF_8));
                    fields.put("t", RedisAppender.stamp(1000L + i).getBytes(java.nio.charset.StandardCharsets.UTF_8));
                    fields.put("z", Integer.toString(data[i].length).getBytes(java.nio.charset.StandardCharsets.UTF_8));
                    fields.put("k", "0".getBytes(java.nio.charset.StandardCharsets.UTF_8));
                    r.xadd(base + "s", new io.lettuce.core.XAddArgs().id("0-" + (i + 1)), fields);
                    r.hset(base + "d", Integer.toString(i), data[i]);
                }
                r.hset(base + "h", "next", Integer.toString(events).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
            try (TopicHandle t = d.openTopic("old")) {
                try (Consumer c = t.consumer(ConsumerOptions.named("whole"))) {
                    for (int i = 0; i < events; i++) {
                        assertArrayEquals(data[i], c.poll(Duration.ofSeconds(10)).orElseThrow().data().toByteArray(),
                                "event " + i);
                    }
                }
                try (Consumer c = t.consumer(ConsumerOptions.named("part").dataSelector((m, whole) ->
                        whole.makeSubView(10, Math.min(50, whole.size() - 10))))) {
                    for (int i = 0; i < events; i++) {
                        assertArrayEquals(java.util.Arrays.copyOfRange(data[i], 10, 10 + Math.min(50,
                                data[i].length - 10)), c.poll(Duration.ofSeconds(10)).orElseThrow().data()
                                .toByteArray(), "part of event " + i);
                    }
                }
            }
        }
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
