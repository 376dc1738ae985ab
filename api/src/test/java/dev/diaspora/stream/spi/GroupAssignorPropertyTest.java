package dev.diaspora.stream.spi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Seeded property test of {@link GroupAssignor}: every partition to exactly one member, shares of floor or ceil of
 * P/M, the same result whatever the order of the member list, and few moves on a join or a leave. The seed is printed
 * on failure; replay with {@code -Dgroups.seed=<seed>}.
 */
class GroupAssignorPropertyTest {
    private static final long SEED = Long.getLong("groups.seed", System.nanoTime());
    private static final int CASES = 2000;

    private static List<String> ids(SplittableRandom r, int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(Long.toHexString(r.nextLong()) + "-" + i);
        }
        return out;
    }

    private static void checkBalanced(Map<String, int[]> a, int p, int m, String ctx) {
        int[] count = new int[p];
        for (int[] share : a.values()) {
            assertTrue(share.length == p / m || share.length == (p + m - 1) / m, ctx + ": share of " + share.length);
            for (int q : share) {
                count[q]++;
            }
        }
        for (int q = 0; q < p; q++) {
            assertEquals(1, count[q], ctx + ": partition " + q + " assigned " + count[q] + " times");
        }
        assertEquals(m, a.size(), ctx + ": members");
    }

    private static int moves(Map<String, int[]> before, Map<String, int[]> after, int p) {
        String[] ob = new String[p];
        String[] oa = new String[p];
        before.forEach((k, v) -> {
            for (int q : v) {
                ob[q] = k;
            }
        });
        after.forEach((k, v) -> {
            for (int q : v) {
                oa[q] = k;
            }
        });
        int n = 0;
        for (int q = 0; q < p; q++) {
            if (!oa[q].equals(ob[q])) {
                n++;
            }
        }
        return n;
    }

    @Test
    void assignmentsAreBalancedDeterministicAndMoveFewPartitions() {
        SplittableRandom r = new SplittableRandom(SEED);
        long movedOnJoin = 0;
        long minimalOnJoin = 0;
        long movedOnLeave = 0;
        long minimalOnLeave = 0;
        for (int c = 0; c < CASES; c++) {
            String ctx = "seed " + SEED + " (-Dgroups.seed=" + SEED + "), case " + c;
            int p = 1 + r.nextInt(64);
            int m = 1 + r.nextInt(10);
            List<String> members = ids(r, m);
            Map<String, int[]> a = GroupAssignor.assign(members, p);
            checkBalanced(a, p, m, ctx);
            List<String> shuffled = new ArrayList<>(members);
            Collections.shuffle(shuffled, new Random(r.nextLong()));
            Map<String, int[]> b = GroupAssignor.assign(shuffled, p);
            for (String id : members) {
                assertArrayEquals(a.get(id), b.get(id), ctx + ": order of the member list changed " + id + "'s share");
            }
            // a join: the newcomer's share must move at least; count what moves besides
            List<String> joined = new ArrayList<>(members);
            joined.add(ids(r, 1).get(0) + "-new");
            Map<String, int[]> j = GroupAssignor.assign(joined, p);
            checkBalanced(j, p, m + 1, ctx + " (join)");
            movedOnJoin += moves(a, j, p);
            minimalOnJoin += p / (m + 1);
            if (m > 1) {
                List<String> left = new ArrayList<>(members);
                String gone = left.remove(r.nextInt(m));
                Map<String, int[]> l = GroupAssignor.assign(left, p);
                checkBalanced(l, p, m - 1, ctx + " (leave)");
                movedOnLeave += moves(a, l, p);
                minimalOnLeave += a.get(gone).length;
            }
        }
        double join = (double) movedOnJoin / minimalOnJoin;
        double leave = (double) movedOnLeave / minimalOnLeave;
        System.out.printf("GroupAssignorPropertyTest: groups.seed=%d, %d cases: partitions moved / minimal moves: join"
                + " %.2f, leave %.2f%n", SEED, CASES, join, leave);
        assertTrue(join < 2.0 && leave < 2.0, "seed " + SEED + ": too many moves: join " + join + ", leave " + leave);
    }
}
