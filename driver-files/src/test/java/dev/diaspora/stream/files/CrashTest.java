package dev.diaspora.stream.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataAllocator;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.TopicHandle;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a producer process at random moments (SIGKILL, {@code destroyForcibly}) many times, and after each kill
 * checks that the topic opens, that every event whose push future completed in the child (it printed the id) is
 * readable with exactly its metadata and data, that no damaged event is delivered, and that ids are contiguous.
 *
 * <p>System properties: {@code files.crash.kills} (default 50), {@code files.crash.seed} (default: random, printed).
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
}
