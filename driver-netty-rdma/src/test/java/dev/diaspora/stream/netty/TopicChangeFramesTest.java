package dev.diaspora.stream.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diaspora.stream.netty.protocol.Protocol;
import dev.diaspora.stream.netty.protocol.TopicChangeFrames;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded round-trip properties of the topic-change frames ({@link TopicChangeFrames}) and of the placement rule they
 * rely on ({@link Placement}): what one side encodes the other decodes to the same record, a truncated or extended
 * frame or an out-of-range count is refused as a bad frame, never misread; the partition count derived from what the
 * servers hold is the count they were grown to, and never counts a partition whose server does not hold it yet.
 * Replay a failure with {@code -Dtck.seed=<base seed>}.
 */
class TopicChangeFramesTest {
    @TempDir
    Path dir;
    private static final long BASE_SEED = Long.getLong("tck.seed", 0x70C1CL);
    private static final int CASES = 300;
    private static final String NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";

    @Test
    void shouldDecodeWhatItEncodes() {
        forEachCase("round trip", r -> {
            TopicChangeFrames.AlterTopic alter = new TopicChangeFrames.AlterTopic(name(r), options(r));
            assertEquals(alter, roundTrip(alter.encode(ByteBufAllocator.DEFAULT),
                    TopicChangeFrames.AlterTopic::decode));
            TopicChangeFrames.AddPartitions add = new TopicChangeFrames.AddPartitions(name(r),
                    1 + r.nextInt(TopicChangeFrames.MAX_PARTITIONS));
            assertEquals(add, roundTrip(add.encode(ByteBufAllocator.DEFAULT), TopicChangeFrames.AddPartitions::decode));
            TopicChangeFrames.PartitionCount count = new TopicChangeFrames.PartitionCount(
                    r.nextInt(TopicChangeFrames.MAX_PARTITIONS + 1));
            assertEquals(count, roundTrip(Protocol.encode(ByteBufAllocator.DEFAULT, count::encode),
                    TopicChangeFrames.PartitionCount::decode));
        });
    }

    @Test
    void shouldRefuseTruncatedOrExtendedFramesAndBadCounts() {
        forEachCase("mutations", r -> {
            int which = r.nextInt(3);
            ByteBuf frame = which == 0
                    ? new TopicChangeFrames.AlterTopic(name(r), options(r)).encode(ByteBufAllocator.DEFAULT)
                    : which == 1 ? new TopicChangeFrames.AddPartitions(name(r), 1 + r.nextInt(1000))
                            .encode(ByteBufAllocator.DEFAULT)
                    : Protocol.encode(ByteBufAllocator.DEFAULT,
                            new TopicChangeFrames.PartitionCount(r.nextInt(1000))::encode);
            ByteBuf mutated;
            int kind = r.nextInt(3);
            if (kind == 0) { // truncated
                mutated = frame.retainedSlice(0, r.nextInt(frame.readableBytes()));
            } else if (kind == 1) { // trailing bytes
                mutated = Unpooled.wrappedBuffer(frame.retainedDuplicate(),
                        Unpooled.wrappedBuffer(new byte[1 + r.nextInt(8)]));
            } else if (which == 0) { // a JSON length beyond the frame
                mutated = Unpooled.copiedBuffer(frame);
                int at = 2 + mutated.getUnsignedShort(0);
                mutated.setInt(at, mutated.getInt(at) + 1 + r.nextInt(100));
            } else { // a count out of range: 0 or negative for ADD_PARTITIONS, beyond the largest topic for both
                mutated = Unpooled.copiedBuffer(frame);
                int at = mutated.writerIndex() - 4;
                mutated.setInt(at, r.nextBoolean() ? TopicChangeFrames.MAX_PARTITIONS + 1 + r.nextInt(1 << 20)
                        : which == 1 ? -r.nextInt(1000) : -1 - r.nextInt(1000));
            }
            try {
                if (which == 0) {
                    TopicChangeFrames.AlterTopic.decode(mutated);
                } else if (which == 1) {
                    TopicChangeFrames.AddPartitions.decode(mutated);
                } else {
                    TopicChangeFrames.PartitionCount.decode(mutated);
                }
                fail("decoded a mutated frame (" + which + ", " + kind + ")");
            } catch (Protocol.BadFrameException | IndexOutOfBoundsException e) {
                // refused as a bad frame: the server closes the connection
            } finally {
                mutated.release();
                frame.release();
            }
        });
    }

    @Test
    void shouldRefuseATopicNameTheEngineWouldRefuse() {
        ByteBuf frame = new TopicChangeFrames.AddPartitions("../etc", 3).encode(ByteBufAllocator.DEFAULT);
        try {
            assertThrows(RuntimeException.class, () -> TopicChangeFrames.AddPartitions.decode(frame));
        } finally {
            frame.release();
        }
    }

    /**
     * A client is not trusted: the server refuses, with the error kind that says why and the connection kept, an
     * ALTER_TOPIC of an option fixed at creation or unknown, of an unknown topic, and an ADD_PARTITIONS of an unknown
     * topic; a malformed frame closes the connection after ERROR(bad frame). Nothing is changed by a refusal.
     */
    @Test
    void theServerRefusesBadChangesFromAnyClient() throws Exception {
        try (Servers servers = Servers.start(dir, 1); RawClient c = RawClient.authenticated(servers.first().port(),
                "")) {
            c.openOrCreate("victim", 2);
            for (String bad : new String[] {"{\"num_partitions\":9}", "{\"segment_size\":1048576}",
                    "{\"no.such.option\":1}", "{}", "[1]", "not json"}) {
                RawClient.Frame f = c.request(Protocol.ALTER_TOPIC, RawClient.payload(o -> {
                    RawClient.string(o, "victim");
                    RawClient.json(o, bad);
                }));
                assertEquals(Protocol.E_INVALID_OPTION, f.errorKind(), () -> bad + ": " + f);
            }
            RawClient.Frame unknown = c.request(Protocol.ALTER_TOPIC, RawClient.payload(o -> {
                RawClient.string(o, "nope");
                RawClient.json(o, "{\"retention.ms\":1000}");
            }));
            assertEquals(Protocol.E_TOPIC_NOT_FOUND, unknown.errorKind(), unknown::toString);
            RawClient.Frame unknownAdd = c.request(Protocol.ADD_PARTITIONS, RawClient.payload(o -> {
                RawClient.string(o, "nope");
                o.writeInt(3);
            }));
            assertEquals(Protocol.E_TOPIC_NOT_FOUND, unknownAdd.errorKind(), unknownAdd::toString);
            assertEquals(2, servers.first().storage().describeTopic("victim").json().get("num_partitions").asInt(),
                    "refused changes change nothing");
            RawClient.Frame ok = c.request(Protocol.ALTER_TOPIC, RawClient.payload(o -> {
                RawClient.string(o, "victim");
                RawClient.json(o, "{\"retention.ms\":5000}");
            }));
            assertEquals(Protocol.OK, ok.type(), ok::toString);
            assertEquals(5000, servers.first().storage().describeTopic("victim").json().get("retention.ms").asInt());
            c.send(RawClient.frame(Protocol.ADD_PARTITIONS, 99, RawClient.payload(o -> {
                RawClient.string(o, "victim");
                o.writeShort(3); // half a count
            })));
            assertEquals(1, c.expectBadFrameAndClose(), "one ERROR(bad frame), then the connection is closed");
        }
    }

    /**
     * The ring rule: the placement a client creates maps partition p to server p mod S at its p div S local index;
     * the count derived from the servers' shares is the count they were grown to; a server that has not added its
     * share yet holds the count below its next partition.
     */
    @Test
    void shouldDeriveTheCountFromWhatTheServersHold() {
        forEachCase("placement", r -> {
            int s = 1 + r.nextInt(6);
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < s; i++) {
                ids.add("server-" + i + "-" + r.nextInt(1000));
            }
            int created = 1 + r.nextInt(20);
            ObjectNode components = JsonNodeFactory.instance.objectNode();
            components.set(NettyBackend.PLACEMENT, Placement.create(ids, created, "id"));
            Placement pl = Placement.of("t", components);
            int ring = Math.min(s, created);
            assertEquals(ids.subList(0, ring), pl.ring(), "the ring: the servers in order of their first partition");
            int grown = created + r.nextInt(50);
            Map<String, Integer> shares = new HashMap<>();
            int[] next = new int[ring];
            for (int p = 0; p < grown; p++) {
                assertEquals(ids.get(p % ring), pl.serverOf(p), "server of partition " + p);
                assertEquals(next[p % ring]++, pl.localOf(p), "local index of partition " + p);
            }
            for (String id : pl.ring()) {
                shares.put(id, pl.localCount(id, grown));
            }
            assertEquals(grown, pl.count(shares), "the count from the shares " + shares);
            String lagging = pl.ring().get(r.nextInt(ring));
            int target = grown + 1 + r.nextInt(20);
            Map<String, Integer> partial = new HashMap<>(shares);
            for (String id : pl.ring()) {
                if (!id.equals(lagging)) {
                    partial.put(id, pl.localCount(id, target));
                }
            }
            int n = pl.count(partial);
            assertTrue(n >= grown && n <= target, "a partial growth counts between the old and the new count: " + n);
            for (int p = 0; p < n; p++) {
                assertTrue(pl.localOf(p) < partial.get(pl.serverOf(p)), "partition " + p + " below the count is held"
                        + " by its server: " + partial);
            }
            assertTrue(n == target || pl.localOf(n) >= partial.get(pl.serverOf(n)), "partition " + n + " (the"
                    + " count) is the first one its server does not hold");
        });
    }

    private static <T> T roundTrip(ByteBuf frame, Function<ByteBuf, T> decode) {
        try {
            T t = decode.apply(frame);
            assertEquals(0, frame.readableBytes(), "the whole frame is consumed");
            return t;
        } finally {
            frame.release();
        }
    }

    private static String name(Random r) {
        StringBuilder b = new StringBuilder().append(NAME_CHARS.charAt(r.nextInt(52)));
        for (int i = r.nextInt(60); i > 0; i--) {
            b.append(NAME_CHARS.charAt(r.nextInt(NAME_CHARS.length())));
        }
        return b.toString();
    }

    private static String options(Random r) {
        StringBuilder b = new StringBuilder("{");
        for (int i = r.nextInt(4); i > 0; i--) {
            b.append('"').append(name(r)).append("\":").append(r.nextLong()).append(i > 1 ? "," : "");
        }
        return b.append('}').toString();
    }

    private static void forEachCase(String property, SeededCases.CaseBody body) {
        SeededCases.forEachCase(BASE_SEED, property, CASES, body);
    }
}
