package dev.diaspora.stream;

/**
 * Ordering of one producer's events within a partition.
 *
 * <p>Thread safety: immutable.
 */
public enum Ordering {
    /** For one producer and one partition, EventIDs follow push order (the order in which push calls return). */
    STRICT,
    /** Events of one partition may be stored in another order than pushed (for example when the pipeline runs in parallel). */
    LOOSE
}
