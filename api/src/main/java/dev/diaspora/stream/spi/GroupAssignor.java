package dev.diaspora.stream.spi;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The assignment every member of a consumer group computes from the same list of live members, without talking to
 * the others: balanced (each member gets {@code floor(P/M)} or {@code ceil(P/M)} partitions) and sticky in the
 * rendezvous-hashing way (each (member, partition) pair has a fixed score; a partition goes to the best-scoring member
 * that still has room), so a join or a leave moves few partitions besides those the balance requires.
 *
 * <p>The score is FNV-1a 64 of the member id's UTF-8 bytes mixed with the partition (SplitMix64): the same in every
 * JVM and process. Thread safety: stateless.
 */
public final class GroupAssignor {
    private GroupAssignor() {
    }

    /**
     * @param members the live member ids (any order; duplicates ignored)
     * @param numPartitions the topic's partitions
     * @return member id to its partitions, sorted; every partition exactly once
     */
    public static Map<String, int[]> assign(List<String> members, int numPartitions) {
        String[] ms = new TreeSet<>(members).toArray(new String[0]);
        Map<String, int[]> out = new HashMap<>();
        int m = ms.length;
        if (m == 0) {
            return out;
        }
        int floor = numPartitions / m;
        int ceilSlots = numPartitions % m; // how many members get one more
        long[] idHash = new long[m];
        for (int i = 0; i < m; i++) {
            idHash[i] = fnv(ms[i]);
        }
        int n = numPartitions * m;
        long[] keys = new long[n];
        long[] scores = new long[n];
        Integer[] order = new Integer[n];
        for (int p = 0; p < numPartitions; p++) {
            for (int i = 0; i < m; i++) {
                int k = p * m + i;
                scores[k] = mix(idHash[i] ^ mix(p + 0x9E3779B97F4A7C15L));
                order[k] = k;
            }
        }
        // best score first; ties (astronomically rare) broken by member then partition: total and deterministic
        Arrays.sort(order, (a, b) -> scores[a] != scores[b] ? Long.compare(scores[b], scores[a]) : Integer.compare(a, b));
        int[] owner = new int[numPartitions];
        Arrays.fill(owner, -1);
        int[] load = new int[m];
        int ceilUsed = 0;
        int left = numPartitions;
        for (int idx = 0; idx < n && left > 0; idx++) {
            int k = order[idx];
            int p = k / m;
            int i = k % m;
            if (owner[p] >= 0) {
                continue;
            }
            if (load[i] < floor) {
                load[i]++;
            } else if (load[i] == floor && ceilUsed < ceilSlots) {
                load[i]++;
                ceilUsed++;
            } else {
                continue;
            }
            owner[p] = i;
            left--;
        }
        List<List<Integer>> per = new ArrayList<>();
        for (int i = 0; i < m; i++) {
            per.add(new ArrayList<>());
        }
        for (int p = 0; p < numPartitions; p++) {
            per.get(owner[p]).add(p);
        }
        for (int i = 0; i < m; i++) {
            out.put(ms[i], per.get(i).stream().mapToInt(Integer::intValue).toArray());
        }
        return out;
    }

    private static long fnv(String s) {
        long h = 0xcbf29ce484222325L;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xFF;
            h *= 0x100000001b3L;
        }
        return h;
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
