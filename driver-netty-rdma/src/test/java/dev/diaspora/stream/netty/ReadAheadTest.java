package dev.diaspora.stream.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.StartAt;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.spi.IncomingBatch;
import dev.diaspora.stream.spi.OptionSchema;
import dev.diaspora.stream.spi.OptionSpec;
import dev.diaspora.stream.spi.SessionConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A netty read session keeps the next READ of a partition in flight once a read returned events and the server holds
 * more, and uses its answer only for the read it anticipated: a seek, a smaller limit or a lost connection drop it and
 * the read is made again, with the same events as without the read ahead.
 */
@Timeout(60)
class ReadAheadTest {
    private static final int EVENTS = 35;
    private static final long WAIT = 5_000_000_000L;

    @TempDir
    Path root;

    @Test
    void shouldKeepTheNextReadInFlightAndUseItOnlyForTheReadItAnticipated() {
        withSession((servers, s) -> {
            ReadAhead ahead = s.readAhead();
            assertEquals(Map.of(), ahead.inFlight());

            assertBatch(0, 10, s.poll(10, Long.MAX_VALUE, WAIT));
            assertEquals(Map.of(0, 10L), ahead.inFlight(), "the READ of the next batch is sent at once");
            assertBatch(10, 10, s.poll(10, Long.MAX_VALUE, WAIT));
            assertEquals(1, ahead.used(), "the second batch is the answer read ahead");
            assertEquals(Map.of(0, 20L), ahead.inFlight());

            assertBatch(20, 5, s.poll(5, Long.MAX_VALUE, WAIT)); // asks for fewer events than were read ahead
            assertEquals(1, ahead.used(), "an answer for more events than asked is dropped");
            assertEquals(Map.of(0, 25L), ahead.inFlight());

            IncomingBatch few = s.poll(10, 40, WAIT); // fewer bytes than the 5 events read ahead hold
            try {
                assertEquals(25, few.firstId());
                assertTrue(few.count() < 5, "a batch within 40 bytes: " + few.count() + " events");
            } finally {
                few.release();
            }
            assertEquals(1, ahead.used(), "an answer above the byte limit is dropped");

            s.seek(0, StartAt.id(3));
            assertBatch(3, 10, s.poll(10, Long.MAX_VALUE, WAIT));
            assertEquals(1, ahead.used(), "after a seek the answer read ahead is not the one asked for");

            s.seek(0, StartAt.id(30));
            assertBatch(30, 5, s.poll(10, Long.MAX_VALUE, WAIT));
            assertEquals(Map.of(), ahead.inFlight(), "nothing is read ahead past the partition's end");
            assertNull(s.poll(10, Long.MAX_VALUE, 100_000_000L));
        });
    }

    /**
     * The READ sent ahead asks for the bytes the read's limit leaves after its batch (the engine's room if the
     * application takes nothing), so its answer serves a next read with that smaller limit.
     */
    @Test
    void shouldReadAheadWithinTheBytesTheBatchLeaves() {
        withSession((servers, s) -> {
            IncomingBatch first = s.poll(10, 100, WAIT);
            long used;
            try {
                assertTrue(first.count() > 1 && first.count() < 10, "100 bytes hold a few events: " + first.count());
                used = 0;
                for (int i = 0; i < first.count(); i++) {
                    used += first.metadataSize(i) + first.dataSize(i);
                }
            } finally {
                first.release();
            }
            IncomingBatch next = s.poll(10, 100 - used, WAIT);
            assertNotNull(next);
            next.release();
            assertEquals(1, s.readAhead().used(), "the answer read ahead fits the room the first batch left");
        });
    }

    @Test
    void shouldReadAgainWhenTheConnectionOfTheReadAheadIsLost() {
        withSession((servers, s) -> {
            assertBatch(0, 10, s.poll(10, Long.MAX_VALUE, WAIT));
            assertEquals(Map.of(0, 10L), s.readAhead().inFlight());
            servers.first().dropConnections();
            IncomingBatch b = null;
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (b == null && System.nanoTime() < deadline) { // a retriable failure may come first
                try {
                    b = s.poll(10, Long.MAX_VALUE, 100_000_000L);
                } catch (dev.diaspora.stream.DiasporaException e) {
                    if (!e.isRetriable()) {
                        throw e;
                    }
                }
            }
            assertBatch(10, 10, b);
        });
    }

    /** What a test does with a read session. */
    interface SessionBody {
        void run(Servers servers, NettyReadSession s);
    }

    /** Runs {@code body} on a session of partition 0 of topic "ahead" ({@link #EVENTS} events) on one server. */
    private void withSession(SessionBody body) {
        try (Servers servers = Servers.start(root, 1)) {
            produce(servers);
            onSession(servers, "ahead", body);
        }
    }

    /** Runs {@code body} on a session of partition 0 of topic {@code name}, from its first event, in a new client. */
    static void onSession(Servers servers, String name, SessionBody body) {
        NettyBackend backend = backend(servers);
        try (NettyTopic topic = (NettyTopic) backend.openTopic(name);
                NettyReadSession s = (NettyReadSession) topic.openSession(new SessionConfig("c", new int[] {0},
                        StartAt.EARLIEST))) {
            body.run(servers, s);
        } finally {
            backend.close();
        }
    }

    private static void produce(Servers servers) {
        try (Driver driver = Driver.open("netty", servers.driverOptions())) {
            driver.createTopic("ahead", Metadata.of("{\"num_partitions\":1}"));
            try (TopicHandle t = driver.openTopic("ahead"); Producer p = t.producer()) {
                for (int i = 0; i < EVENTS; i++) {
                    p.push(Metadata.of("{\"i\":" + i + "}"), DataView.of(("data " + i)
                            .getBytes(StandardCharsets.US_ASCII)));
                }
                p.flush().join();
            }
        }
    }

    /** @return a client of {@code servers} without the engine */
    static NettyBackend backend(Servers servers) {
        List<String> addresses = servers.list().stream().map(s -> "127.0.0.1:" + s.port()).toList();
        return new NettyBackend(addresses, OptionSchema.of(OptionSpec.string("unused"))
                .validate(Metadata.of("{}"), "test"));
    }

    /** {@code b} holds events {@code first}..{@code first + count - 1}, each with its own metadata. */
    private static void assertBatch(long first, int count, IncomingBatch b) {
        assertNotNull(b, "a batch from " + first);
        try {
            assertEquals(first, b.firstId());
            assertEquals(count, b.count());
            for (int i = 0; i < count; i++) {
                byte[] md = new byte[b.metadataSize(i)];
                b.metadata(i).duplicate().get(md);
                String text = new String(md, StandardCharsets.UTF_8);
                assertTrue(text.contains("\"i\":" + (first + i) + "}"), "event " + (first + i) + ": " + text);
            }
        } finally {
            b.release();
        }
    }
}
