package dev.diaspora.stream.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.DiasporaException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server's deduplication state of one partition ({@link ProducerTable}, {@link ProducerJournal}), driven the way
 * {@link PartitionAppends} drives them, against a model log: seeded random producers send batches, retry recent ones,
 * retries arrive late and interleaved with other producers' batches, and the server crashes (between an intent and
 * its append, after an append before its answer, or in the middle of writing an intent) and rebuilds its state from
 * the file. Every batch must be stored once, and every answer to a batch must be the id it got when stored.
 */
class ProducerStateTest {
    @TempDir
    Path dir;

    @Test
    void shouldStoreEveryBatchOnceThroughRandomRetriesReordersAndCrashes() throws IOException {
        long base = Long.getLong("diaspora.test.seed", System.nanoTime());
        for (int round = 0; round < 40; round++) {
            long seed = base + round;
            try {
                run(seed, dir.resolve("r" + round));
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError("failed with seed " + seed + " (replay: -Ddiaspora.test.seed=" + seed
                        + " runs it first): " + e.getMessage(), e);
            }
        }
    }

    private static void run(long seed, Path file) throws IOException {
        SplittableRandom r = new SplittableRandom(seed);
        int producers = 1 + r.nextInt(5);
        long[] pids = new long[producers];
        long[] nextSeq = new long[producers];
        for (int w = 0; w < producers; w++) {
            pids[w] = r.nextLong();
            nextSeq[w] = r.nextInt(3); // a producer's first sequence need not be 0
        }
        long[] clock = {1_000};
        long[] pending = new long[producers]; // the batch a producer waits for (the client sends one at a time)
        java.util.Arrays.fill(pending, -1);
        Server s = new Server(file, 0, clock);
        Map<String, Long> storedAt = new HashMap<>(); // "w/seq" -> first id
        Map<String, Integer> counts = new HashMap<>();
        List<int[]> network = new ArrayList<>(); // {w, seq} sent, not yet handled
        int steps = 200 + r.nextInt(400);
        for (int step = 0; step < steps; step++) {
            clock[0] += r.nextInt(50);
            int op = r.nextInt(10);
            int w = r.nextInt(producers);
            if (op < 3 && pending[w] < 0) { // a producer's next batch, once the previous one was answered
                long seq = nextSeq[w]++;
                counts.put(w + "/" + seq, 1 + r.nextInt(5));
                pending[w] = seq;
                network.add(new int[] {w, (int) seq});
            } else if (op < 5) { // a retry (lost connection), or a late copy from a dead connection
                long seq = r.nextInt(3) == 0 || pending[w] < 0 ? nextSeq[w] - 1 - r.nextInt(ProducerTable.WINDOW)
                        : pending[w];
                if (counts.containsKey(w + "/" + seq)) {
                    network.add(r.nextInt(network.size() + 1), new int[] {w, (int) seq});
                }
            } else if (op < 9 && !network.isEmpty()) { // the server handles one, not always the oldest
                int[] b = network.remove(r.nextInt(Math.min(network.size(), 3)));
                String key = b[0] + "/" + b[1];
                long first;
                try {
                    first = s.append(pids[b[0]], b[1], counts.get(key), r.nextInt(20) == 0);
                } catch (DiasporaException e) {
                    // refused as older than the window: only a late copy of a batch stored and answered already,
                    // which the client no longer waits for, may be (README, "Exactly-once appends")
                    assertTrue(storedAt.containsKey(key) && pending[b[0]] != b[1], "batch " + key + ": " + e);
                    continue;
                }
                if (first == CRASHED_BEFORE_APPEND) {
                    s = new Server(file, s.end, clock);
                    continue;
                }
                Long before = storedAt.putIfAbsent(key, first);
                if (before != null) {
                    assertEquals(before.longValue(), first, "batch " + key + " answered with another id");
                }
                if (pending[b[0]] == b[1] && r.nextInt(4) != 0) { // else the answer is lost: it is retried
                    pending[b[0]] = -1;
                }
            } else { // the server crashes; sometimes in the middle of writing a record
                s.journal.close();
                if (r.nextBoolean() && Files.size(file) > 0) {
                    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                        ch.position(ch.size()).write(java.nio.ByteBuffer.wrap(new byte[1 + r.nextInt(47)]));
                    }
                }
                s = new Server(file, s.end, clock);
            }
        }
        s.journal.close();
        long total = counts.entrySet().stream().filter(e -> storedAt.containsKey(e.getKey()))
                .mapToLong(Map.Entry::getValue).sum();
        assertEquals(total, s.appendedEvents, "events appended = events of distinct batches answered (no batch twice)");
        assertEquals(storedAt.size(), s.appendedBatches, "batches appended once each");
    }

    private static final long CRASHED_BEFORE_APPEND = -2;

    /** A model of PartitionAppends over a log that is just its end. */
    private static final class Server {
        final ProducerTable table = new ProducerTable(PartitionAppends.MAX_PRODUCERS, PartitionAppends.EXPIRY_MILLIS);
        final ProducerJournal journal;
        final long[] clock;
        long end;
        static long appendedEvents;
        static long appendedBatches;

        Server(Path file, long end, long[] clock) {
            this.end = end;
            this.clock = clock;
            if (end == 0) {
                appendedEvents = 0;
                appendedBatches = 0;
            }
            this.journal = ProducerJournal.open(file, end, table);
        }

        /** @return the batch's first id, or CRASHED_BEFORE_APPEND if the server died between intent and append */
        long append(long pid, long seq, int count, boolean crashAfterIntent) {
            long first = table.lookup(pid, seq, count, clock[0]);
            if (first >= 0) {
                return first;
            }
            journal.compactIfLarge(table);
            journal.intent(pid, seq, count, end, clock[0]);
            if (crashAfterIntent) {
                journal.close();
                return CRASHED_BEFORE_APPEND;
            }
            first = end;
            end += count;
            appendedEvents += count;
            appendedBatches++;
            table.stored(new ProducerTable.Stored(pid, seq, first, count, clock[0]));
            return first;
        }
    }

    @Test
    void shouldAnswerARetryOfAStoredBatchWithItsIds() {
        ProducerTable t = new ProducerTable(10, 1000);
        assertEquals(-1, t.lookup(7, 0, 3, 0));
        t.stored(new ProducerTable.Stored(7, 0, 100, 3, 0));
        assertEquals(100, t.lookup(7, 0, 3, 1));
        assertEquals(-1, t.lookup(7, 1, 3, 1));
        DiasporaException other = assertThrows(DiasporaException.class, () -> t.lookup(7, 0, 4, 1));
        assertFalse(other.isRetriable());
        assertTrue(other.getMessage().contains("same batch"), other.getMessage());
    }

    @Test
    void shouldRefuseARetryOlderThanTheWindow() {
        ProducerTable t = new ProducerTable(10, 1000);
        for (int s = 0; s <= ProducerTable.WINDOW; s++) {
            t.stored(new ProducerTable.Stored(7, s, s * 10L, 1, 0));
        }
        DiasporaException e = assertThrows(DiasporaException.class, () -> t.lookup(7, 0, 1, 0));
        assertTrue(e.getMessage().contains("older than the last"), e.getMessage());
        assertEquals(10, t.lookup(7, 1, 1, 0));
    }

    @Test
    void shouldForgetProducersPastTheirCountOrSilence() {
        ProducerTable t = new ProducerTable(2, 1000);
        t.stored(new ProducerTable.Stored(1, 0, 0, 1, 0));
        t.stored(new ProducerTable.Stored(2, 0, 1, 1, 10));
        t.stored(new ProducerTable.Stored(3, 0, 2, 1, 20)); // the third: producer 1, least recent, goes
        assertEquals(2, t.size());
        assertEquals(-1, t.lookup(1, 0, 1, 30));
        assertEquals(1, t.lookup(2, 0, 1, 30));
        assertEquals(-1, t.lookup(3, 0, 1, 20 + 1001)); // silent for more than the expiry
    }

    @Test
    void shouldRebuildAnIntentAsStoredOnlyIfTheLogMovedPastIt(@TempDir Path d) {
        Path f = d.resolve("p");
        ProducerJournal j = ProducerJournal.open(f, 0, new ProducerTable(10, 1000));
        j.intent(5, 0, 3, 0, 0); // stored: the next intent starts at 3
        j.intent(5, 1, 2, 3, 0); // failed: the next intent starts at 3 too
        j.intent(5, 2, 4, 3, 0); // the last: stored if the log ends at 7 or more at open
        j.close();
        ProducerTable stored = new ProducerTable(10, 1000);
        ProducerJournal.open(f, 7, stored).close();
        assertEquals(0, stored.lookup(5, 0, 3, 0));
        assertEquals(-1, stored.lookup(5, 1, 2, 0));
        assertEquals(3, stored.lookup(5, 2, 4, 0));
        ProducerTable crashed = new ProducerTable(10, 1000);
        ProducerJournal.open(f, 3, crashed).close(); // the last append never happened
        assertEquals(-1, crashed.lookup(5, 2, 4, 0));
    }
}
