package dev.diaspora.stream.netty;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.netty.protocol.Protocol;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetric;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile input on raw sockets against one partition server: garbage, seeded random and mutated frames, oversize
 * lengths, truncated frames, requests before HELLO, hostile READ_DATA descriptors. Each hostile connection gets an
 * ERROR and/or is closed; the server never fails: a driver connected before the barrage, and a new one after it,
 * still produce and consume, and the hostile connections' state is gone.
 *
 * <p>Replay: failures name the base seed and the case seed. Run again with {@code -Dtck.seed=<base seed>}.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HostileInputTest {
    static final long BASE_SEED = Long.getLong("tck.seed", 0x4057_11E5L);
    private static final String TOKEN = "hostile-token";
    private static final int MAX_FRAME = 256 << 10;
    /** The topic of the driver connected before the barrage. */
    private static final String BEFORE = "before";
    /** The topic the raw clients use (a mutated frame may delete it: {@link #openVictim} creates it again). */
    private static final String VICTIM = "victim";
    private static final int DATA_SIZE = 100;

    @TempDir
    static Path dir;
    private static Servers servers;
    /** Connected before the barrage; must keep working. */
    private static Driver before;

    @BeforeAll
    static void start() {
        servers = Servers.start(dir, 1, b -> b.token(TOKEN).maxFrameLength(MAX_FRAME));
        before = Driver.open("netty", options());
        RoundTrip.createAndCheck(before, BEFORE, 10);
    }

    @AfterAll
    static void stop() {
        if (before != null) {
            before.close();
        }
        servers.close();
    }

    private static Metadata options() {
        return servers.driverOptions("\"token\":\"" + TOKEN + "\",\"request_timeout_ms\":20000");
    }

    private static int port() {
        return servers.first().port();
    }

    private static RawClient authenticated() {
        return RawClient.authenticated(port(), TOKEN);
    }

    private static void forEachCase(String property, int cases, SeededCases.CaseBody body) {
        SeededCases.forEachCase(BASE_SEED, property, cases, body);
    }

    // ------------------------------------------------------------------ before HELLO

    @Test
    @Order(1)
    void shouldCloseOnRandomGarbage() {
        forEachCase("garbage", 60, r -> {
            byte[] junk = new byte[1 + r.nextInt(r.nextBoolean() ? 16 : 4096)];
            r.nextBytes(junk);
            try (RawClient c = new RawClient(port())) {
                c.send(junk);
                c.shutdownOutput();
                assertTrue(c.expectBadFrameAndClose() <= 1, "at most one error, then closed");
            }
        });
    }

    @Test
    @Order(1)
    void shouldRefuseRequestsBeforeHello() {
        for (byte type : new byte[] {Protocol.LIST_TOPICS, Protocol.OPEN_TOPIC, Protocol.APPEND, Protocol.OK, 0,
                (byte) 0xFF}) {
            try (RawClient c = new RawClient(port())) {
                RawClient.Frame f = c.request(type, RawClient.payload(o -> RawClient.string(o, VICTIM)));
                assertEquals(Protocol.E_BAD_FRAME, f.errorKind(), f::toString);
                assertTrue(f.errorMessage().contains("HELLO"), f::toString);
                assertNull(c.read(), "closed after the error");
            }
        }
    }

    @Test
    @Order(1)
    void shouldRefuseBadHellos() {
        byte[] wrongMagic = RawClient.hello(TOKEN);
        wrongMagic[0] ^= 0x20;
        byte[] wrongVersion = RawClient.hello(TOKEN);
        wrongVersion[5] = 9;
        byte[] shortHello = Arrays.copyOf(RawClient.hello(TOKEN), 5);
        byte[] tokenTooLong = RawClient.payload(o -> {
            o.writeInt(Protocol.MAGIC);
            o.writeShort(Protocol.VERSION);
            o.writeShort(200); // but only 3 bytes follow
            o.write(new byte[3]);
        });
        byte[] trailing = Arrays.copyOf(RawClient.hello(TOKEN), RawClient.hello(TOKEN).length + 7);
        byte[][] hellos = {wrongMagic, wrongVersion, shortHello, tokenTooLong, new byte[0], trailing};
        int[] kinds = {Protocol.E_BAD_FRAME, Protocol.E_VERSION, Protocol.E_BAD_FRAME, Protocol.E_BAD_FRAME,
            Protocol.E_BAD_FRAME, Protocol.E_BAD_FRAME};
        for (int i = 0; i < hellos.length; i++) {
            try (RawClient c = new RawClient(port())) {
                RawClient.Frame f = c.request(Protocol.HELLO, hellos[i]);
                assertEquals(kinds[i], f.errorKind(), "hello " + i + ": " + f);
                assertNull(c.read(), "closed after the error");
            }
        }
        try (RawClient c = authenticated()) { // a second HELLO is not a request
            RawClient.Frame f = c.request(Protocol.HELLO, RawClient.hello(TOKEN));
            assertEquals(Protocol.E_BAD_FRAME, f.errorKind(), f::toString);
            assertNull(c.read(), "closed after the error");
        }
    }

    @Test
    @Order(1)
    void shouldCloseOnTruncatedFramesThenEof() {
        forEachCase("truncated", 40, r -> {
            boolean hello = r.nextBoolean();
            try (RawClient c = hello ? authenticated() : new RawClient(port())) {
                byte[] whole = hello ? validFrame(r, openVictim(c), 100) : RawClient.frame(Protocol.HELLO, 1,
                        RawClient.hello(TOKEN));
                c.send(Arrays.copyOf(whole, r.nextInt(whole.length)));
                c.shutdownOutput();
                assertEquals(0, c.expectBadFrameAndClose(), "a truncated frame is never answered: the server"
                        + " waits for the rest, then sees the end of the stream and closes");
            }
        });
    }

    // ------------------------------------------------------------------ frame lengths

    @Test
    @Order(1)
    void shouldRefuseFrameJustAboveMaxFrameLength() {
        for (boolean hello : new boolean[] {false, true}) {
            try (RawClient c = hello ? authenticated() : new RawClient(port())) {
                byte[] header = RawClient.payload(o -> {
                    o.writeInt(MAX_FRAME + 1);
                    o.writeByte(Protocol.LIST_TOPICS);
                    o.writeLong(1);
                });
                c.send(header);
                c.send(new byte[MAX_FRAME + 1 - Protocol.HEADER]);
                assertEquals(1, c.expectBadFrameAndClose(), "one ERROR(BAD_FRAME), then closed");
            }
        }
    }

    @Test
    @Order(1)
    void shouldAcceptFrameOfExactlyMaxFrameLength() {
        try (RawClient c = authenticated()) {
            int h = openVictim(c);
            // one event whose metadata and data fill the frame to the byte: length field == max frame
            int fixed = Protocol.HEADER + 4 * 4 + 8 + 8 + 1 + 4 + 8;
            byte[] md = "{}".getBytes(StandardCharsets.UTF_8);
            byte[] data = new byte[MAX_FRAME - fixed - md.length];
            byte[] payload = appendPayload(h, 1, 0, new byte[][] {md}, new byte[][] {data});
            assertEquals(MAX_FRAME, Protocol.HEADER + payload.length);
            RawClient.Frame f = c.request(Protocol.APPEND, payload);
            assertEquals(Protocol.OK, f.type(), () -> "a frame of exactly the limit is refused: " + f);
        }
    }

    @Test
    @Order(1)
    void shouldRefuseHugeLengthsWithoutBufferingThem() {
        long usedBefore = usedMemory();
        long start = System.nanoTime();
        byte[] junk = new byte[64 << 10];
        for (int i = 0; i < 100; i++) {
            try (RawClient c = i % 2 == 0 ? new RawClient(port()) : authenticated()) {
                int len = i % 3 == 0 ? -1 : Integer.MAX_VALUE - i;
                c.send(RawClient.payload(o -> {
                    o.writeInt(len);
                    o.writeByte(Protocol.APPEND);
                    o.writeLong(7);
                }));
                for (int k = 0; k < 16 && c.send(junk); k++) {
                    // keep sending the announced payload until the server cuts us off
                }
                assertEquals(1, c.expectBadFrameAndClose(), "one ERROR(BAD_FRAME), then closed");
            }
        }
        long ms = (System.nanoTime() - start) / 1_000_000;
        long grown = usedMemory() - usedBefore;
        assertTrue(grown < (32 << 20), "Netty memory in use grew by " + grown + " bytes after 100 huge frames");
        assertTrue(ms < 30_000, "100 huge frames refused in " + ms + " ms");
    }

    private static long usedMemory() {
        ByteBufAllocatorMetric m = ((ByteBufAllocatorMetricProvider) ByteBufAllocator.DEFAULT).metric();
        return m.usedDirectMemory() + m.usedHeapMemory();
    }

    // ------------------------------------------------------------------ after HELLO

    @Test
    @Order(2)
    void shouldSurviveSeededValidAndMutatedFrames() {
        int[] answers = new int[4]; // OK, error, bad frame (closed), no answer (closed)
        forEachCase("mutated", 30, r -> {
            RawClient c = authenticated();
            int h = openVictim(c);
            try {
                for (int i = 0; i < 30; i++) {
                    byte[] valid = validFrame(r, h, r.nextInt(8));
                    boolean mutated = r.nextInt(3) > 0;
                    byte[] frame = mutated ? mutate(r, valid) : valid;
                    // a frame shorter or longer than its fields must be refused, whatever else is wrong with it
                    boolean mustBeBad = frame.length != valid.length && frame[4] == valid[4];
                    String what = (mutated ? "mutated " : "valid ") + Protocol.typeName(frame[4]) + " ("
                            + valid.length + " -> " + frame.length + " bytes)";
                    c.send(frame);
                    RawClient.Frame f = c.read();
                    while (f != null && f.type() == Protocol.NOTIFY) {
                        f = c.read();
                    }
                    if (f == null) {
                        answers[3]++;
                    } else if (f.type() == Protocol.OK && !mustBeBad) {
                        answers[0]++;
                        h = frame[4] == Protocol.CLOSE_TOPIC ? openVictim(c) : h; // it may have closed h
                        continue;
                    } else {
                        RawClient.Frame g = f;
                        assertEquals(Protocol.ERROR, f.type(), () -> what + " answered " + g);
                        int kind = f.errorKind();
                        assertTrue(!mustBeBad || kind == Protocol.E_BAD_FRAME, () -> what + " answered " + g);
                        assertNotEquals(Protocol.E_AUTH, kind, () -> what + " answered " + g);
                        if (kind != Protocol.E_BAD_FRAME && kind != Protocol.E_VERSION) {
                            answers[1]++;
                            h = frame[4] == Protocol.CLOSE_TOPIC ? openVictim(c) : h;
                            continue;
                        }
                        answers[2]++;
                        assertEquals(0, c.expectBadFrameAndClose(), what + ": closed after " + g);
                    }
                    c.close();
                    c = authenticated();
                    h = openVictim(c);
                }
            } finally {
                c.close();
            }
        });
        System.out.println("mutated frames: " + answers[0] + " OK, " + answers[1] + " errors, " + answers[2]
                + " bad frames, " + answers[3] + " closed without an answer");
        assertTrue(answers[0] > 0 && answers[1] > 0 && answers[2] > 0, Arrays.toString(answers));
    }

    @Test
    @Order(2)
    void shouldAnswerHostileReadDataPerRequest() {
        try (RawClient c = authenticated()) {
            int h = openVictim(c);
            byte[] d0 = new byte[DATA_SIZE];
            byte[] d1 = new byte[DATA_SIZE];
            new Random(BASE_SEED).nextBytes(d0);
            new Random(BASE_SEED + 1).nextBytes(d1);
            RawClient.Frame appended = c.request(Protocol.APPEND, appendPayload(h, 3, 1,
                    new byte[][] {"{}".getBytes(StandardCharsets.UTF_8), "{}".getBytes(StandardCharsets.UTF_8)},
                    new byte[][] {d0, d1}));
            assertEquals(Protocol.OK, appended.type(), appended::toString);
            long id = ByteBuffer.wrap(appended.payload()).getLong();
            long[][] requests = {
                {1, id, DATA_SIZE, 0, DATA_SIZE}, // whole event: ok
                {1, id + 1, DATA_SIZE, 10, 20}, // a range: ok
                {1, id + 1_000_000, DATA_SIZE, 0, DATA_SIZE}, // beyond the end
                {1, id, DATA_SIZE - 1, 0, DATA_SIZE - 1}, // size mismatch
                {1, id, DATA_SIZE + 50, DATA_SIZE, 50}, // range beyond the data, size mismatch
                {1, id, DATA_SIZE, 90, 20}, // range outside the descriptor
                {1, id, DATA_SIZE, -5, 10}, // negative offset
                {1, -1, DATA_SIZE, 0, 1}, // negative id
                {1, id + 1, DATA_SIZE, 0, DATA_SIZE}, // ok again, after the errors
            };
            List<byte[]> statuses = readData(c, h, requests);
            assertEquals(requests.length, statuses.size());
            List<Integer> ok = List.of(0, 1, 8);
            for (int i = 0; i < requests.length; i++) {
                String what = "request " + i + " " + Arrays.toString(requests[i]);
                if (ok.contains(i)) {
                    assertNull(statuses.get(i), () -> what + " fails");
                } else {
                    assertTrue(statuses.get(i) != null, what + " must fail");
                }
            }
            byte[] bytes = lastReadDataBytes;
            byte[] expected = new byte[DATA_SIZE + 20 + DATA_SIZE];
            System.arraycopy(d0, 0, expected, 0, DATA_SIZE);
            System.arraycopy(d1, 10, expected, DATA_SIZE, 20);
            System.arraycopy(d1, 0, expected, DATA_SIZE + 20, DATA_SIZE);
            assertArrayEquals(expected, bytes, "the selected bytes of the good requests, in order");

            // sizes whose sum overflows a long: an error for the request or for each of its parts, never a negative
            // or wrapped buffer size (sizes above the zero-copy threshold are checked against the index first)
            long big = Long.MAX_VALUE;
            long[][] overflow = {{1, id, big, 0, big}, {1, id, big, 0, big}, {1, id, 102, 0, 102}};
            RawClient.Frame f = c.request(Protocol.READ_DATA, readDataPayload(h, overflow));
            if (f.type() == Protocol.ERROR) {
                assertTrue(f.errorMessage().contains("READ_DATA"), f::toString);
            } else {
                List<byte[]> failed = readData(c, h, overflow);
                assertTrue(failed.stream().allMatch(x -> x != null), "every part must fail");
            }
            // still usable
            assertEquals(3, readData(c, h, new long[][] {requests[0], requests[2], requests[1]}).size());
            // a partition that is not on this server: a bad frame, the connection closes
            f = c.request(Protocol.READ_DATA, readDataPayload(h, new long[][] {{5, id, DATA_SIZE, 0, DATA_SIZE}}));
            assertEquals(Protocol.E_BAD_FRAME, f.errorKind(), f::toString);
            assertNull(c.read(), "closed after the bad frame");
        }
    }

    private static byte[] lastReadDataBytes;

    /** @return per request, null if it succeeded, else its error (kind and message); keeps the bytes read */
    private static List<byte[]> readData(RawClient c, int h, long[][] requests) {
        RawClient.Frame f = c.request(Protocol.READ_DATA, readDataPayload(h, requests));
        assertEquals(Protocol.OK, f.type(), f::toString);
        ByteBuffer b = ByteBuffer.wrap(f.payload());
        List<byte[]> statuses = new ArrayList<>();
        for (int i = 0; i < requests.length; i++) {
            byte status = b.get();
            if (status == -1) {
                statuses.add(null);
            } else {
                byte[] m = new byte[Short.toUnsignedInt(b.getShort())];
                b.get(m);
                statuses.add(m);
            }
        }
        lastReadDataBytes = new byte[b.remaining()];
        b.get(lastReadDataBytes);
        return statuses;
    }

    /** @param requests each {partition, eventId, dataSize, offset, size} (one range) */
    private static byte[] readDataPayload(int h, long[][] requests) {
        return RawClient.payload(o -> {
            o.writeInt(h);
            o.writeInt(requests.length);
            for (long[] q : requests) {
                o.writeInt((int) q[0]);
                o.writeLong(q[1]);
                o.writeLong(q[2]);
                o.writeInt(1);
                o.writeLong(q[3]);
                o.writeLong(q[4]);
            }
        });
    }

    // ------------------------------------------------------------------ afterwards

    @Test
    @Order(3)
    void shouldServeNormalDriversAfterTheBarrage() throws InterruptedException {
        RoundTrip.check(before, BEFORE, 50);
        try (Driver after = Driver.open("netty", options())) {
            RoundTrip.createAndCheck(after, "after-barrage", 50);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (servers.first().connectionCount() > 1 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(1, servers.first().connectionCount(), "the hostile connections are gone; the driver's stays");
    }

    // ------------------------------------------------------------------ frames

    /** @return a handle of the raw clients' topic, which this creates first if missing */
    private static int openVictim(RawClient c) {
        return c.openOrCreate(VICTIM, 2);
    }

    private static byte[] appendPayload(int h, int key, int p, byte[][] md, byte[][] data) {
        return RawClient.payload(o -> {
            o.writeInt(h);
            o.writeInt(key);
            o.writeInt(p);
            o.writeInt(md.length);
            o.writeLong(42);
            o.writeLong(0);
            o.writeByte(0);
            for (byte[] m : md) {
                o.writeInt(m.length);
            }
            for (byte[] d : data) {
                o.writeLong(d.length);
            }
            for (byte[] m : md) {
                o.write(m);
            }
            for (byte[] d : data) {
                o.write(d);
            }
        });
    }

    /** @return a valid request frame of a type picked by {@code r}, on topic handle {@code h} */
    private static byte[] validFrame(Random r, int h, long requestId) {
        int p = r.nextInt(2);
        String consumer = "fuzzer-" + r.nextInt(3);
        List<Supplier<byte[]>> frames = List.of(
                () -> RawClient.frame(Protocol.CREATE_TOPIC, requestId, RawClient.payload(o -> {
                    RawClient.string(o, "fuzz-" + r.nextInt(4));
                    RawClient.json(o, "{\"num_partitions\":1}");
                    RawClient.json(o, "{}");
                })),
                () -> RawClient.frame(Protocol.OPEN_TOPIC, requestId, RawClient.payload(
                        o -> RawClient.string(o, VICTIM))),
                () -> RawClient.frame(Protocol.CLOSE_TOPIC, requestId, RawClient.payload(o -> o.writeInt(h + 1000))),
                () -> RawClient.frame(Protocol.LIST_TOPICS, requestId, new byte[0]),
                () -> RawClient.frame(Protocol.TOPIC_EXISTS, requestId, RawClient.payload(
                        o -> RawClient.string(o, VICTIM))),
                () -> RawClient.frame(Protocol.DELETE_TOPIC, requestId, RawClient.payload(
                        o -> RawClient.string(o, "fuzz-" + r.nextInt(4)))),
                () -> RawClient.frame(Protocol.BOUNDS, requestId, RawClient.payload(o -> {
                    o.writeInt(h);
                    o.writeInt(p);
                })),
                () -> RawClient.frame(Protocol.ID_FOR_TIME, requestId, RawClient.payload(o -> {
                    o.writeInt(h);
                    o.writeInt(p);
                    o.writeLong(System.currentTimeMillis() / 1000 - r.nextInt(100));
                    o.writeInt(r.nextInt(1_000_000_000));
                })),
                () -> RawClient.frame(Protocol.READ, requestId, RawClient.payload(o -> {
                    o.writeInt(h);
                    o.writeInt(p);
                    o.writeLong(r.nextInt(20));
                    o.writeInt(1 + r.nextInt(50));
                    o.writeLong(1 + r.nextInt(1 << 20));
                })),
                () -> RawClient.frame(Protocol.READ_DATA, requestId, readDataPayload(h, new long[][] {
                    {p, r.nextInt(20), DATA_SIZE, r.nextInt(DATA_SIZE / 2), r.nextInt(DATA_SIZE / 2)}})),
                () -> RawClient.frame(Protocol.COMMITTED, requestId, RawClient.payload(o -> {
                    o.writeInt(h);
                    RawClient.string(o, consumer);
                })),
                () -> RawClient.frame(Protocol.COMMIT, requestId, RawClient.payload(o -> {
                    o.writeInt(h);
                    RawClient.string(o, consumer);
                    o.writeInt(1);
                    o.writeInt(p);
                    o.writeLong(r.nextInt(10));
                })),
                () -> RawClient.frame(Protocol.LEASE, requestId, RawClient.payload(o -> {
                    o.writeInt(h);
                    RawClient.string(o, consumer);
                    o.writeInt(p);
                })),
                () -> RawClient.frame(Protocol.RELEASE, requestId, RawClient.payload(o -> o.writeLong(r.nextInt(5)))),
                () -> RawClient.frame(Protocol.CONSUMER_NAMES, requestId, RawClient.payload(o -> o.writeInt(h))),
                () -> {
                    int n = 1 + r.nextInt(4);
                    byte[][] md = new byte[n][];
                    byte[][] data = new byte[n][];
                    for (int i = 0; i < n; i++) {
                        md[i] = ("{\"fuzz\":" + i + "}").getBytes(StandardCharsets.UTF_8);
                        data[i] = new byte[r.nextInt(3) == 0 ? 0 : DATA_SIZE];
                        r.nextBytes(data[i]);
                    }
                    return RawClient.frame(Protocol.APPEND, requestId, appendPayload(h, r.nextInt(3), p, md, data));
                },
                () -> RawClient.frame(Protocol.CLOSE_APPENDER, requestId, RawClient.payload(o -> {
                    o.writeInt(h);
                    o.writeInt(r.nextInt(3));
                })));
        return frames.get(r.nextInt(frames.size())).get();
    }

    private static final int[] HOSTILE_COUNTS = {0, 1, -1, Integer.MAX_VALUE, Integer.MIN_VALUE, Protocol.MAX_COUNT,
        Protocol.MAX_COUNT + 1, Protocol.MAX_RANGES + 1, 65_535, 65_536};

    /**
     * @return {@code frame} (length field included) with one mutation: byte flips, a truncation, trailing bytes, a
     *     hostile count or size at some offset, or another type. The length field is kept true to the bytes sent
     *     (lengths are the subject of other tests), so that every mutated frame is answered or refused.
     */
    private static byte[] mutate(Random r, byte[] frame) {
        byte[] f = frame.clone();
        int body = f.length - 4 - Protocol.HEADER;
        switch (r.nextInt(5)) {
            case 0: // flips, anywhere after the length
                for (int i = 1 + r.nextInt(4); i > 0; i--) {
                    f[4 + r.nextInt(f.length - 4)] ^= (byte) (1 << r.nextInt(8));
                }
                break;
            case 1: // truncated payload
                f = Arrays.copyOf(f, 4 + Protocol.HEADER + (body == 0 ? 0 : r.nextInt(body)));
                break;
            case 2: // trailing bytes
                f = Arrays.copyOf(f, f.length + 1 + r.nextInt(16));
                break;
            case 3: // a hostile count or size over a 4-byte field of the payload
                if (body >= 4) {
                    int at = 4 + Protocol.HEADER + r.nextInt(body - 3);
                    ByteBuffer.wrap(f).putInt(at, HOSTILE_COUNTS[r.nextInt(HOSTILE_COUNTS.length)]);
                }
                break;
            default: // another type, known or not
                f[4] = (byte) (r.nextBoolean() ? 1 + r.nextInt(20) : r.nextInt(256));
                break;
        }
        ByteBuffer.wrap(f).putInt(0, f.length - 4);
        return f;
    }
}
