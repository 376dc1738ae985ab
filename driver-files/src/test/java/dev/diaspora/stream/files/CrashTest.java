package dev.diaspora.stream.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.CorruptDataException;
import dev.diaspora.stream.DataAllocator;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.EventsLostException;
import dev.diaspora.stream.LostRange;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.StartAt;
import dev.diaspora.stream.TopicHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Optional;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a producer process at random moments (SIGKILL, {@code destroyForcibly}) many times, and after each kill
 * checks that the topic opens, that every event whose push future completed in the child (it printed the id) is
 * readable with exactly its metadata and data, that no damaged event is delivered, and that ids are contiguous.
 *
 * <p>Power cuts, in this JVM: a topic copied while its writer is live (or closed cleanly), the tail of one file of
 * it (data, metadata, index, a position file, the id reservation) cut or a bit flipped after the consumers moved past
 * it, with or without a (simulated) machine restart; then new events must get ids after every stored position, the
 * consumers must receive every new event, and no id may hold another event than the one it was given to.
 *
 * <p>System properties: {@code files.crash.kills} (default 50), {@code files.crash.seed} (default: random, printed),
 * {@code files.powercut.rounds} (default 12), {@code files.powercut.seed}.
 */
class CrashTest {
    private static final String TOPIC = "crash";
    private static final int PARTITIONS = 2;

    @TempDir
    Path root;

    private Driver open() {
        return Driver.open("files", Metadata.of("{\"root_path\":\"" + root + "\"}"));
    }

    @Test
    @Timeout(600)
    void shouldKeepEveryCompletedEventWhenTheProducerIsKilledAtRandomMoments() throws Exception {
        int kills = Integer.getInteger("files.crash.kills", 50);
        long seed = Long.getLong("files.crash.seed", System.nanoTime());
        System.out.println("CrashTest: seed " + seed + " (replay with -Dfiles.crash.seed=" + seed + "), " + kills
                + " kills");
        Random random = new Random(seed);
        try (Driver d = open()) {
            d.createTopic(TOPIC, Metadata.of("{\"num_partitions\":" + PARTITIONS + ",\"segment_size\":2097152}"));
        }
        long[] verified = new long[PARTITIONS];
        long[] printed = new long[PARTITIONS];
        long totalPrinted = 0;
        long start = System.nanoTime();
        for (int round = 0; round < kills; round++) {
            ChildProcess child = ChildProcess.start(CrashProducerMain.class, root.toString(), TOPIC);
            try {
                assertTrue(child.awaitLine("READY", 60_000), "round " + round + ": the producer did not start: "
                        + child.errors());
                Thread.sleep(random.nextInt(150));
                child.kill();
            } finally {
                child.close();
            }
            for (String line : child.lines()) {
                if (line.startsWith("MISMATCH") || line.startsWith("ERROR")) {
                    fail("round " + round + ": the producer reported " + line + "\n" + child.errors());
                }
                String[] f = line.split(" ");
                if (f.length == 3 && f[0].equals("OK")) {
                    int p = Integer.parseInt(f[1]);
                    long id = Long.parseLong(f[2]);
                    printed[p] = Math.max(printed[p], id + 1);
                    totalPrinted++;
                }
            }
            if (Boolean.getBoolean("files.crash.verbose")) {
                System.out.println("round " + round + ": printed up to " + java.util.Arrays.toString(printed)
                        + ", lines " + child.lines().size());
            }
            verifyNewEvents(round, verified, printed);
        }
        // Everything once more from the start: nothing that was checked once was cut later.
        long[] all = new long[PARTITIONS];
        verifyRange("final", all, verified, "final-check");
        System.out.println("CrashTest: " + kills + " kills, " + totalPrinted + " completed pushes, events stored "
                + java.util.Arrays.toString(verified) + ", " + (System.nanoTime() - start) / 1_000_000 + " ms");
    }

    /** Reads the events appended since the last check (consumer "checker" resumes at its stored position). */
    private void verifyNewEvents(int round, long[] verified, long[] printed) {
        long[] next = new long[PARTITIONS];
        try (Driver d = open(); TopicHandle t = d.openTopic(TOPIC)) {
            for (int p = 0; p < PARTITIONS; p++) {
                next[p] = t.bounds(p).next();
                assertTrue(next[p] >= printed[p], "round " + round + ": partition " + p + " holds " + next[p]
                        + " events but the producer saw id " + (printed[p] - 1) + " complete");
            }
        }
        long[] from = verified.clone();
        verifyRange("round " + round, from, next, "checker");
        System.arraycopy(next, 0, verified, 0, PARTITIONS);
    }

    /** Consumes [from[p], to[p]) of every partition with consumer {@code name} and checks every event. */
    private void verifyRange(String what, long[] from, long[] to, String name) {
        try (Driver d = open(); TopicHandle t = d.openTopic(TOPIC);
                Consumer c = t.consumer(ConsumerOptions.named(name).dataAllocator(DataAllocator.direct()))) {
            long[] at = from.clone();
            for (int p = 0; p < PARTITIONS; p++) {
                assertEquals(at[p], Math.max(at[p], c.position(p)), what + ": resume position of " + name);
            }
            while (!reached(at, to)) {
                Optional<Event> o = c.poll(Duration.ofSeconds(20));
                assertTrue(o.isPresent(), what + ": no event after " + java.util.Arrays.toString(at) + ", expected up to "
                        + java.util.Arrays.toString(to));
                Event e = o.get();
                int p = e.partition();
                assertEquals(at[p], e.id(), what + ": ids of partition " + p + " must be contiguous");
                Content.check(e, "p" + p, e.id());
                at[p]++;
                e.acknowledge();
            }
        }
    }

    private static boolean reached(long[] at, long[] to) {
        for (int p = 0; p < at.length; p++) {
            if (at[p] < to[p]) {
                return false;
            }
        }
        return true;
    }

    private static final String[] KINDS = {"data", "meta", "index", "pos", "reserved"};

    @Test
    @Timeout(1800)
    void shouldNeverReuseAnIdAConsumerPassedWhenAPowerCutDamagesTheTailOfAnyFile() throws Exception {
        int rounds = Integer.getInteger("files.powercut.rounds", 12);
        long seed = Long.getLong("files.powercut.seed", System.nanoTime());
        System.out.println("CrashTest power cuts: seed " + seed + " (replay with -Dfiles.powercut.seed=" + seed + "), "
                + rounds + " rounds");
        SplittableRandom random = new SplittableRandom(seed);
        int[] byKind = new int[KINDS.length];
        int gaps = 0;
        int refused = 0;
        try {
            for (int round = 0; round < rounds; round++) {
                String kind = KINDS[round % KINDS.length];
                byKind[round % KINDS.length]++;
                int[] outcome = powerCut(round, kind, random.split(), "seed " + seed + " round " + round + " (" + kind
                        + ")");
                gaps += outcome[0];
                refused += outcome[1];
            }
        } finally {
            PowerCut.sameBootAgain();
        }
        System.out.println("CrashTest power cuts: " + rounds + " rounds, by file kind " + java.util.Arrays.toString(
                KINDS) + " " + java.util.Arrays.toString(byKind) + ", " + gaps + " with a lost range, " + refused
                + " position files refused until reset");
    }

    /** @return {1 if ids were skipped, 1 if a damaged position file was refused} */
    private int[] powerCut(int round, String kind, SplittableRandom r, String what) throws Exception {
        Path live = root.resolve("live" + round);
        Path cut = root.resolve("cut" + round);
        boolean snapshot = r.nextBoolean(); // a power cut while the writer is live, or after a clean close
        int n1 = 20 + r.nextInt(300);
        int maxSize = r.nextBoolean() ? 0 : r.nextInt(1, 5000);
        String options = "{\"segment_size\":" + (r.nextBoolean() ? 65536 : 1 << 20) + ",\"durability\":\""
                + (r.nextInt(4) == 0 ? "fsync" : "os") + "\"}";
        long appAt = r.nextInt(n1 / 2, n1 + 1);
        try (Driver d = openAt(live)) {
            d.createTopic("t", Metadata.of(options));
            TopicHandle t = d.openTopic("t");
            try (Producer p = t.producer()) {
                for (int done = 0; done < n1; ) {
                    int k = Math.min(n1 - done, 1 + r.nextInt(60));
                    PowerCut.push(p, "old", done, k, (int) (maxSize == 0 ? 0 : (done * 7919L) % maxSize));
                    done += k;
                }
            }
            readAndCommit(t, "all", n1);
            readAndCommit(t, "app", appAt);
            if (snapshot) {
                PowerCut.copyTree(live.resolve("t"), cut.resolve("t"));
            }
        }
        if (!snapshot) {
            PowerCut.copyTree(live.resolve("t"), cut.resolve("t"));
        }
        Path victim = victim(cut.resolve("t"), kind, r);
        long size = Files.size(victim);
        // the tail, after the header (a damaged header is a clear error, never repaired: CorruptionTest)
        long tailFrom = Math.max(kind.equals("pos") ? 129 : 64, size - (kind.equals("pos") ? 63 : 4096));
        boolean flip = r.nextBoolean();
        if (tailFrom >= size) {
            what += " (nothing after the header to damage)";
        } else if (flip) {
            PowerCut.flipBit(victim, r.nextLong(tailFrom, size), r.nextInt(8));
        } else {
            PowerCut.truncate(victim, r.nextLong(tailFrom, size));
        }
        boolean restart = r.nextBoolean();
        if (restart) {
            PowerCut.restart("boot-" + round);
        } else {
            PowerCut.sameBootAgain();
        }
        what += (snapshot ? " live" : " closed") + (flip ? " flip " : " cut ") + victim.getFileName()
                + (restart ? " restart" : " same boot");
        int n2 = 1 + r.nextInt(100);
        int[] outcome = new int[2];
        try (Driver d = openAt(cut); TopicHandle t = d.openTopic("t")) {
            long[] ids;
            try (Producer p = t.producer()) {
                ids = PowerCut.push(p, "new", 0, n2, 100);
            }
            long first = ids[0];
            assertTrue(first >= n1, what + ": new events got id " + first + " but consumer 'all' had passed " + n1);
            for (int i = 0; i < n2; i++) {
                assertEquals(first + i, ids[i], what + ": new ids are contiguous");
            }
            outcome[0] = first > n1 ? 1 : 0;
            for (LostRange lr : t.lostRanges(0)) {
                assertTrue(lr.last() < first, what + ": " + lr);
            }
            // a flipped bit before the last index write is damage that fails its event (FORMAT.md 11), not a cut
            boolean dataDamage = flip && !kind.equals("pos") && !kind.equals("reserved");
            outcome[1] = checkConsumer(t, "all", n1, first, n2, dataDamage, what);
            outcome[1] += checkConsumer(t, "app", appAt, first, n2, dataDamage, what);
            checkConsumer(t, "fresh", 0, first, n2, dataDamage, what);
        }
        deleteTree(live);
        deleteTree(cut);
        return outcome;
    }

    private static Path victim(Path topic, String kind, SplittableRandom r) throws Exception {
        Path part = topic.resolve("partitions/00000000");
        switch (kind) {
            case "pos":
                return topic.resolve("consumers/" + (r.nextBoolean() ? "all" : "app") + ".pos");
            case "reserved":
                return part.resolve("reserved");
            default:
                try (Stream<Path> files = Files.list(part)) {
                    return files.filter(f -> f.getFileName().toString().endsWith("." + kind))
                            .max(Comparator.comparing(Path::toString)).orElseThrow();
                }
        }
    }

    private static void readAndCommit(TopicHandle t, String name, long count) {
        try (Consumer c = t.consumer(ConsumerOptions.named(name).startAt(StartAt.EARLIEST))) {
            assertEquals(count, PowerCut.drain(c, (int) count).events.size());
            c.commit().join();
        }
    }

    /**
     * Reads with consumer {@code name} (stored position {@code at}; a damaged position file must be refused clearly,
     * then is reset to it) up to the last new event: old ids hold their old events, new ids the new ones, all of them.
     *
     * @return 1 if the position file was refused
     */
    private int checkConsumer(TopicHandle t, String name, long at, long first, int n2, boolean dataDamage,
            String what) {
        int refused = 0;
        Consumer c;
        try {
            c = t.consumer(ConsumerOptions.named(name).startAt(StartAt.EARLIEST));
        } catch (CorruptDataException e) {
            assertTrue(e.getMessage().contains(name + ".pos") && e.getMessage().contains("consumer reset"),
                    what + ": " + e.getMessage());
            t.resetPositions(name, StartAt.id(at)); // what the operator does
            c = t.consumer(ConsumerOptions.named(name).startAt(StartAt.EARLIEST));
            refused = 1;
        }
        try (Consumer k = c) {
            long next = k.position(0);
            assertTrue(next <= at || at == 0, what + ": " + name + " resumes at " + next + ", after its position " + at);
            int fresh = 0;
            while (next < first + n2) {
                try {
                    Optional<Event> o = k.poll(Duration.ofSeconds(5));
                    Event e = o.orElseThrow(() -> new AssertionError(what + ": " + name + " got nothing at "));
                    assertTrue(e.id() >= next, what + ": " + name + " ids go forward");
                    if (e.id() < first) {
                        PowerCut.check(e, "old", e.id(), 0 == e.data().size() ? 0 : (int) e.data().size());
                    } else {
                        PowerCut.check(e, "new", e.id() - first, 100);
                        fresh++;
                    }
                    next = e.id() + 1;
                } catch (EventsLostException e) {
                    assertTrue(e.firstLostId() == next && e.lastLostId() < first, what + ": " + e.getMessage());
                    next = e.lastLostId() + 1;
                    k.seek(0, StartAt.id(next));
                } catch (CorruptDataException e) {
                    assertTrue(dataDamage, what + ": " + name + " at " + next + ": " + e.getMessage());
                    next++;
                    k.seek(0, StartAt.id(next));
                }
            }
            assertEquals(n2, fresh, what + ": " + name + " receives every new event");
        }
        return refused;
    }

    private Driver openAt(Path r) {
        return Driver.open("files", Metadata.of("{\"root_path\":\"" + r + "\"}"));
    }

    private static void deleteTree(Path p) throws Exception {
        try (Stream<Path> all = Files.walk(p)) {
            for (Path f : (Iterable<Path>) all.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(f);
            }
        }
    }
}
