package dev.diaspora.stream.internal.engine;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.TopicHandle;
import java.util.Arrays;
import java.util.Set;

/**
 * A consumer's lag: for each partition it holds, the events stored and not yet delivered to the application
 * ({@code bounds(p).next() - position(p)}, at least 0). Read on demand (metrics, JMX), never on the hot path; it asks
 * the driver for each held partition's end, which is a call to the storage for remote drivers. Not API.
 *
 * <p>Thread safety: stateless; safe from any thread, as are the consumer and topic calls it makes.
 */
final class ConsumerLag {
    private ConsumerLag() {
    }

    /**
     * @return the lag of each partition of the topic, indexed by partition; -1 for a partition the consumer does not
     *     hold (or whose end could not be read)
     */
    static long[] perPartition(TopicHandle topic, Consumer consumer) {
        Set<Integer> held = consumer.assignment();
        int n = topic.partitions().size();
        for (int p : held) {
            n = Math.max(n, p + 1);
        }
        long[] lag = new long[n];
        Arrays.fill(lag, -1);
        for (int p : held) {
            try {
                lag[p] = Math.max(0, topic.bounds(p).next() - consumer.position(p));
            } catch (RuntimeException e) {
                // the partition moved to another member, or the consumer or topic closed meanwhile: not held now
            }
        }
        return lag;
    }

    /** @return the sum of the lags of the partitions the consumer holds (0 if it holds none) */
    static long total(TopicHandle topic, Consumer consumer) {
        long sum = 0;
        for (long l : perPartition(topic, consumer)) {
            sum += Math.max(0, l);
        }
        return sum;
    }
}
