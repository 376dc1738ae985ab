package dev.diaspora.stream.bench.programs;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/** Output in the C++ tools' format (options block, results block), plus latency percentiles and a JSON form. */
final class Report {
    private Report() {
    }

    static void print(PrintStream out, boolean json, Map<String, Object> options, double seconds, long events,
            long bytes, Histogram latencyNanos, Map<String, Object> extra) {
        double throughput = events / seconds;
        double mbs = bytes / 1048576.0 / seconds;
        if (json) {
            ObjectMapper om = new ObjectMapper();
            ObjectNode root = om.createObjectNode();
            ObjectNode o = root.putObject("options");
            options.forEach((k, v) -> o.putPOJO(k, v));
            ObjectNode r = root.putObject("results");
            r.put("total_time_s", seconds);
            r.put("total_events", events);
            r.put("throughput_events_per_s", throughput);
            r.put("bytes", bytes);
            r.put("bandwidth_mib_per_s", mbs);
            extra.forEach((k, v) -> r.putPOJO(k, v));
            ObjectNode l = r.putObject("latency_us");
            l.put("count", latencyNanos.getTotalCount());
            for (double p : new double[] {50, 90, 99, 99.9, 100}) {
                l.put(p == 100 ? "max" : "p" + (p == 99.9 ? "99_9" : Integer.toString((int) p)),
                        latencyNanos.getValueAtPercentile(p) / 1000.0);
            }
            out.println(root.toString());
            return;
        }
        out.println("--- Benchmark Options ---");
        options.forEach((k, v) -> out.println(k + ": " + v));
        out.println("--- Benchmark Results ---");
        out.println(String.format(Locale.ROOT, "Total time: %.6f s", seconds));
        out.println("Total events: " + events);
        out.println(String.format(Locale.ROOT, "Throughput: %.1f events/s", throughput));
        out.println(String.format(Locale.ROOT, "Bandwidth: %.3f MB/s", mbs));
        extra.forEach((k, v) -> out.println(k + ": " + v));
        if (latencyNanos.getTotalCount() > 0) {
            out.println(String.format(Locale.ROOT,
                    "Latency (us): p50 %.1f, p90 %.1f, p99 %.1f, p99.9 %.1f, max %.1f (%d samples)",
                    latencyNanos.getValueAtPercentile(50) / 1e3, latencyNanos.getValueAtPercentile(90) / 1e3,
                    latencyNanos.getValueAtPercentile(99) / 1e3, latencyNanos.getValueAtPercentile(99.9) / 1e3,
                    latencyNanos.getMaxValue() / 1e3, latencyNanos.getTotalCount()));
        }
    }

    static Histogram newHistogram() {
        return new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
    }

    /** Prints a progress line to stderr every 2 s once a run has lasted 3 s. */
    static Thread progress(String what, long total, java.util.function.LongSupplier done) {
        Thread t = new Thread(() -> {
            long start = System.nanoTime();
            try {
                Thread.sleep(3000);
                while (!Thread.currentThread().isInterrupted()) {
                    long d = done.getAsLong();
                    double s = (System.nanoTime() - start) / 1e9;
                    System.err.println(String.format(Locale.ROOT, "[%s] %d/%d events (%.0f%%), %.1f s, %.0f events/s",
                            what, d, total, 100.0 * d / Math.max(1, total), s, d / s));
                    Thread.sleep(2000);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "bench-progress");
        t.setDaemon(true);
        t.start();
        return t;
    }
}
