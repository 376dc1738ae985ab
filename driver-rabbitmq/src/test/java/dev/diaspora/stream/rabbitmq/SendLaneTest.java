package dev.diaspora.stream.rabbitmq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * {@link SendLane} against a plain map model, with seeded random runs: sends registered in increasing order (with
 * gaps, as when a send fails before it is registered), completed in any order (seen, refused, swept), completed twice
 * or never registered; the window of waiting sends grows past the ring's size and moves. Every send completes once with
 * its own id, the waiting list is the model's, and a flush completes exactly when its sends have.
 */
class SendLaneTest {
    private static final long SEED = Long.getLong("diaspora.seed", System.nanoTime());

    @Test
    void theRingBehavesAsAMapOfWaitingSends() {
        Random random = new Random(SEED);
        for (int run = 0; run < 50; run++) {
            String where = "seed " + SEED + " (-Ddiaspora.seed), run " + run;
            Outstanding outstanding = new Outstanding();
            SendLane lane = new SendLane(7, null, outstanding);
            TreeMap<Long, Boolean> model = new TreeMap<>(); // waiting sequence -> confirmed
            Map<Long, Long> completedWith = new HashMap<>();
            long next = random.nextInt(1000);
            int window = 1 + random.nextInt(run % 5 == 0 ? 2000 : 100);
            CompletableFuture<Void> flush = null;
            long flushedBelow = -1;
            for (int op = 0; op < 5000; op++) {
                int what = random.nextInt(10);
                if (what < 4 && model.size() < window) {
                    next += random.nextInt(10) == 0 ? 2 : 1; // a gap now and then
                    long seq = next;
                    lane.add(seq, (id, error) -> {
                        Long before = completedWith.put(seq, id);
                        assertEquals(null, before, where + ": send " + seq + " completed twice");
                    }, outstanding.begin());
                    model.put(seq, false);
                } else if (what < 7 && !model.isEmpty()) {
                    long seq = pick(random, model);
                    assertTrue(lane.complete(seq, seq * 3, null), where + ": send " + seq + " waits");
                    model.remove(seq);
                    assertEquals(seq * 3, completedWith.get(seq), where);
                } else if (what == 7) {
                    long seq = next - random.nextInt(3000);
                    assertEquals(model.containsKey(seq), lane.complete(seq, seq * 3, null), where + ": " + seq);
                    model.remove(seq);
                } else if (what == 8 && !model.isEmpty()) {
                    long seq = pick(random, model);
                    lane.confirmed(seq);
                    model.put(seq, true);
                } else if (flush == null) {
                    flush = outstanding.flush();
                    flushedBelow = next;
                }
                if (flush != null && model.headMap(flushedBelow, true).isEmpty()) {
                    assertTrue(flush.isDone(), where + ": flush after every earlier send completed");
                    flush = null;
                } else if (flush != null) {
                    assertFalse(flush.isDone(), where + ": flush before its sends completed");
                }
            }
            List<SendLane.Waiting> waiting = new ArrayList<>();
            lane.waiting(0, -1, waiting);
            assertEquals(new ArrayList<>(model.keySet()), waiting.stream().map(SendLane.Waiting::sequence).toList(),
                    where + ": waiting sends");
            for (SendLane.Waiting w : waiting) {
                assertEquals(model.get(w.sequence()), w.confirmed(), where + ": confirmed " + w.sequence());
            }
            assertEquals(model.isEmpty(), lane.isEmpty(), where);
        }
    }

    private static long pick(Random random, TreeMap<Long, Boolean> model) {
        long lo = model.firstKey();
        Long k = model.ceilingKey(lo + (long) (random.nextDouble() * (model.lastKey() - lo + 1)));
        return k == null ? model.lastKey() : k;
    }
}
