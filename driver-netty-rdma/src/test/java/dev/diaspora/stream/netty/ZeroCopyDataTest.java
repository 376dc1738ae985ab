package dev.diaspora.stream.netty;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.CorruptDataException;
import dev.diaspora.stream.DataDescriptor;
import dev.diaspora.stream.DataSelector;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.TopicHandle;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Large selections travel zero-copy as whole checksummed blocks straight from the server's data file, small ones as
 * exactly the selected bytes: every shape of selection (whole, unaligned sub-view, strided, empty) must deliver the
 * same bytes either way, and a damaged block must fail its event with a {@link CorruptDataException}, never deliver
 * wrong bytes. Seeded (replay with -Dnetty.seed=...).
 */
@Timeout(120)
class ZeroCopyDataTest {
    private static final long SEED = Long.getLong("netty.seed", System.nanoTime());
    private static final int[] SIZES = {300 << 10, (1 << 20) + 123, 3 << 20, 100 << 10, 0, 256 << 10, 70_000};

    static {
        System.out.println("ZeroCopyDataTest seed " + SEED + " (replay with -Dnetty.seed=" + SEED + ")");
    }

    @TempDir
    Path root;

    private static byte[] content(int i, int size) {
        byte[] b = new byte[size];
        new Random(SEED + i).nextBytes(b);
        return b;
    }

    /** Event i's selection: whole, unaligned sub-view, strided, in turn. */
    private static DataDescriptor select(int i, DataDescriptor d) {
        long n = d.size();
        switch (i % 3) {
            case 0:
                return d;
            case 1:
                return n < 10 ? d : d.makeSubView(n / 7 + 3, n / 2 + 1);
            default:
                return n < 200_000 ? d.makeSubView(0, n / 2) : d.makeStridedView(1000, 3, 70_000, 20_000);
        }
    }

    private static byte[] expected(int i, byte[] all) {
        return selected(select(i, DataDescriptor.of(0, all.length)), all);
    }

    /** @return the bytes of {@code all} that {@code d} selects, in selection order */
    static byte[] selected(DataDescriptor d, byte[] all) {
        byte[] out = new byte[(int) d.size()];
        int[] at = {0};
        d.flatten((off, size) -> {
            System.arraycopy(all, (int) off, out, at[0], (int) size);
            at[0] += (int) size;
        });
        return out;
    }

    @Test
    void shouldDeliverExactlyTheSelectedBytesOnBothPaths() {
        try (Servers servers = Servers.start(root, 2);
                Driver driver = Driver.open("netty", servers.driverOptions())) {
            driver.createTopic("big", Metadata.of("{\"num_partitions\":2}"));
            try (TopicHandle topic = driver.openTopic("big")) {
                int rounds = 3;
                try (Producer p = topic.producer()) {
                    for (int i = 0; i < SIZES.length * rounds; i++) {
                        byte[] b = content(i, SIZES[i % SIZES.length]);
                        ByteBuffer data = i % 2 == 0 ? ByteBuffer.wrap(b) : ByteBuffer.allocateDirect(b.length)
                                .put(b).flip();
                        p.push(Metadata.of("{\"i\":" + i + "}"), DataView.of(data));
                    }
                    p.flush().join();
                }
                DataSelector selector = (md, d) -> select(md.json().get("i").asInt(), d);
                try (Consumer c = topic.consumer(ConsumerOptions.named("check").dataSelector(selector))) {
                    for (int k = 0; k < SIZES.length * rounds; k++) {
                        Event e = c.poll(Duration.ofSeconds(20)).orElseThrow(() -> new AssertionError("missing"));
                        int i = e.metadata().json().get("i").asInt();
                        byte[] want = expected(i, content(i, SIZES[i % SIZES.length]));
                        assertArrayEquals(want, e.data().toByteArray(), "seed " + SEED + " event " + i + " of "
                                + SIZES[i % SIZES.length] + " bytes, selection " + (i % 3));
                    }
                }
                long zeroCopy = servers.list().stream().mapToLong(PartitionServer::zeroCopyBytes).sum();
                long copied = servers.list().stream().mapToLong(PartitionServer::copiedBytes).sum();
                assertTrue(zeroCopy > 5 * (1 << 20), "large selections went zero-copy: " + zeroCopy);
                assertTrue(copied > 100_000, "small selections were read and copied: " + copied);
            }
        }
    }

    /**
     * A whole event of 64 KiB or more leaves the file zero-copy; so does a 64 KiB selection that straddles checksum
     * blocks (4 KiB blocks: widened by less than 8 KiB); a 64 KiB strided selection that uses 1 KiB of each block it
     * touches (four times the bytes once widened) is read and copied.
     */
    @Test
    void shouldSendWholeEventsAndSlightlyWidenedSelectionsZeroCopyButNotHalfUsedBlocks() {
        int[] sizes = {64 << 10, 64 << 10, 100 << 10, 1 << 20, 1 << 20};
        try (Servers servers = Servers.start(root, 1);
                Driver driver = Driver.open("netty", servers.driverOptions())) {
            driver.createTopic("blocks", Metadata.of("{\"num_partitions\":1}"));
            try (TopicHandle topic = driver.openTopic("blocks")) {
                try (Producer p = topic.producer()) {
                    for (int i = 0; i < sizes.length; i++) {
                        p.push(Metadata.of("{\"i\":" + i + "}"), DataView.of(content(i, sizes[i])));
                    }
                    p.flush().join();
                }
                DataSelector selector = (md, d) -> switch (md.json().get("i").asInt()) {
                    case 3 -> d.makeSubView(1000, 64 << 10);
                    case 4 -> d.makeStridedView(1000, 64, 1 << 10, 15 << 10);
                    default -> d;
                };
                try (Consumer c = topic.consumer(ConsumerOptions.named("check").dataSelector(selector))) {
                    for (int i = 0; i < sizes.length; i++) {
                        Event e = c.poll(Duration.ofSeconds(20)).orElseThrow(() -> new AssertionError("missing"));
                        byte[] all = content(i, sizes[i]);
                        DataDescriptor sel = selector.select(e.metadata(), DataDescriptor.of(0, all.length));
                        byte[] want = selected(sel, all);
                        assertArrayEquals(want, e.data().toByteArray(), "seed " + SEED + " event " + i);
                    }
                }
                PartitionServer s = servers.first();
                long straddling = (1000 + (64 << 10) + 4095) / 4096 * 4096; // whole 4 KiB blocks from 0
                assertEquals((64 << 10) * 2 + (100 << 10) + straddling, s.zeroCopyBytes(),
                        "whole events and the straddling selection went zero-copy");
                assertEquals(64 << 10, s.copiedBytes(), "the strided selection was copied");
            }
        }
    }

    @Test
    void shouldFailAnEventWhoseBlockIsDamagedOnDisk() throws IOException {
        try (Servers servers = Servers.start(root, 1);
                Driver driver = Driver.open("netty", servers.driverOptions())) {
            driver.createTopic("damaged", Metadata.of("{\"num_partitions\":1}"));
            int size = 1 << 20;
            try (TopicHandle topic = driver.openTopic("damaged")) {
                try (Producer p = topic.producer()) {
                    for (int i = 0; i < 3; i++) {
                        p.push(Metadata.of("{\"i\":" + i + "}"), DataView.of(content(i, size)));
                    }
                    p.flush().join();
                }
                Path data = dataFile(servers.list().get(0).rootPath());
                long at = 64 + size + 200_000 + new Random(SEED).nextInt(100_000); // inside event 1
                try (RandomAccessFile f = new RandomAccessFile(data.toFile(), "rw")) {
                    f.seek(at);
                    int b = f.read();
                    f.seek(at);
                    f.write(b ^ 0x10);
                }
                try (Consumer c = topic.consumer("check")) {
                    Event first = c.poll(Duration.ofSeconds(20)).orElseThrow();
                    assertEquals(0, first.id());
                    assertArrayEquals(content(0, size), first.data().toByteArray());
                    CorruptDataException x = null;
                    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                    while (x == null && System.nanoTime() < deadline) {
                        try {
                            Event e = c.poll(Duration.ofSeconds(2)).orElse(null);
                            if (e != null) {
                                throw new AssertionError("event " + e.id() + " was delivered instead of failing");
                            }
                        } catch (CorruptDataException e) {
                            x = e;
                        }
                    }
                    assertNotNull(x, "seed " + SEED + ": the damaged event must fail");
                    assertTrue(x.getMessage().contains("checksum") && x.getMessage().contains("event 1"),
                            x.getMessage());
                }
            }
        }
    }

    private static Path dataFile(Path serverRoot) throws IOException {
        try (Stream<Path> s = Files.walk(serverRoot)) {
            List<Path> data = s.filter(p -> p.toString().endsWith(".data")).toList();
            assertEquals(1, data.size(), data.toString());
            return data.get(0);
        }
    }
}
