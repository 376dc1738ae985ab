package dev.diaspora.stream.internal.engine;

import dev.diaspora.stream.BatchSize;
import dev.diaspora.stream.ConsumerOptions;

/**
 * How many events the fetch thread asks one driver read for. A fixed {@link BatchSize} is used as it is. An adaptive
 * one starts at {@link ConsumerOptions#ADAPTIVE_READ_BATCH} and doubles each time a read comes back full (the
 * partition holds a backlog), up to {@link ConsumerOptions#ADAPTIVE_MAX_READ_BATCH}; it never shrinks, since a larger
 * limit costs a read that finds fewer events nothing. The read size also sets how many events of a partition are read
 * ahead of the application ({@code maxPrefetchBatches} read sizes): with 512 events and 2 batches a consumer of small
 * events from a remote driver held about one network round trip of events, and stalled on every read. A consumer
 * opened with {@code recycleEvents} keeps 512: it asked for a flat heap, and a deeper read-ahead is more pooled events
 * (each new consumer allocates its read-ahead's worth before the first comes back).
 *
 * <p>Thread safety: the fetch thread's alone.
 */
final class ReadSize {
    private final boolean adaptive;
    private int events;

    /** @param recycling whether the consumer recycles its events (its adaptive reads do not grow) */
    ReadSize(BatchSize size, boolean recycling) {
        this.adaptive = size.isAdaptive() && !recycling;
        this.events = initial(size);
    }

    /** @return the events the first read of a consumer with this batch size asks for */
    static int initial(BatchSize size) {
        return size.valueOr(ConsumerOptions.ADAPTIVE_READ_BATCH);
    }

    /** @return the events one read asks for now */
    int events() {
        return events;
    }

    /** @return the most events a read of a consumer with these options will ever ask for */
    static int max(BatchSize size, boolean recycling) {
        return !size.isAdaptive() ? size.valueOr(1)
                : recycling ? ConsumerOptions.ADAPTIVE_READ_BATCH : ConsumerOptions.ADAPTIVE_MAX_READ_BATCH;
    }

    /**
     * A read asked for {@link #events()} and returned {@code count} events.
     *
     * @return true if the read size grew
     */
    boolean afterRead(int count) {
        int n = events;
        if (!adaptive || count < n || n >= ConsumerOptions.ADAPTIVE_MAX_READ_BATCH) {
            return false;
        }
        events = Math.min(2 * n, ConsumerOptions.ADAPTIVE_MAX_READ_BATCH);
        return true;
    }
}
