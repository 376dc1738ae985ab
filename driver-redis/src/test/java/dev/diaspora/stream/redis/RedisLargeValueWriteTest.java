package dev.diaspora.stream.redis;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.TopicHandle;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Data above {@link RedisReads#INLINE_MAX} never passes through the append script: the producer sends each value (or
 * chunk) with a plain {@code SET} to a temporary key and the script renames it into place, so the server never copies
 * it into Lua (which cost 2-4 times the raw {@code XADD}'s CPU per 64 KiB event). Checked on private servers, whose
 * {@code MONITOR} shows which commands carried the bytes, and through the key layout; and the crash window between
 * the {@code SET}s and the script leaves nothing visible and nothing that does not expire. Retention and deletion
 * remove the value keys.
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class RedisLargeValueWriteTest {
    private static final int CHUNK = 32768;

    @TempDir
    Path dir;

    /**
     * @return event {@code i}'s data: readable text (so that {@code MONITOR} shows it as is) starting with
     *     {@code LARGE} above the threshold and {@code SMALL} at or below it
     */
    private static byte[] data(int i, int size) {
        String unit = (size > RedisReads.INLINE_MAX ? "LARGE" : "SMALL") + i + ".";
        StringBuilder s = new StringBuilder(size + unit.length());
        while (s.length() < size) {
            s.append(unit);
        }
        return s.substring(0, size).getBytes(StandardCharsets.US_ASCII);
    }

    private static final int[] SIZES = {100, RedisReads.INLINE_MAX, RedisReads.INLINE_MAX + 1, 2 * CHUNK,
        2 * CHUNK + 1000};

    /**
     * Values that expired before their append ran (the script reports them missing and every {@code SET} had
     * succeeded): nothing was stored, so the push's error is retriable and says to push again.
     */
    @Test
    void largeValuesGoneBeforeTheAppendGiveARetriableError() {
        RedisConfig config = new RedisConfig(RedisConfig.SCHEMA.validate(Metadata.of(
                "{\"uri\":\"redis://127.0.0.1:6390\",\"command_timeout_ms\":5000}"), "driver options"));
        dev.diaspora.stream.DiasporaException e = RedisAppender.uploadMissing(List.of(), "Appending to partition 0",
                RedisScripts.UPLOAD_MISSING + " diaspora:{t:1:0}:u:1", config);
        assertTrue(e.isRetriable(), e.getMessage());
        assertTrue(e.getMessage().contains("70000 ms") && e.getMessage().contains("127.0.0.1:6390")
                && e.getMessage().contains("push its events again"), e.getMessage());
    }

    @Test
    void largeValuesAreRenamedIntoPlaceAndNeverPassThroughTheScript() throws Exception {
        int events = 40;
        byte[][] data = new byte[events][];
        for (int i = 0; i < events; i++) {
            data[i] = data(i, SIZES[i % SIZES.length]);
        }
        try (RedisServerProcess server = RedisServerProcess.start(dir);
                Driver d = server.openDriver("\"chunk_size\":" + CHUNK)) {
            d.createTopic("w", Metadata.of("{}"));
            try (TopicHandle t = d.openTopic("w")) {
                List<String> lines;
                try (RedisMonitor monitor = new RedisMonitor(server.port());
                        Producer p = t.producer()) {
                    for (int i = 0; i < events; i++) {
                        p.push(Metadata.of("{\"i\":" + i + "}"), DataView.of(data[i]));
                    }
                    p.flush().get(30, TimeUnit.SECONDS);
                    lines = monitor.lines(server);
                }
                int largeValues = 0;
                int sets = 0;
                for (int i = 0; i < events; i++) {
                    if (data[i].length > RedisReads.INLINE_MAX) {
                        largeValues += (data[i].length + CHUNK - 1) / CHUNK;
                    }
                }
                for (String l : lines) {
                    boolean lua = l.contains(" lua] ");
                    String command = l.substring(l.indexOf("] \"") + 3).split("\"", 2)[0].toUpperCase();
                    if (l.contains("LARGE")) {
                        assertFalse(lua, "a script handled a large value: " + l.substring(0, 200));
                        assertEquals("SET", command, "a large value sent with another command than SET: "
                                + l.substring(0, 200));
                        sets++;
                    }
                    if (command.startsWith("EVAL")) {
                        assertFalse(l.contains("LARGE"), "the append script got a large value");
                    }
                }
                assertEquals(largeValues, sets, "one client SET per large value or chunk");
                checkLayout(server, data);
                try (Consumer c = t.consumer(ConsumerOptions.named("all"))) {
                    for (int i = 0; i < events; i++) {
                        assertArrayEquals(data[i], c.poll(Duration.ofSeconds(10)).orElseThrow().data().toByteArray(),
                                "event " + i + " of " + data[i].length + " bytes");
                    }
                }
            }
        }
    }

    /** Large data in value keys without expiry, small data in the hash, no temporary key left. */
    private static void checkLayout(RedisServerProcess server, byte[][] data) {
        try (StatefulRedisConnection<String, String> c = RedisTestServers.client(server.uri()).connect()) {
            RedisCommands<String, String> r = c.sync();
            String inc = r.hget("diaspora:{w}:meta", "inc");
            String base = "diaspora:{w}:" + inc + ":0:";
            for (int i = 0; i < data.length; i++) {
                int size = data[i].length;
                if (size <= RedisReads.INLINE_MAX) {
                    assertEquals(size, r.hstrlen(base + "d", Integer.toString(i)), "event " + i + " in the hash");
                    continue;
                }
                assertFalse(r.hexists(base + "d", Integer.toString(i)), "event " + i + " also in the hash");
                List<String> keys = new ArrayList<>();
                if (size <= CHUNK) {
                    keys.add(base + "v:" + i);
                } else {
                    for (int k = 0; k < (size + CHUNK - 1) / CHUNK; k++) {
                        keys.add(base + "v:" + i + "." + k);
                    }
                }
                long stored = 0;
                for (String k : keys) {
                    stored += r.strlen(k);
                    assertEquals(-1, r.pttl(k), k + " expires");
                }
                assertEquals(size, stored, "bytes of event " + i + " in " + keys);
            }
            assertEquals(List.of(), scan(r, "diaspora:*:u:*"), "temporary keys left");
        }
    }

    static List<String> scan(RedisCommands<String, String> r, String pattern) {
        List<String> out = new ArrayList<>();
        ScanCursor cursor = ScanCursor.INITIAL;
        do {
            KeyScanCursor<String> page = r.scan(cursor, ScanArgs.Builder.matches(pattern).limit(1000));
            out.addAll(page.getKeys());
            cursor = page;
        } while (!cursor.isFinished());
        return out;
    }

    /**
     * A producer whose large values reached the server but whose append script never ran (what a producer killed
     * between the two leaves): made exact with an ACL user that may {@code SET} but not run scripts. Nothing of the
     * batch is visible, and every key it left expires.
     */
    @Test
    void aProducerStoppedBetweenItsLargeValuesAndTheScriptLeavesNothingVisibleAndNothingForever() throws Exception {
        try (RedisServerProcess server = RedisServerProcess.start(dir);
                Driver admin = server.openDriver("")) {
            admin.createTopic("k", Metadata.of("{}"));
            try (StatefulRedisConnection<String, String> c = RedisTestServers.client(server.uri()).connect()) {
                RedisCommands<String, String> r = c.sync();
                r.aclSetuser("noscript", io.lettuce.core.AclSetuserArgs.Builder.on().addPassword("secret").allKeys()
                        .allChannels().allCommands().removeCommand(io.lettuce.core.protocol.CommandType.EVALSHA)
                        .removeCommand(io.lettuce.core.protocol.CommandType.EVAL));
                try (Driver stopped = Driver.open("redis", Metadata.of("{\"uri\":\"redis://noscript:secret@127.0.0.1:"
                        + server.port() + "\",\"chunk_size\":" + CHUNK + ",\"command_timeout_ms\":5000}"));
                        TopicHandle t = stopped.openTopic("k"); Producer p = t.producer()) {
                    for (int i = 0; i < 3; i++) {
                        p.push(Metadata.of("{\"i\":" + i + "}"), DataView.of(data(i, 2 * CHUNK + 10)));
                    }
                    ExecutionException e = assertThrows(ExecutionException.class,
                            () -> p.flush().get(30, TimeUnit.SECONDS));
                    assertTrue(String.valueOf(e.getCause().getMessage()).contains("NOPERM")
                            || String.valueOf(e.getCause().getMessage()).contains("refused"), e.getCause().toString());
                }
                List<String> left = scan(r, "diaspora:*:u:*");
                assertEquals(9, left.size(), "the three events' chunks were written ahead: " + left);
                long ttl = 60_000 + 2 * 5000;
                for (String k : left) {
                    long pttl = r.pttl(k);
                    assertTrue(pttl > 0 && pttl <= ttl, k + " expires in " + pttl + " ms, not within " + ttl);
                }
                assertEquals(List.of(), scan(r, "diaspora:*:v:*"), "values moved into place");
                try (TopicHandle t = admin.openTopic("k")) {
                    assertEquals(0, nextId(t), "events visible");
                    try (Consumer consumer = t.consumer(ConsumerOptions.named("c"))) {
                        assertTrue(consumer.poll(Duration.ofMillis(500)).isEmpty(), "an event visible");
                    }
                    // the next producer's batches are unaffected by the keys left behind
                    try (Producer p = t.producer()) {
                        p.push(Metadata.of("{\"i\":9}"), DataView.of(data(9, 2 * CHUNK + 10)));
                        p.flush().get(30, TimeUnit.SECONDS);
                    }
                    assertEquals(1, nextId(t));
                    try (Consumer consumer = t.consumer(ConsumerOptions.named("d"))) {
                        assertArrayEquals(data(9, 2 * CHUNK + 10), consumer.poll(Duration.ofSeconds(10)).orElseThrow()
                                .data().toByteArray());
                    }
                }
            }
        }
    }

    /**
     * A batch whose large values are not on the server when its script runs (here: their {@code SET}s refused, by an
     * ACL user without {@code SET}) is refused whole, small events included, and the push says why.
     */
    @Test
    void aBatchWhoseLargeValuesAreMissingIsRefusedWhole() throws Exception {
        try (RedisServerProcess server = RedisServerProcess.start(dir);
                Driver admin = server.openDriver("")) {
            admin.createTopic("m", Metadata.of("{}"));
            try (StatefulRedisConnection<String, String> c = RedisTestServers.client(server.uri()).connect()) {
                c.sync().aclSetuser("noset", io.lettuce.core.AclSetuserArgs.Builder.on().addPassword("secret")
                        .allKeys().allChannels().allCommands().removeCommand(io.lettuce.core.protocol.CommandType.SET));
            }
            try (Driver refused = Driver.open("redis", Metadata.of("{\"uri\":\"redis://noset:secret@127.0.0.1:"
                    + server.port() + "\"}")); TopicHandle t = refused.openTopic("m");
                    Producer p = t.producer(dev.diaspora.stream.ProducerOptions.defaults()
                            .batchSize(dev.diaspora.stream.BatchSize.of(2)))) {
                p.push(Metadata.of("{\"i\":0}"), DataView.of(data(0, 100)));
                p.push(Metadata.of("{\"i\":1}"), DataView.of(data(1, RedisReads.INLINE_MAX + 1)));
                ExecutionException e = assertThrows(ExecutionException.class, () -> p.flush().get(30, TimeUnit.SECONDS));
                String msg = String.valueOf(e.getCause().getMessage());
                assertTrue(msg.contains("writing its large values ahead") && msg.contains("NOPERM"), msg);
                assertEquals(0, nextId(t), "part of the batch stored");
            }
        }
    }

    /**
     * A producer process killed (SIGKILL) while it pushes large events, wherever it is between its {@code SET}s and
     * its scripts: every event visible reads back whole, no value key is without its event, and every temporary key
     * left expires.
     */
    @Test
    void aProducerProcessKilledWhilePushingLargeEventsLeavesNoPartialEventAndNothingForever() throws Exception {
        int size = 2 * CHUNK + 10;
        try (RedisServerProcess server = RedisServerProcess.start(dir); Driver d = server.openDriver("")) {
            d.createTopic("kill", Metadata.of("{}"));
            Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp",
                    System.getProperty("java.class.path"), ProducerMain.class.getName(), server.uri(), "diaspora",
                    "kill", "a", "1000000", Integer.toString(size))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            long next;
            try (TopicHandle t = d.openTopic("kill")) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (t.bounds(0).next() < 200 && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                child.destroyForcibly();
                assertTrue(child.waitFor(10, TimeUnit.SECONDS), "the producer process did not die");
                next = t.bounds(0).next();
                assertTrue(next >= 200, "the producer stored " + next + " events in 60 s");
                try (Consumer c = t.consumer(ConsumerOptions.named("check"))) {
                    for (long id = 0; id < next; id++) {
                        byte[] got = c.poll(Duration.ofSeconds(10)).orElseThrow().data().toByteArray();
                        byte[] want = new byte[size];
                        java.util.Arrays.fill(want, (byte) id);
                        assertArrayEquals(want, got, "event " + id);
                    }
                }
            }
            try (StatefulRedisConnection<String, String> c = RedisTestServers.client(server.uri()).connect()) {
                RedisCommands<String, String> r = c.sync();
                assertEquals(next, scan(r, "diaspora:*:v:*").size(), "value keys of the " + next
                        + " events stored (one each, at the child's default chunk size), and of no other");
                for (String k : scan(r, "diaspora:*:u:*")) {
                    long pttl = r.pttl(k);
                    assertTrue(pttl > 0 && pttl <= 60_000 + 2 * 10_000, k + " expires in " + pttl + " ms");
                }
            }
        }
    }

    private static long nextId(TopicHandle t) {
        return t.bounds(0).next();
    }

    /** Retention drops the value keys of the events it drops, and deleting the topic drops all of them. */
    @Test
    void retentionAndDeletionRemoveTheValueKeys() throws Exception {
        int size = 40_000;
        try (RedisServerProcess server = RedisServerProcess.start(dir);
                Driver d = server.openDriver("\"chunk_size\":" + CHUNK)) {
            d.createTopic("r", Metadata.of("{\"retention.bytes\":" + 3 * size + "}"));
            long first;
            try (TopicHandle t = d.openTopic("r"); Producer p = t.producer()) {
                for (int i = 0; i < 10; i++) {
                    p.push(Metadata.of("{}"), DataView.of(data(i, size)));
                    p.flush().get(30, TimeUnit.SECONDS);
                }
                first = t.bounds(0).first();
            }
            assertTrue(first >= 7, "retention kept events from " + first);
            try (StatefulRedisConnection<String, String> c = RedisTestServers.client(server.uri()).connect()) {
                RedisCommands<String, String> r = c.sync();
                assertEquals(2 * (10 - first), scan(r, "diaspora:*:v:*").size(), "value keys of the retained"
                        + " events (two chunks each)");
                d.deleteTopic("r");
                assertEquals(List.of(), scan(r, "diaspora:*:v:*"), "value keys left by the deletion");
                assertEquals(List.of(), scan(r, "diaspora:*:u:*"), "temporary keys left");
            }
        }
    }
}
