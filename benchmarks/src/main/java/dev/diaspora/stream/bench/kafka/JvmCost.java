package dev.diaspora.stream.bench.kafka;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * CPU time and heap allocation of every live thread of this JVM, summed ({@code com.sun.management.ThreadMXBean}), so
 * a phase's cost per event can be printed next to its rate, with the CPU time split by thread (threads whose names
 * differ only in a trailing number are counted together). Threads that end during the phase are not counted; the
 * producers' threads (the caller, Kafka's sender, the driver's completion and admin threads) live through it. The
 * JVM's own threads (GC, JIT) are not Java threads and are not counted.
 *
 * <p>Thread safety: immutable snapshots; {@link #now} may be called from any thread.
 */
record JvmCost(long cpuNanos, long allocatedBytes, Map<String, Long> cpuByThread) {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    /** Threads listed by {@link #perEvent}, the busiest first. */
    private static final int LISTED_THREADS = 6;

    /** @return the sums over the live threads now */
    static JvmCost now() {
        long[] ids = THREADS.getAllThreadIds();
        long[] cpus = THREADS.getThreadCpuTime(ids);
        Map<String, Long> byThread = new HashMap<>();
        long cpu = 0;
        for (int i = 0; i < ids.length; i++) {
            long t = Math.max(0, cpus[i]);
            cpu += t;
            java.lang.management.ThreadInfo info = THREADS.getThreadInfo(ids[i]);
            if (info != null && t > 0) {
                byThread.merge(info.getThreadName().replaceAll("-\\d+$", "-N"), t, Long::sum);
            }
        }
        long alloc = 0;
        for (long b : THREADS.getThreadAllocatedBytes(ids)) {
            alloc += Math.max(0, b);
        }
        return new JvmCost(cpu, alloc, byThread);
    }

    /** @return a comment line with the cost per event since {@code start}, and one with the busiest threads' share */
    static String perEvent(String what, JvmCost start, long events) {
        JvmCost end = now();
        List<Map.Entry<String, Long>> threads = new ArrayList<>();
        for (Map.Entry<String, Long> e : end.cpuByThread.entrySet()) {
            long spent = e.getValue() - start.cpuByThread.getOrDefault(e.getKey(), 0L);
            if (spent > 0) {
                threads.add(Map.entry(e.getKey(), spent));
            }
        }
        threads.sort(Map.Entry.<String, Long>comparingByValue().reversed());
        StringBuilder split = new StringBuilder();
        for (int i = 0; i < Math.min(LISTED_THREADS, threads.size()); i++) {
            split.append(i == 0 ? "" : ", ").append(threads.get(i).getKey()).append(' ')
                    .append(String.format(Locale.ROOT, "%.2f", threads.get(i).getValue() / 1e3 / events));
        }
        return String.format(Locale.ROOT, "#   %s: %.0f B allocated, %.2f us CPU per event (all threads of this JVM)%n"
                + "#   %s CPU per event by thread (us): %s", what,
                (end.allocatedBytes - start.allocatedBytes) / (double) events,
                (end.cpuNanos - start.cpuNanos) / 1e3 / events, what, split);
    }
}
