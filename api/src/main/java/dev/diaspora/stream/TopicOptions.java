package dev.diaspora.stream;

/**
 * Names of the topic options every driver accepts, for {@link Driver#createTopic(String, java.util.Map)}. A driver's
 * own options (segment sizes, durability, framing, ...) are named by constants of its provider class, and listed with
 * their documentation by {@link Driver#available()} and {@code diaspora-ctl driver describe}.
 *
 * <p>Thread safety: constants only.
 */
public final class TopicOptions {
    /** The number of partitions, an integer of at least 1 (default 1). */
    public static final String NUM_PARTITIONS = "num_partitions";

    private TopicOptions() {
    }
}
