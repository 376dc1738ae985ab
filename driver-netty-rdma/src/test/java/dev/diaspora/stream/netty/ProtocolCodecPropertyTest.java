package dev.diaspora.stream.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.diaspora.stream.EventsLostException;
import dev.diaspora.stream.LostRange;
import dev.diaspora.stream.netty.protocol.Answers;
import dev.diaspora.stream.netty.protocol.ConsumerRequests;
import dev.diaspora.stream.netty.protocol.Handshake;
import dev.diaspora.stream.netty.protocol.PartitionRequests;
import dev.diaspora.stream.netty.protocol.Protocol;
import dev.diaspora.stream.netty.protocol.ReadAnswer;
import dev.diaspora.stream.netty.protocol.Request;
import dev.diaspora.stream.netty.protocol.TopicChangeFrames;
import dev.diaspora.stream.netty.protocol.TopicRequests;
import dev.diaspora.stream.spi.IncomingBatch;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Seeded round-trip properties of the shared codec (package {@code protocol}): every request record decodes to
 * itself after encoding, and so does every answer payload; a truncated payload is a bad frame, and a garbled one
 * either decodes or is a bad frame (or, for a topic name, the engine's "Invalid topic name" refusal, answered
 * without closing the connection), never another exception. APPEND and the topic changes have their own tests
 * ({@code AppendRequestCodecTest}, {@code TopicChangeFramesTest}). Replay a failure with {@code
 * -Dtck.seed=<base seed>}.
 */
class ProtocolCodecPropertyTest {
    private static final long BASE_SEED = Long.getLong("tck.seed", 0xC0DEC_14L);
    private static final int CASES = 400;
    private static final String CHARS = "abcXYZ019._-é漢 \"\\{}";
    private static final String NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";

    /** One payload kind: a random instance, its encoder and its decoder. */
    private record Kind<T>(String name, Function<Random, T> random, java.util.function.BiConsumer<T, ByteBuf> encode,
            Function<ByteBuf, T> decode) {
        ByteBuf encoded(T value) {
            ByteBuf out = Unpooled.buffer();
            encode.accept(value, out);
            return out;
        }
    }

    private static <T extends Request> Kind<Request> request(String name, Function<Random, T> random) {
        return new Kind<>(name, random::apply, Request::encode, null);
    }

    private static List<Kind<Request>> requests() {
        return List.of(
                request("HELLO", r -> new Handshake.Hello(r.nextInt(1 << 16), text(r, 100))),
                request("CREATE_TOPIC", r -> new TopicRequests.CreateTopic(topicName(r), text(r, 300),
                        text(r, 300))),
                request("OPEN_TOPIC", r -> new TopicRequests.OpenTopic(topicName(r))),
                request("CLOSE_TOPIC", r -> new TopicRequests.CloseTopic(r.nextInt())),
                request("SUBSCRIBE", r -> new TopicRequests.Subscribe(r.nextInt())),
                request("LIST_TOPICS", r -> new TopicRequests.ListTopics()),
                request("TOPIC_EXISTS", r -> new TopicRequests.TopicExists(topicName(r))),
                request("DELETE_TOPIC", r -> new TopicRequests.DeleteTopic(topicName(r))),
                request("ALTER_TOPIC", r -> new TopicChangeFrames.AlterTopic(topicName(r), text(r, 200))),
                request("ADD_PARTITIONS", r -> new TopicChangeFrames.AddPartitions(topicName(r),
                        1 + r.nextInt(TopicChangeFrames.MAX_PARTITIONS))),
                request("BOUNDS", r -> new PartitionRequests.Bounds(r.nextInt(), r.nextInt())),
                request("ID_FOR_TIME", r -> new PartitionRequests.IdForTime(r.nextInt(), r.nextInt(), r.nextLong(),
                        r.nextInt(1_000_000_000))),
                request("READ", r -> new PartitionRequests.Read(r.nextInt(), r.nextInt(), r.nextLong() >>> 1,
                        1 + r.nextInt(Protocol.MAX_COUNT), 1 + (r.nextLong() >>> 1))),
                request("READ_INLINE", r -> new PartitionRequests.ReadInline(r.nextInt(), r.nextInt(),
                        r.nextLong() >>> 1, 1 + r.nextInt(Protocol.MAX_COUNT), 1 + (r.nextLong() >>> 1),
                        r.nextInt(Integer.MAX_VALUE))),
                request("READ_DATA", ProtocolCodecPropertyTest::readData),
                request("LOST_RANGES", r -> new PartitionRequests.LostRanges(r.nextInt(), r.nextInt())),
                request("CLOSE_APPENDER", r -> new PartitionRequests.CloseAppender(r.nextInt(), r.nextInt())),
                request("COMMITTED", r -> new ConsumerRequests.Committed(r.nextInt(), text(r, 50))),
                request("COMMIT", r -> new ConsumerRequests.Commit(r.nextInt(), text(r, 50), positions(r))),
                request("LEASE", r -> new ConsumerRequests.Lease(r.nextInt(), text(r, 50), r.nextInt())),
                request("RELEASE", r -> new ConsumerRequests.Release(r.nextLong())),
                request("CONSUMER_NAMES", r -> new ConsumerRequests.ConsumerNames(r.nextInt())),
                request("JOIN", r -> new ConsumerRequests.Join(r.nextInt(), consumer(r),
                        1 + r.nextInt((int) ConsumerRequests.MAX_SESSION_TIMEOUT_MS))),
                request("HEARTBEAT", r -> new ConsumerRequests.Heartbeat(ascii(r, ConsumerRequests.MAX_MEMBER_ID))),
                request("LEAVE", r -> new ConsumerRequests.Leave(ascii(r, ConsumerRequests.MAX_MEMBER_ID))),
                request("MEMBERS", r -> new ConsumerRequests.Members(r.nextInt(), consumer(r))));
    }

    private static List<Kind<?>> answers() {
        return List.of(
                new Kind<>("HELLO answer", r -> new Handshake.HelloAnswer(r.nextInt(1 << 16), text(r, 40),
                        r.nextInt()), Handshake.HelloAnswer::encode, Handshake.HelloAnswer::decode),
                new Kind<>("OPEN_TOPIC answer", r -> {
                    int n = r.nextInt(40);
                    return new Answers.OpenTopicAnswer(r.nextInt(), text(r, 200), longs(r, n), longs(r, n));
                }, Answers.OpenTopicAnswer::encode, Answers.OpenTopicAnswer::decode),
                new Kind<>("LIST_TOPICS answer", r -> {
                    Map<String, String> m = new LinkedHashMap<>();
                    for (int i = r.nextInt(20); i > 0; i--) {
                        m.put(topicName(r), text(r, 100));
                    }
                    return new Answers.TopicList(m);
                }, Answers.TopicList::encode, Answers.TopicList::decode),
                new Kind<>("flag", r -> new Answers.Flag(r.nextBoolean()), Answers.Flag::encode,
                        Answers.Flag::decode),
                new Kind<>("BOUNDS answer", r -> new Answers.BoundsAnswer(r.nextLong(), r.nextLong()),
                        Answers.BoundsAnswer::encode, Answers.BoundsAnswer::decode),
                new Kind<>("long", r -> new Answers.LongValue(r.nextLong()), Answers.LongValue::encode,
                        Answers.LongValue::decode),
                new Kind<>("COMMITTED answer", r -> new Answers.Positions(positions(r)), Answers.Positions::encode,
                        Answers.Positions::decode),
                new Kind<>("names", r -> {
                    List<String> names = new ArrayList<>();
                    for (int i = r.nextInt(30); i > 0; i--) {
                        names.add(text(r, 60));
                    }
                    return new Answers.Names(names);
                }, Answers.Names::encode, b -> Answers.Names.decode(b, Protocol.MAX_COUNT, "names")),
                new Kind<>("LOST_RANGES answer", r -> {
                    List<LostRange> ranges = new ArrayList<>();
                    for (int i = r.nextInt(10); i > 0; i--) {
                        long first = r.nextLong() >>> 2;
                        ranges.add(new LostRange(first, first + r.nextInt(1000), text(r, 80)));
                    }
                    return new Answers.LostRangeList(ranges);
                }, Answers.LostRangeList::encode, Answers.LostRangeList::decode),
                new Kind<>("text", r -> new Answers.Text(text(r, 64)), Answers.Text::encode,
                        b -> Answers.Text.decode(b, "member id")),
                new Kind<>("NOTIFY", r -> new Answers.Notify(r.nextInt(), longs(r, r.nextInt(50))),
                        Answers.Notify::encode, Answers.Notify::decode),
                new Kind<>("ERROR", r -> new Answers.ErrorAnswer((byte) r.nextInt(15), text(r, 200)),
                        Answers.ErrorAnswer::encode, Answers.ErrorAnswer::decode),
                new Kind<>("ADD_PARTITIONS answer", r -> new TopicChangeFrames.PartitionCount(
                        r.nextInt(TopicChangeFrames.MAX_PARTITIONS + 1)), TopicChangeFrames.PartitionCount::encode,
                        TopicChangeFrames.PartitionCount::decode));
    }

    @Test
    void everyRequestDecodesToWhatWasEncoded() {
        for (Kind<Request> k : requests()) {
            SeededCases.forEachCase(BASE_SEED, "round trip of " + k.name(), CASES, r -> {
                Request req = k.random().apply(r);
                ByteBuf frame = k.encoded(req);
                assertEquals(k.name(), Protocol.typeName(req.type()));
                assertEquals(req, Request.decode(req.type(), frame));
                assertEquals(0, frame.readableBytes(), "the whole payload is read");
            });
        }
    }

    @Test
    void everyAnswerDecodesToWhatWasEncoded() {
        for (Kind<?> k : answers()) {
            roundTrip(k);
        }
    }

    private static <T> void roundTrip(Kind<T> k) {
        SeededCases.forEachCase(BASE_SEED, "round trip of " + k.name(), CASES, r -> {
            T value = k.random().apply(r);
            assertEquals(value, k.decode().apply(k.encoded(value)));
        });
    }

    @Test
    void readAnswersDecodeToWhatWasEncoded() {
        SeededCases.forEachCase(BASE_SEED, "round trip of READ answer", CASES, r -> {
            ReadAnswer sent = readAnswer(r);
            ByteBuf frame = Unpooled.buffer();
            sent.encode(frame);
            if (sent.batch() == null || sent.batch().error() == null) {
                assertTrue(frame.readableBytes() <= sent.encodedSize(), "the size the server allocates for");
            }
            ReadAnswer got = ReadAnswer.decode(frame, 3, "s");
            assertEquals(sent.end(), got.end());
            if (sent.batch() == null) {
                assertNull(got.batch());
                return;
            }
            IncomingBatch a = sent.batch();
            IncomingBatch b = got.batch();
            assertEquals(a.firstId(), b.firstId());
            assertEquals(a.count(), b.count());
            for (int i = 0; i < a.count(); i++) {
                assertEquals(a.metadata(i), b.metadata(i), "metadata of event " + i);
                assertEquals(a.timestampNanos(i), b.timestampNanos(i));
                assertEquals(a.dataSize(i), b.dataSize(i));
                assertEquals(a.location(i), b.location(i));
            }
            if (a.error() == null) {
                assertNull(b.error());
            } else {
                EventsLostException lost = (EventsLostException) b.error();
                assertEquals(((EventsLostException) a.error()).firstLostId(), lost.firstLostId());
                assertEquals(((EventsLostException) a.error()).lastLostId(), lost.lastLostId());
            }
        });
    }

    @Test
    void truncatedPayloadsAreBadFrames() {
        for (Kind<Request> k : requests()) {
            SeededCases.forEachCase(BASE_SEED, "truncated " + k.name(), CASES / 4, r -> {
                Request req = k.random().apply(r);
                ByteBuf whole = k.encoded(req);
                if (whole.readableBytes() == 0) {
                    return; // LIST_TOPICS: nothing to cut
                }
                ByteBuf cut = whole.slice(0, r.nextInt(whole.readableBytes()));
                expectBadFrame(k.name(), () -> Request.decode(req.type(), cut));
            });
        }
        for (Kind<?> k : answers()) {
            truncated(k);
        }
        SeededCases.forEachCase(BASE_SEED, "truncated READ answer", CASES / 4, r -> {
            ByteBuf whole = Unpooled.buffer();
            readAnswer(r).encode(whole);
            ByteBuf cut = whole.slice(0, r.nextInt(whole.readableBytes()));
            expectBadFrame("READ answer", () -> ReadAnswer.decode(cut, 0, "s"));
        });
    }

    private static <T> void truncated(Kind<T> k) {
        SeededCases.forEachCase(BASE_SEED, "truncated " + k.name(), CASES / 4, r -> {
            ByteBuf whole = k.encoded(k.random().apply(r));
            ByteBuf cut = whole.slice(0, r.nextInt(whole.readableBytes()));
            expectBadFrame(k.name(), () -> k.decode().apply(cut));
        });
    }

    @Test
    void trailingBytesAfterARequestAreBadFrames() {
        for (Kind<Request> k : requests()) {
            SeededCases.forEachCase(BASE_SEED, "extended " + k.name(), CASES / 8, r -> {
                Request req = k.random().apply(r);
                ByteBuf longer = Unpooled.wrappedBuffer(k.encoded(req), Unpooled.wrappedBuffer(
                        new byte[1 + r.nextInt(8)]));
                expectBadFrame(k.name(), () -> Request.decode(req.type(), longer));
            });
        }
    }

    @Test
    void garbledPayloadsDecodeOrAreBadFrames() {
        for (Kind<Request> k : requests()) {
            SeededCases.forEachCase(BASE_SEED, "garbled " + k.name(), CASES, r -> {
                Request req = k.random().apply(r);
                ByteBuf frame = garble(r, k.encoded(req));
                decodeOrRefuse(k.name(), () -> Request.decode(req.type(), frame));
            });
        }
        for (Kind<?> k : answers()) {
            garbled(k);
        }
        SeededCases.forEachCase(BASE_SEED, "garbled READ answer", CASES, r -> {
            ByteBuf frame = Unpooled.buffer();
            readAnswer(r).encode(frame);
            ByteBuf bad = garble(r, frame);
            decodeOrRefuse("READ answer", () -> ReadAnswer.decode(bad, 0, "s"));
        });
        SeededCases.forEachCase(BASE_SEED, "random bytes as any request", CASES, r -> {
            byte[] junk = new byte[r.nextInt(64)];
            r.nextBytes(junk);
            int type = 1 + r.nextInt(Protocol.SUBSCRIBE);
            if (type != Protocol.APPEND) {
                decodeOrRefuse(Protocol.typeName(type), () -> Request.decode(type, Unpooled.wrappedBuffer(junk)));
            }
        });
    }

    private static <T> void garbled(Kind<T> k) {
        SeededCases.forEachCase(BASE_SEED, "garbled " + k.name(), CASES, r -> {
            ByteBuf frame = garble(r, k.encoded(k.random().apply(r)));
            decodeOrRefuse(k.name(), () -> k.decode().apply(frame));
        });
    }

    // ------------------------------------------------------------------ helpers

    private static ByteBuf garble(Random r, ByteBuf frame) {
        if (frame.readableBytes() == 0) {
            return frame;
        }
        for (int i = 1 + r.nextInt(4); i > 0; i--) {
            int at = r.nextInt(frame.readableBytes());
            frame.setByte(at, r.nextBoolean() ? r.nextInt(256) : 0xFF);
        }
        return frame;
    }

    private static void expectBadFrame(String what, Runnable decode) {
        try {
            decode.run();
            fail(what + ": a short or extended payload was decoded");
        } catch (Protocol.BadFrameException expected) {
            // the server answers E_BAD_FRAME and closes the connection; a client drops the connection
        }
    }

    private static void decodeOrRefuse(String what, Runnable decode) {
        try {
            decode.run();
        } catch (Protocol.BadFrameException expected) {
            // refused as a bad frame
        } catch (IllegalArgumentException e) {
            assertTrue(String.valueOf(e.getMessage()).startsWith("Invalid topic name"), what + ": " + e);
        } catch (RuntimeException | OutOfMemoryError e) {
            fail(what + ": a garbled payload gave " + e + " instead of a bad frame", e);
        }
    }

    private static ReadAnswer readAnswer(Random r) {
        long end = r.nextLong() >>> 1;
        if (r.nextInt(5) == 0) {
            return new ReadAnswer(end, null);
        }
        int n = r.nextInt(20);
        int[] offsets = new int[n + 1];
        for (int i = 0; i < n; i++) {
            offsets[i + 1] = offsets[i] + r.nextInt(40);
        }
        byte[] md = new byte[offsets[n]];
        r.nextBytes(md);
        long first = r.nextLong() >>> 2;
        EventsLostException error = r.nextInt(4) == 0 ? new EventsLostException(3, first + n, first + n + 5,
                "gone") : null;
        if (n == 0 && error == null) {
            return new ReadAnswer(end, null);
        }
        return new ReadAnswer(end, new IncomingBatch(3, first, n, ByteBuffer.wrap(md), offsets, longs(r, n),
                longs(r, n), longs(r, n), null, error));
    }

    private static PartitionRequests.ReadData readData(Random r) {
        List<PartitionRequests.ReadData.Item> items = new ArrayList<>();
        for (int i = r.nextInt(10); i > 0; i--) {
            items.add(new PartitionRequests.ReadData.Item(r.nextInt(), r.nextLong(), r.nextLong() >>> 1,
                    longs(r, 2 * r.nextInt(5))));
        }
        return new PartitionRequests.ReadData(r.nextInt(), items);
    }

    private static Map<Integer, Long> positions(Random r) {
        Map<Integer, Long> m = new LinkedHashMap<>();
        for (int i = r.nextInt(20); i > 0; i--) {
            m.put(r.nextInt(1000), r.nextLong() >>> 1);
        }
        return m;
    }

    private static long[] longs(Random r, int n) {
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            out[i] = r.nextLong();
        }
        return out;
    }

    private static String text(Random r, int max) {
        StringBuilder b = new StringBuilder();
        for (int i = r.nextInt(max + 1); i > 0; i--) {
            b.append(CHARS.charAt(r.nextInt(CHARS.length())));
        }
        return b.toString();
    }

    private static String ascii(Random r, int max) {
        StringBuilder b = new StringBuilder();
        for (int i = r.nextInt(max + 1); i > 0; i--) {
            b.append((char) ('a' + r.nextInt(26)));
        }
        return b.toString();
    }

    private static String consumer(Random r) {
        return "c" + ascii(r, ConsumerRequests.MAX_CONSUMER_NAME - 1);
    }

    private static String topicName(Random r) {
        StringBuilder b = new StringBuilder().append((char) ('a' + r.nextInt(26)));
        for (int i = r.nextInt(60); i > 0; i--) {
            b.append(NAME_CHARS.charAt(r.nextInt(NAME_CHARS.length())));
        }
        return b.toString();
    }
}
