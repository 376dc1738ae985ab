package dev.diaspora.stream.redis;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.diaspora.stream.BatchSize;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.spi.IncomingBatch;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reads are plain commands: a consumer that wants the data gets it with a pipelined {@code XRANGE} and {@code HMGET}
 * (no read script, which cost the server 3-4 times a raw {@code XRANGE} per event), and the read's byte limit is
 * enforced on the client: a batch is the longest run of events from the position that fits (the first always
 * counts), with the data of the events whose fields were asked for, and nothing past the cut.
 */
class RedisPlainReadTest {
    private static final String PREFIX = RedisTestServers.uniquePrefix("plain");
    private static final int CHUNK = 4096;

    @TempDir
    Path dir;

    /**
     * A consumer reading every event whole reads the partition's stream with no script, and once it has learned that
     * it wants the data (the first batches' data is read apart), the data comes with client {@code HMGET}s.
     */
    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void readsWithDataSendNoReadScript() throws Exception {
        int events = 320;
        Random random = new Random(0x91a1dL);
        byte[][] data = new byte[events][];
        for (int i = 0; i < events; i++) {
            data[i] = new byte[100 + random.nextInt(1000)];
            random.nextBytes(data[i]);
        }
        List<String> lines = RedisLargeValueReadTest.readMonitored(dir, data, ConsumerOptions.named("whole")
                .batchSize(BatchSize.of(32)), (e, i) -> assertArrayEquals(data[i], e.data().toByteArray(), "event "
                + i));
        int reads = 0;
        for (String l : lines) {
            String lower = l.toLowerCase(java.util.Locale.ROOT);
            if ((lower.contains("] \"evalsha\"") || lower.contains("] \"eval\"")) && lower.contains(":0:s\"")) {
                fail("a read ran a script on the partition's stream: " + l);
            }
            if (lower.contains("] \"xrange\"") && !lower.contains(" lua]")) {
                reads++;
            }
        }
        assertTrue(reads >= events / 32, "the consumer read with " + reads + " client XRANGEs");
        int inline = RedisMonitor.arguments(lines, "HMGET", false, ":d").size();
        assertTrue(inline >= events / 2, "only " + inline + " of " + events + " events' data came with a client"
                + " HMGET");
    }

    /**
     * Seeded: events of mixed sizes (some split into chunks), reads from random positions with random event, byte
     * and data-field limits; each batch is exactly the longest prefix within the byte limit, and each event's data
     * is there whole when its field was asked for and it is stored as one field, absent otherwise.
     */
    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void batchesAreCutAtTheByteLimitAndCarryTheDataAskedFor() throws Exception {
        RedisTestServers.assumeSharedServer();
        long seed = System.nanoTime();
        Random random = new Random(seed);
        String why = " (seed " + seed + "L)";
        int events = 200;
        byte[][] data = new byte[events][];
        for (int i = 0; i < events; i++) {
            int roll = random.nextInt(10);
            data[i] = new byte[roll == 0 ? 0 : roll < 6 ? 1 + random.nextInt(400) : roll < 9
                    ? 1000 + random.nextInt(3000) : CHUNK + 1 + random.nextInt(2 * CHUNK)];
            random.nextBytes(data[i]);
        }
        String options = "{\"key_prefix\":\"" + PREFIX + "\",\"chunk_size\":" + CHUNK + "}";
        try (Driver d = Driver.open("redis", Metadata.of(options))) {
            d.createTopic("cut", Metadata.of("{}"));
            try (TopicHandle t = d.openTopic("cut")) {
                RedisReadModesTest.push(t, data);
            }
        }
        RedisBackend backend = new RedisBackend(new RedisConfig(RedisConfig.SCHEMA.validate(Metadata.of(options),
                "test")));
        try (backend; RedisTopic topic = (RedisTopic) backend.openTopic("cut")) {
            RedisReads reads = new RedisReads(topic);
            IncomingBatch all = reads.read(0, 0, events, Long.MAX_VALUE);
            assertEquals(events, all.count(), "a read without limits" + why);
            int[] mdSizes = new int[events];
            for (int i = 0; i < events; i++) {
                mdSizes[i] = all.metadataSize(i);
            }
            for (int round = 0; round < 300; round++) {
                long from = random.nextInt(events + 2);
                int maxEvents = 1 + random.nextInt(40);
                long maxBytes = random.nextInt(4) == 0 ? 1 : random.nextInt(30_000);
                int fields = random.nextInt(3) == 0 ? 0 : random.nextInt(50);
                String at = "read from " + from + ", " + maxEvents + " events, " + maxBytes + " bytes, " + fields
                        + " data fields" + why;
                RedisReads.Fetched f = reads.fetch(0, from, maxEvents, maxBytes, fields, null);
                if (from >= events) {
                    assertNull(f.batch(), at);
                    continue;
                }
                IncomingBatch b = f.batch();
                int want = 0;
                long bytes = 0;
                while (from + want < events && want < maxEvents) {
                    int i = (int) from + want;
                    long size = mdSizes[i] + data[i].length;
                    if (want > 0 && bytes + size > maxBytes) {
                        break;
                    }
                    bytes += size;
                    want++;
                }
                assertEquals(want, b.count(), at);
                for (int j = 0; j < want; j++) {
                    int i = (int) from + j;
                    assertEquals(data[i].length, b.dataSize(j), "size of event " + i + ", " + at);
                    ByteBuffer got = f.data() == null ? null : f.data()[j];
                    if (j < fields && data[i].length > 0 && data[i].length <= CHUNK) {
                        assertArrayEquals(data[i], bytes(got), "data of event " + i + ", " + at);
                    } else {
                        assertNull(got, "data of event " + i + " was not asked for, or is in chunks, " + at);
                    }
                }
                if (f.data() != null) {
                    for (int j = want; j < f.data().length; j++) {
                        assertNull(f.data()[j], "data past the cut, " + at);
                    }
                }
            }
        } finally {
            RedisTestServers.deletePrefix(RedisTestServers.SHARED_URI, PREFIX);
        }
    }

    @Test
    void dataFieldsFollowTheLastBatchesEventSize() {
        assertEquals(512, RedisSessionTopic.dataFields(512, 1 << 20, 0), "no batch yet: as many as events");
        assertEquals(11, RedisSessionTopic.dataFields(512, 1000, 100), "as many as fit, and one more");
        assertEquals(1, RedisSessionTopic.dataFields(512, 1000, 70_000), "at least one");
        assertEquals(64, RedisSessionTopic.dataFields(64, Long.MAX_VALUE, 1), "at most the events asked for");
    }

    private static byte[] bytes(ByteBuffer b) {
        if (b == null) {
            return null;
        }
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }
}
