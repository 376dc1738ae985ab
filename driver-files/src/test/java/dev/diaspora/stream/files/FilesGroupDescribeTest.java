package dev.diaspora.stream.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerGroup;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.TopicHandle;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code describeGroup} on the files driver (issue 12): the members' {@code <id>.held} files (FORMAT.md 8.4) match
 * their assignments; a member without one (written by an older version) is listed with its partitions unknown; and
 * the file's encoding rejects torn and damaged contents instead of misreading them.
 */
class FilesGroupDescribeTest {
    @TempDir
    Path root;

    private static ConsumerOptions member() {
        return ConsumerOptions.named("d").sessionTimeout(Duration.ofSeconds(2));
    }

    @Test
    @Timeout(60)
    void describeMatchesTheAssignmentsAndToleratesMembersWithoutAHeldFile() throws Exception {
        try (Driver d = Driver.open("files", Metadata.of("{\"root_path\":\"" + root + "\"}"))) {
            d.createTopic("t", Metadata.of("{\"num_partitions\":5}"));
            TopicHandle t = d.openTopic("t");
            assertEquals(List.of(), t.describeGroup("d").orElseThrow().members(), "no group directory yet");
            try (Consumer a = t.consumer(member()); Consumer b = t.consumer(member())) {
                long deadline = System.nanoTime() + 10_000_000_000L;
                ConsumerGroup g = t.describeGroup("d").orElseThrow();
                while (!(a.assignment().size() + b.assignment().size() == 5 && g.members().size() == 2
                        && shares(g).equals(Set.of(a.assignment(), b.assignment())))) {
                    if (System.nanoTime() - deadline > 0) {
                        fail("describe does not match the assignments " + a.assignment() + " " + b.assignment()
                                + ": " + g);
                    }
                    Thread.sleep(20);
                    g = t.describeGroup("d").orElseThrow();
                }
                for (int p = 0; p < 5; p++) {
                    assertTrue(g.holderOf(p).isPresent(), "partition " + p + ": " + g);
                }
                Path dir = root.resolve("t/consumers/d.group");
                String older = g.members().get(0).id();
                Files.delete(dir.resolve(older + HeldFile.SUFFIX)); // as a member of an older version has none
                ConsumerGroup mixed = t.describeGroup("d").orElseThrow();
                assertEquals(2, mixed.members().size(), mixed.toString());
                ConsumerGroup.Member m = mixed.members().stream().filter(x -> x.id().equals(older)).findFirst()
                        .orElseThrow();
                assertFalse(m.partitionsKnown(), mixed.toString());
                assertNull(m.partitions());
            }
            assertEquals(List.of(), t.describeGroup("d").orElseThrow().members(), "both left");
        }
    }

    private static Set<Set<Integer>> shares(ConsumerGroup g) {
        Set<Set<Integer>> out = new HashSet<>();
        for (ConsumerGroup.Member m : g.members()) {
            out.add(m.partitions() == null ? Set.of(-1) : new TreeSet<>(m.partitions()));
        }
        return out;
    }

    /**
     * Seeded: random partition lists round-trip; every strict prefix of an encoding (a short read) and every single
     * flipped bit is rejected; a shorter list written over a longer one before the truncate still reads as the
     * shorter list.
     */
    @Test
    void heldFileEncodingRejectsTornAndDamagedContents() {
        long seed = System.nanoTime();
        Random r = new Random(seed);
        for (int round = 0; round < 200; round++) {
            List<Integer> list = randomList(r);
            ByteBuffer enc = HeldFile.encode(list);
            byte[] bytes = new byte[enc.remaining()];
            enc.get(bytes);
            assertEquals(list, HeldFile.decode(ByteBuffer.wrap(bytes)), "seed " + seed);
            for (int n = 0; n < bytes.length; n++) {
                assertNull(HeldFile.decode(ByteBuffer.wrap(bytes, 0, n).slice()), "prefix " + n + ", seed " + seed);
            }
            byte[] flipped = bytes.clone();
            int bit = r.nextInt(bytes.length * 8);
            flipped[bit / 8] ^= (byte) (1 << (bit % 8));
            List<Integer> misread = HeldFile.decode(ByteBuffer.wrap(flipped));
            assertNull(misread, "bit " + bit + " flipped was read as " + misread + ", seed " + seed);
            List<Integer> shorter = list.isEmpty() ? List.of() : list.subList(0, r.nextInt(list.size()));
            ByteBuffer s = HeldFile.encode(shorter);
            byte[] over = bytes.clone();
            s.get(over, 0, s.remaining()); // written in place, not yet truncated
            assertEquals(shorter, HeldFile.decode(ByteBuffer.wrap(over)), "seed " + seed);
        }
    }

    private static List<Integer> randomList(Random r) {
        Set<Integer> s = new TreeSet<>();
        int n = r.nextInt(12);
        for (int i = 0; i < n; i++) {
            s.add(r.nextInt(1000));
        }
        return new ArrayList<>(s);
    }
}
