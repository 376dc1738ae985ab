package dev.diaspora.stream.redis;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataDescriptor;
import dev.diaspora.stream.DataSelector;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.TopicHandle;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reads bring data with the metadata, or not, by what the consumer's recent batches of a partition asked for
 * ({@link RedisSessionTopic}); a selection that changes from event to event, in runs, must still get exactly its
 * bytes: whole data, none, sub-views and strided views, of data stored as one field or split into chunks. Seeded;
 * the seed is in every failure message.
 */
class RedisReadModesTest {
    private static final String PREFIX = RedisTestServers.uniquePrefix("modes");
    private static final int CHUNK = 4096;
    private static final int EVENTS = 400;

    @TempDir
    Path dir;

    @BeforeAll
    static void requireServer() {
        RedisTestServers.assumeSharedServer();
    }

    @AfterAll
    static void cleanUp() {
        RedisTestServers.deletePrefix(RedisTestServers.SHARED_URI, PREFIX);
    }

    /** 0 none, 1 whole, 2 sub-view, 3 strided view; with the view's parameters as fractions of the size */
    record Choice(int kind, double a, double b, double c) {
        /** @return one choice per event, in runs of one kind (so that the read mode has something to learn) */
        static Choice[] inRuns(Random random, int events) {
            Choice[] choices = new Choice[events];
            int kind = 1;
            for (int i = 0; i < events; i++) {
                if (random.nextInt(40) == 0) {
                    kind = random.nextInt(4);
                }
                choices[i] = new Choice(random.nextInt(8) == 0 ? random.nextInt(4) : kind, random.nextDouble(),
                        random.nextDouble(), random.nextDouble());
            }
            return choices;
        }

        DataDescriptor apply(DataDescriptor whole) {
            long size = whole.size();
            return switch (kind) {
                case 0 -> DataDescriptor.NONE;
                case 1 -> whole;
                case 2 -> whole.makeSubView((long) (a * size), Math.max(1, (long) (b * size)));
                default -> {
                    long block = Math.max(1, (long) (a * size / 4));
                    long gap = (long) (b * block);
                    long blocks = Math.max(1, size / (block + gap) / 2);
                    long offset = (long) (c * Math.max(0, size - blocks * (block + gap)));
                    yield whole.makeStridedView(offset, blocks, block, gap);
                }
            };
        }
    }

    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void selectionsChangingInRunsGetExactlyTheirBytes() throws Exception {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        String why = " (seed " + seed + "L)";
        byte[][] data = new byte[EVENTS][];
        for (int i = 0; i < EVENTS; i++) {
            int roll = random.nextInt(10);
            data[i] = new byte[roll == 0 ? 0 : roll < 3 ? 1 + random.nextInt(300) : roll < 8
                    ? 500 + random.nextInt(1500) : CHUNK + random.nextInt(2 * CHUNK)];
            random.nextBytes(data[i]);
        }
        Choice[] choices = Choice.inRuns(random, EVENTS);
        try (Driver d = Driver.open("redis", Metadata.of("{\"key_prefix\":\"" + PREFIX + "\",\"chunk_size\":" + CHUNK
                + "}"))) {
            d.createTopic("modes", Metadata.of("{}"));
            try (TopicHandle t = d.openTopic("modes")) {
                push(t, data);
                DataSelector selector = (m, whole) -> choices[m.json().path("i").asInt()].apply(whole);
                try (Consumer c = t.consumer(ConsumerOptions.named("modes").dataSelector(selector))) {
                    for (int i = 0; i < EVENTS; i++) {
                        Event e = c.poll(Duration.ofSeconds(10)).orElseThrow();
                        assertEquals(i, e.metadata().json().path("i").asInt(), "order" + why);
                        byte[] want = expected(data[i], choices[i]);
                        assertArrayEquals(want, e.data().toByteArray(), "event " + i + " of " + data[i].length
                                + " bytes, " + choices[i] + why);
                    }
                }
            }
        }
    }

    /**
     * A consumer that selects no data never fetches any, and a consumer that selects all fetches each event's data
     * once: on a private server, the bytes the server sends while each reads every event are far below the data's
     * size, and below one and a half times it (the data of an event sent twice would exceed that).
     */
    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void noDataSelectedReadsNoDataAndAllSelectedReadsEachEventOnce() throws Exception {
        byte[][] data = new byte[300][];
        Random random = new Random(0x5e1ec7L);
        for (int i = 0; i < data.length; i++) {
            data[i] = new byte[2000 + random.nextInt(2000)];
            random.nextBytes(data[i]);
        }
        try (RedisServerProcess server = RedisServerProcess.start(dir); Driver d = server.openDriver("")) {
            d.createTopic("none", Metadata.of("{}"));
            try (TopicHandle t = d.openTopic("none")) {
                push(t, data);
                long total = 0;
                for (byte[] b : data) {
                    total += b.length;
                }
                long before = server.stat("total_net_output_bytes");
                try (Consumer c = t.consumer(ConsumerOptions.named("none").dataSelector(DataSelector.NONE))) {
                    for (int i = 0; i < data.length; i++) {
                        assertEquals(0, c.poll(Duration.ofSeconds(10)).orElseThrow().data().size());
                    }
                }
                long none = server.stat("total_net_output_bytes") - before;
                assertTrue(none < total / 4, "the server sent " + none + " bytes to a consumer that selects no"
                        + " data of " + total + " bytes");
                before = server.stat("total_net_output_bytes");
                try (Consumer c = t.consumer(ConsumerOptions.named("all"))) {
                    for (int i = 0; i < data.length; i++) {
                        assertArrayEquals(data[i], c.poll(Duration.ofSeconds(10)).orElseThrow().data()
                                .toByteArray(), "event " + i);
                    }
                }
                long all = server.stat("total_net_output_bytes") - before;
                assertTrue(all < total * 3 / 2, "the server sent " + all + " bytes to a consumer of all the data"
                        + " (" + total + " bytes)");
            }
        }
    }

    /** Pushes each of {@code data} with the metadata {@code {"i": index}} and waits until all are stored. */
    static void push(TopicHandle t, byte[][] data) throws Exception {
        try (Producer p = t.producer()) {
            for (int i = 0; i < data.length; i++) {
                p.push(Metadata.of("{\"i\":" + i + "}"), DataView.of(ByteBuffer.wrap(data[i])));
            }
            p.flush().get(60, TimeUnit.SECONDS);
        }
    }

    /** @return the bytes a choice selects, by flattening the same view of a descriptor of the data's size */
    static byte[] expected(byte[] data, Choice choice) {
        if (data.length == 0) {
            return new byte[0];
        }
        DataDescriptor sel = choice.apply(DataDescriptor.of(0L, data.length));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (DataDescriptor.Range r : sel.flatten()) {
            out.write(data, (int) r.offset(), (int) r.size());
        }
        return out.toByteArray();
    }
}
