package dev.diaspora.stream.bench.kafka;

import java.lang.management.ManagementFactory;
import java.util.Locale;

/**
 * CPU time and heap allocation of every live thread of this JVM, summed ({@code com.sun.management.ThreadMXBean}), so
 * a phase's cost per event can be printed next to its rate. Threads that end during the phase are not counted; the
 * producers' threads (the caller, Kafka's sender, the driver's completion and admin threads) live through it.
 *
 * <p>Thread safety: immutable snapshots; {@link #now} may be called from any thread.
 */
record JvmCost(long cpuNanos, long allocatedBytes) {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** @return the sums over the live threads now */
    static JvmCost now() {
        long[] ids = THREADS.getAllThreadIds();
        long cpu = 0;
        for (long t : THREADS.getThreadCpuTime(ids)) {
            cpu += Math.max(0, t);
        }
        long alloc = 0;
        for (long b : THREADS.getThreadAllocatedBytes(ids)) {
            alloc += Math.max(0, b);
        }
        return new JvmCost(cpu, alloc);
    }

    /** @return a comment line with the cost per event since {@code start} */
    static String perEvent(String what, JvmCost start, long events) {
        JvmCost end = now();
        return String.format(Locale.ROOT, "#   %s: %.0f B allocated, %.2f us CPU per event (all threads of this JVM)",
                what, (end.allocatedBytes - start.allocatedBytes) / (double) events,
                (end.cpuNanos - start.cpuNanos) / 1e3 / events);
    }
}
