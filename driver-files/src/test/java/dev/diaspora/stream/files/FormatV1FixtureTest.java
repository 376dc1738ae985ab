package dev.diaspora.stream.files;

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
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A topic the previous release wrote in files format version 1 ({@code src/test/resources/files-format-v1}, see its
 * README.md) reads with this release, whole and in parts; appending to it continues in a version 2 segment, and the
 * events read across the boundary.
 */
@Timeout(60)
class FormatV1FixtureTest {
    private static final int[] SIZES = {0, 10, 65_537};

    @TempDir
    Path root;

    /** Data of event e of the fixture (and of the events this test appends): byte j is j * 31 + e * 7 + j / 256. */
    private static byte[] data(int e, int size) {
        byte[] b = new byte[size];
        for (int j = 0; j < size; j++) {
            b[j] = (byte) (j * 31 + e * 7 + (j >>> 8));
        }
        return b;
    }

    private static Path fixture() throws URISyntaxException {
        return Path.of(FormatV1FixtureTest.class.getResource("/files-format-v1/README.md").toURI()).getParent();
    }

    /** A whole view for event i % 2 == 0, else a sub-view across the first block boundary where the data allows. */
    private static DataDescriptor select(int i, DataDescriptor d) {
        if (i % 2 == 0 || d.size() < 70_000) {
            return d.size() > 20 && i % 2 == 1 ? d.makeSubView(7, d.size() - 9) : d;
        }
        return d.makeSubView(65_000, 2_000);
    }

    private void readAll(Driver driver, List<Integer> sizes, String name) {
        DataSelector sel = (md, d) -> select(md.json().get("i").asInt(), d);
        try (TopicHandle t = driver.openTopic("v1");
                Consumer c = t.consumer(ConsumerOptions.named(name).dataSelector(sel))) {
            for (int k = 0; k < sizes.size(); k++) {
                Event e = c.poll(Duration.ofSeconds(10)).orElseThrow(() -> new AssertionError("missing event"));
                int i = e.metadata().json().get("i").asInt();
                assertEquals(k, i, "events in order");
                byte[] all = data(i, sizes.get(i));
                DataDescriptor s = select(i, DataDescriptor.of(0, all.length));
                byte[] want = new byte[(int) s.size()];
                int[] at = {0};
                s.flatten((off, size) -> {
                    System.arraycopy(all, (int) off, want, at[0], (int) size);
                    at[0] += (int) size;
                });
                assertArrayEquals(want, e.data().toByteArray(), "data of event " + i);
            }
        }
    }

    @Test
    void aTopicOfTheVersionOneFormatShouldReadAndContinueInVersionTwo() throws Exception {
        PowerCut.copyTree(fixture(), root);
        Files.delete(root.resolve("README.md"));
        Path partition = root.resolve("v1/partitions/00000000");
        List<Integer> sizes = new java.util.ArrayList<>(List.of(0, 10, 65_537));
        try (Driver driver = Driver.open("files", Metadata.of("{\"root_path\":\"" + root + "\"}"))) {
            readAll(driver, sizes, "before");
            try (TopicHandle t = driver.openTopic("v1"); Producer p = t.producer()) {
                for (int size : new int[] {70_000, 5, 200_000}) {
                    int i = sizes.size();
                    sizes.add(size);
                    p.push(Metadata.of("{\"i\":" + i + "}"), DataView.of(data(i, size)));
                }
                p.flush().join();
            }
            readAll(driver, sizes, "after");
        }
        List<Path> indexes;
        try (Stream<Path> s = Files.list(partition)) {
            indexes = s.filter(f -> f.toString().endsWith(".index")).sorted().toList();
        }
        assertEquals(List.of(partition.resolve("00000000000000000000.index"),
                partition.resolve("00000000000000000003.index")), indexes, "a new segment after the version 1 one");
        assertEquals(1, header(indexes.get(0), 8), "the version 1 segment keeps its version");
        assertEquals(65_536, header(indexes.get(0), 24));
        assertEquals(2, header(indexes.get(1), 8));
        assertEquals(4096, header(indexes.get(1), 24));
        assertTrue(Files.size(partition.resolve("00000000000000000000.meta")) == 97,
                "nothing was appended to the version 1 segment");
    }

    private static int header(Path f, int at) throws IOException {
        ByteBuffer h = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel ch = FileChannel.open(f)) {
            ch.read(h, 0);
        }
        return h.getInt(at);
    }
}
