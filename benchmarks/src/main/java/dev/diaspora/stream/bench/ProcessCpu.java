package dev.diaspora.stream.bench;

import java.lang.management.ManagementFactory;

/**
 * The CPU time of this whole JVM (every thread: the application's, the library's, the clients', JIT and GC), for the
 * benchmark programs' CPU-per-event figures.
 *
 * <p>Thread safety: stateless, thread-safe.
 */
public final class ProcessCpu {
    private ProcessCpu() {
    }

    /** @return the CPU time of this JVM so far in nanoseconds, or -1 if the JVM does not report it */
    public static long nanos() {
        return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                ? os.getProcessCpuTime() : -1;
    }
}
