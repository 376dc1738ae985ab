package dev.diaspora.stream;

/**
 * How many events a producer puts in one batch per partition (or a consumer asks for per driver read).
 *
 * <p>{@link #of(int)}: a partition's open batch is sealed at n events, at the byte cap, or on flush.
 * {@link #adaptive()}: while the partition has a free in-flight slot the open batch is handed over as soon as the
 * sender runs; while all slots are busy, events accumulate (so batches grow under load). A consumer's adaptive reads
 * ask for {@link ConsumerOptions#ADAPTIVE_READ_BATCH} events at first and twice as many after each read that came back
 * full, up to {@link ConsumerOptions#ADAPTIVE_MAX_READ_BATCH}.
 *
 * <p>Thread safety: immutable.
 */
public final class BatchSize {
    private static final BatchSize ADAPTIVE = new BatchSize(-1);

    private final int value;

    private BatchSize(int value) {
        this.value = value;
    }

    /**
     * A fixed batch size.
     *
     * @throws IllegalArgumentException if {@code events} &lt; 1
     */
    public static BatchSize of(int events) {
        if (events < 1) {
            throw new IllegalArgumentException("batch size must be >= 1, got " + events);
        }
        return new BatchSize(events);
    }

    /** The adaptive batch size (the default). */
    public static BatchSize adaptive() {
        return ADAPTIVE;
    }

    /** @return true for {@link #adaptive()} */
    public boolean isAdaptive() {
        return value < 0;
    }

    /** @return the fixed size, or {@code fallback} when adaptive */
    public int valueOr(int fallback) {
        return value < 0 ? fallback : value;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BatchSize && ((BatchSize) o).value == value;
    }

    @Override
    public int hashCode() {
        return value;
    }

    @Override
    public String toString() {
        return isAdaptive() ? "adaptive" : Integer.toString(value);
    }
}
