package dev.diaspora.stream.internal.engine;

import dev.diaspora.stream.BatchSize;
import dev.diaspora.stream.ConsumerOptions;

/**
 * How many events the fetch thread asks one driver read for. A fixed {@link BatchSize} is used as it is. An adaptive
 * one starts at {@link ConsumerOptions#ADAPTIVE_READ_BATCH} and doubles each time a read comes back full (the
 * partition holds a backlog), up to {@link ConsumerOptions#ADAPTIVE_MAX_READ_BATCH}; it never shrinks, since a larger
 * limit costs a read that finds fewer events nothing. The read size also sets how many events of a partition are read
 * ahead of the application ({@code maxPrefetchBatches} read sizes): with 512 events and 2 batches a consumer of small
 * events from a remote driver held about one network round trip of events, and stalled on every read.
 *
 * <p>Thread safety: the fetch thread's; {@link #events()} may be read by others for diagnostics only.
 */
final class ReadSize {
    private final boolean adaptive;
    private volatile int events;

    ReadSize(BatchSize size) {
        this.adaptive = size.isAdaptive();
        this.events = size.valueOr(ConsumerOptions.ADAPTIVE_READ_BATCH);
    }

    /** @return the events one read asks for now */
    int events() {
        return events;
    }

    /** @return the most events a read will ever ask for */
    static int max(BatchSize size) {
        return size.isAdaptive() ? ConsumerOptions.ADAPTIVE_MAX_READ_BATCH : size.valueOr(1);
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
