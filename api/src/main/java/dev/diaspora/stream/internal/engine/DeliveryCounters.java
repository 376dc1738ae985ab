package dev.diaspora.stream.internal.engine;

import dev.diaspora.stream.internal.metrics.LatencyHistogram;

/**
 * A consumer's delivery counters: events and data bytes handed to the application, and how long pulls waited for
 * them. Kept in plain fields under the consumer's lock, which a pull takes anyway to take its event, so that counting
 * costs no atomic update per event; pulls that found their event ready (a wait of 0) reach the histogram in bulk, and
 * {@link #pollLatency()} brings it up to date. Not API.
 *
 * <p>Thread safety: not thread-safe; every method runs under the consumer's lock.
 */
final class DeliveryCounters {
    /** How many ready pulls are added to the histogram at once (a read of {@link #pollLatency()} adds the rest). */
    static final long READY_PULLS_FLUSH = 1024;

    private final LatencyHistogram pollLatency = new LatencyHistogram();
    private long events;
    private long bytes;
    private long readyPulls; // pulls that found their event ready, not yet in the histogram

    /** Counts one event of {@code dataBytes} handed over after a wait of {@code waitedNanos} (0 if it was ready). */
    void counted(long dataBytes, long waitedNanos) {
        events++;
        bytes += dataBytes;
        if (waitedNanos > 0) {
            pollLatency.record(waitedNanos);
        } else if (++readyPulls >= READY_PULLS_FLUSH) {
            flush();
        }
    }

    /**
     * Takes back an event counted by {@link #counted} that its pull did not take (cancelled as it was handed over);
     * the wait it recorded stays in the histogram.
     */
    void uncounted(long dataBytes) {
        events--;
        bytes -= dataBytes;
    }

    /** Counts {@code n} events of {@code dataBytes} in all, each ready when it was taken (the batch poll). */
    void countedReady(int n, long dataBytes) {
        events += n;
        bytes += dataBytes;
        readyPulls += n;
        if (readyPulls >= READY_PULLS_FLUSH) {
            flush();
        }
    }

    long events() {
        return events;
    }

    long bytes() {
        return bytes;
    }

    /**
     * @return the histogram of the pulls' waits, with every pull counted so far; a reference kept by the caller lags
     *     by fewer than {@value #READY_PULLS_FLUSH} ready pulls until the next call
     */
    LatencyHistogram pollLatency() {
        flush();
        return pollLatency;
    }

    private void flush() {
        pollLatency.record(0, readyPulls);
        readyPulls = 0;
    }
}
