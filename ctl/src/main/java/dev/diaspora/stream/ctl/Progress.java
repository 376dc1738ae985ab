package dev.diaspora.stream.ctl;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * A one-line progress counter on stderr for long runs ({@code export}, {@code import}, {@code forward}): events and
 * bytes so far, of the total when it is known, and the rate, redrawn in place ({@code \r}) at most once per
 * {@link #INTERVAL_NANOS}. It draws only when the process has a terminal ({@link System#console()} is not null); in
 * pipes, files and tests it prints nothing, so scripts and logs see no control characters.
 *
 * <p>Thread safety: {@link #add} may be called from any number of threads (forward's workers share one); drawing is
 * serialised and skipped, not waited for, while another thread draws.
 */
final class Progress implements AutoCloseable {
    /** At most one redraw per this many nanoseconds. */
    static final long INTERVAL_NANOS = 1_000_000_000L;

    private final String what;
    private final PrintStream err;
    private final boolean enabled;
    private final LongSupplier clock;
    private final long total;
    private final long start;
    private final AtomicLong events = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong nextDraw;
    private int drawnWidth;

    /**
     * @param what the command, first on the line ("export")
     * @param err where to draw
     * @param enabled false to draw nothing
     * @param clock nanosecond clock ({@link System#nanoTime})
     * @param total events expected, or a negative number if unknown
     */
    Progress(String what, PrintStream err, boolean enabled, LongSupplier clock, long total) {
        this.what = what;
        this.err = err;
        this.enabled = enabled;
        this.clock = clock;
        this.total = total;
        this.start = clock.getAsLong();
        this.nextDraw = new AtomicLong(start + INTERVAL_NANOS);
    }

    /** @return a counter that draws on the process's stderr when it runs on a terminal, else draws nothing */
    static Progress onTerminal(String what, long total) {
        return new Progress(what, System.err, onTerminal(), System::nanoTime, total);
    }

    /**
     * @return true if the process runs on a terminal: {@link System#console()} exists and, on JDK 22 and later (where
     *     a console exists even when redirected), {@code Console.isTerminal()} says so
     */
    static boolean onTerminal() {
        java.io.Console c = System.console();
        if (c == null) {
            return false;
        }
        try {
            return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(c);
        } catch (ReflectiveOperationException | RuntimeException before22) {
            return true; // JDK 17 to 21: a console exists only on a terminal
        }
    }

    /** Counts {@code n} events of {@code size} bytes in all; redraws if the last draw is a second old. */
    void add(long n, long size) {
        long e = events.addAndGet(n);
        long b = bytes.addAndGet(size);
        if (!enabled) {
            return;
        }
        long now = clock.getAsLong();
        long due = nextDraw.get();
        if (now - due >= 0 && nextDraw.compareAndSet(due, now + INTERVAL_NANOS)) {
            draw(format(what, e, b, now - start, total), false);
        }
    }

    /** @return the events counted so far */
    long events() {
        return events.get();
    }

    /** Ends the line if anything was drawn (with the final figures), so later output starts on a fresh line. */
    @Override
    public void close() {
        if (enabled && drawnWidth > 0) {
            draw(format(what, events.get(), bytes.get(), clock.getAsLong() - start, total), true);
        }
    }

    private synchronized void draw(String line, boolean last) {
        StringBuilder b = new StringBuilder("\r").append(line);
        for (int i = line.length(); i < drawnWidth; i++) {
            b.append(' '); // wipe what is left of a longer previous line
        }
        drawnWidth = line.length();
        if (last) {
            b.append(System.lineSeparator());
        }
        err.print(b);
        err.flush();
    }

    /**
     * @param what the command
     * @param events events so far
     * @param bytes bytes so far (metadata and data)
     * @param elapsedNanos time since the start
     * @param total events expected, negative if unknown
     * @return for example {@code export: 12,000/48,000 events (25%), 3.1 MiB, 4,000 events/s}
     */
    static String format(String what, long events, long bytes, long elapsedNanos, long total) {
        StringBuilder b = new StringBuilder(what).append(": ").append(String.format(Locale.ROOT, "%,d", events));
        if (total >= 0) {
            b.append(String.format(Locale.ROOT, "/%,d events (%d%%)", total,
                    total == 0 ? 100 : Math.min(100, events * 100 / total)));
        } else {
            b.append(events == 1 ? " event" : " events");
        }
        b.append(", ").append(bytes(bytes));
        if (elapsedNanos > 0) {
            b.append(String.format(Locale.ROOT, ", %,d events/s", (long) (events * 1e9 / elapsedNanos)));
        }
        return b.toString();
    }

    /** @return {@code n} bytes in binary units with one decimal: 512 B, 1.5 KiB, 3.0 GiB */
    static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
