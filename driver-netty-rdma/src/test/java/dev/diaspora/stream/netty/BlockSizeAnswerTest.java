package dev.diaspora.stream.netty;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

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
import dev.diaspora.stream.netty.protocol.PartitionRequests;
import dev.diaspora.stream.netty.protocol.Protocol;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * READ_DATA "blocks" answers carry the checksum block of the event's segment (protocol version 4): the files format
 * keeps 64 KiB blocks in segments of its version 1 and 4 KiB blocks in version 2, and a server may hold both. A client
 * of protocol version 3 or older, which assumes 64 KiB blocks, gets blocks only from version 1 segments and copies of
 * the rest. The version 1 segments are written through the files engine's test seam (set by reflection here).
 */
@Timeout(120)
class BlockSizeAnswerTest {
    private static final long SEED = Long.getLong("netty.seed", System.nanoTime());

    @TempDir
    Path root;

    @AfterEach
    void restore() throws ReflectiveOperationException {
        segmentVersion(2);
    }

    /** Sets the format version of the segments the files engine creates in this JVM (its test seam). */
    private static void segmentVersion(int v) throws ReflectiveOperationException {
        Field f = Class.forName("dev.diaspora.stream.files.storage.FileHeaderDescriptor")
                .getDeclaredField("segmentVersion");
        f.setAccessible(true);
        f.setInt(null, v);
    }

    private static byte[] content(int i, int size) {
        byte[] b = new byte[size];
        new Random(SEED + i).nextBytes(b);
        return b;
    }

    private static void produce(Driver driver, String topic, int... sizes) {
        driver.createTopic(topic, Metadata.of("{\"num_partitions\":1}"));
        try (TopicHandle t = driver.openTopic(topic); Producer p = t.producer()) {
            for (int i = 0; i < sizes.length; i++) {
                p.push(Metadata.of("{\"i\":" + i + "}"), DataView.of(content(i, sizes[i])));
            }
            p.flush().join();
        }
    }

    /** Consumes {@code topic}'s events with {@code selector} and checks their bytes. */
    private static void consume(Driver driver, String topic, DataSelector selector, int... sizes) {
        try (TopicHandle t = driver.openTopic(topic);
                Consumer c = t.consumer(ConsumerOptions.named("check").dataSelector(selector))) {
            for (int i = 0; i < sizes.length; i++) {
                Event e = c.poll(Duration.ofSeconds(20)).orElseThrow(() -> new AssertionError("missing"));
                byte[] all = content(i, sizes[i]);
                byte[] want = ZeroCopyDataTest.selected(selector.select(e.metadata(), DataDescriptor.of(0, all.length)),
                        all);
                assertArrayEquals(want, e.data().toByteArray(), "seed " + SEED + " " + topic + " event " + i);
            }
        }
    }

    @Test
    void shouldServeSegmentsOfBothFormatVersionsWithTheirOwnBlocks() throws Exception {
        int[] sizes = {64 << 10, 1 << 20};
        DataSelector selector = (md, d) -> d.size() == 1 << 20 ? d.makeSubView(1000, 64 << 10) : d;
        try (Servers servers = Servers.start(root, 1);
                Driver driver = Driver.open("netty", servers.driverOptions())) {
            segmentVersion(1);
            produce(driver, "old", sizes);
            segmentVersion(2);
            produce(driver, "new", sizes);
            PartitionServer s = servers.first();
            consume(driver, "old", selector, sizes);
            // 64 KiB blocks: the whole event is one block; [1000, 66536) widens to two (128 KiB): copied
            assertEquals(64 << 10, s.zeroCopyBytes(), "the whole 64 KiB event of the version 1 segment");
            assertEquals(64 << 10, s.copiedBytes(), "the straddling selection of the version 1 segment");
            consume(driver, "new", selector, sizes);
            // 4 KiB blocks: [1000, 66536) widens to [0, 69632)
            assertEquals((64 << 10) + (64 << 10) + 69_632, s.zeroCopyBytes(), "both events of the version 2 segment");
            assertEquals(64 << 10, s.copiedBytes(), "nothing more copied");
        }
    }

    @Test
    void aVersion3ClientShouldGetBlocksOnlyOfSixtyFourKiB() throws Exception {
        try (Servers servers = Servers.start(root, 1);
                Driver driver = Driver.open("netty", servers.driverOptions())) {
            segmentVersion(1);
            produce(driver, "old", 64 << 10);
            segmentVersion(2);
            produce(driver, "new", 64 << 10);
            try (RawClient v3 = RawClient.authenticated(servers.first().port(), "", 3)) {
                byte[] data = content(0, 64 << 10);
                byte[] old = readWhole(v3, v3.openOrCreate("old", 1));
                assertEquals(Protocol.DATA_BLOCKS, old[0], "a version 1 segment's block is the wire's 64 KiB");
                ByteBuffer a = ByteBuffer.wrap(old);
                a.get();
                assertEquals(1, a.getInt(), "one span");
                assertEquals(0, a.getLong());
                assertEquals(64 << 10, a.getLong());
                java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
                crc.update(data);
                assertEquals((int) crc.getValue(), a.getInt(), "the CRC of the one 64 KiB block");
                assertArrayEquals(data, Arrays.copyOfRange(old, a.position(), old.length));
                byte[] fresh = readWhole(v3, v3.openOrCreate("new", 1));
                assertEquals(Protocol.DATA_SELECTED, fresh[0], "4 KiB blocks are copied for a version 3 client");
                assertArrayEquals(data, Arrays.copyOfRange(fresh, 1, fresh.length));
            }
        }
    }

    /** @return the payload of the READ_DATA answer for the whole event 0 (64 KiB) of partition 0 of {@code handle} */
    private static byte[] readWhole(RawClient c, int handle) {
        ByteBuf req = new PartitionRequests.ReadData(handle, List.of(new PartitionRequests.ReadData.Item(0, 0,
                64 << 10, new long[] {0, 64 << 10}))).encode(ByteBufAllocator.DEFAULT);
        try {
            RawClient.Frame f = c.request(Protocol.READ_DATA, ByteBufUtil.getBytes(req));
            assertEquals(Protocol.OK, f.type(), f::toString);
            return f.payload();
        } finally {
            req.release();
        }
    }
}
