package dev.diaspora.stream.redis;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.TopicHandle;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Large events: data above {@code chunk_size} is stored as chunks of at most that size (checked on the server: in the
 * data hash, or in value keys for data above {@link RedisReads#INLINE_MAX}), and
 * reads back exactly, whole and through selections that cross chunk boundaries (seeded random data).
 */
class RedisLargeEventTest {
    private static final String PREFIX = RedisTestServers.uniquePrefix("large");
    private static final int CHUNK = 4096;
    private static final int[] SIZES = {0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 5 * CHUNK + 123, 20_000};

    @BeforeAll
    static void needsRedis() {
        RedisTestServers.assumeSharedServer();
    }

    @AfterAll
    static void cleanUp() {
        RedisTestServers.deletePrefix(RedisTestServers.SHARED_URI, PREFIX);
    }

    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void dataAboveTheChunkSizeIsSplitAndSelectionsReadAcrossChunks() throws Exception {
        long seed = 0x1a46e5eedL;
        Random random = new Random(seed);
        byte[][] data = new byte[SIZES.length][];
        try (Driver d = Driver.open("redis", Metadata.of("{\"key_prefix\":\"" + PREFIX + "\",\"chunk_size\":" + CHUNK
                + "}"))) {
            d.createTopic("big", Metadata.of("{}"));
            try (TopicHandle t = d.openTopic("big")) {
                try (Producer p = t.producer()) {
                    for (int i = 0; i < SIZES.length; i++) {
                        data[i] = new byte[SIZES[i]];
                        random.nextBytes(data[i]);
                        int half = SIZES[i] / 2; // two segments, so chunks also cross segment boundaries
                        p.push(Metadata.of("{\"i\":" + i + "}"), DataView.of(
                                java.nio.ByteBuffer.wrap(data[i], 0, half),
                                java.nio.ByteBuffer.allocateDirect(SIZES[i] - half).put(data[i], half,
                                        SIZES[i] - half).flip()));
                    }
                    p.flush().get(20, TimeUnit.SECONDS);
                }
                checkChunksOnTheServer(d);
                try (Consumer c = t.consumer(ConsumerOptions.named("whole"))) {
                    for (int i = 0; i < SIZES.length; i++) {
                        Event e = c.poll(Duration.ofSeconds(10)).orElseThrow();
                        assertArrayEquals(data[i], e.data().toByteArray(), "event " + i + " (seed " + seed + ")");
                    }
                }
                // a sub-view from 100 bytes before the end of the first chunk, 2 chunks long, clamped at the end
                try (Consumer c = t.consumer(ConsumerOptions.named("sub").dataSelector((m, desc) ->
                        desc.makeSubView(CHUNK - 100, 2L * CHUNK)))) {
                    for (int i = 0; i < SIZES.length; i++) {
                        Event e = c.poll(Duration.ofSeconds(10)).orElseThrow();
                        int from = Math.min(CHUNK - 100, SIZES[i]);
                        int to = Math.min(from + 2 * CHUNK, SIZES[i]);
                        assertArrayEquals(Arrays.copyOfRange(data[i], from, to), e.data().toByteArray(),
                                "sub-view of event " + i + " (seed " + seed + ")");
                    }
                }
            }
        }
    }

    private static void checkChunksOnTheServer(Driver d) {
        try (StatefulRedisConnection<String, String> c = RedisTestServers.client(RedisTestServers.SHARED_URI)
                .connect()) {
            RedisCommands<String, String> r = c.sync();
            String inc = r.hget(PREFIX + ":{big}:meta", "inc");
            String hash = PREFIX + ":{big}:" + inc + ":0:d";
            int fields = 0;
            int keys = 0;
            for (int i = 0; i < SIZES.length; i++) {
                int n = SIZES[i] == 0 ? 0 : SIZES[i] <= CHUNK ? 1 : (SIZES[i] + CHUNK - 1) / CHUNK;
                if (SIZES[i] > RedisReads.INLINE_MAX) {
                    keys += n; // large data: in value keys, one per chunk
                } else {
                    fields += n;
                }
            }
            assertEquals(fields, r.hlen(hash), "data fields in " + hash);
            for (String f : r.hkeys(hash)) {
                assertTrue(r.hstrlen(hash, f) <= CHUNK, "field " + f + " holds " + r.hstrlen(hash, f) + " bytes");
            }
            List<String> values = RedisLargeValueWriteTest.scan(r, PREFIX + ":{big}:" + inc + ":0:v:*");
            assertEquals(keys, values.size(), "value keys " + values);
            for (String k : values) {
                assertTrue(r.strlen(k) <= CHUNK, "key " + k + " holds " + r.strlen(k) + " bytes");
            }
        }
    }
}
