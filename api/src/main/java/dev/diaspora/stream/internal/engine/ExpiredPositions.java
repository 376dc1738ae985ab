package dev.diaspora.stream.internal.engine;

import dev.diaspora.stream.spi.SessionListener;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A consumer's side of positions that retention overtook ({@code ConsumerOptions.onExpiredPosition}): the session
 * listener that logs each case at WARN and counts the ids passed over for {@code ConsumerMetrics.eventsExpired}
 * (under FAIL, the ids between the position and the first retained id, counted when a read fails). Delegates
 * {@link #revoking} to the consumer. Not API.
 *
 * <p>Thread safety: {@link #expired} and {@link #revoking} run on the fetch thread; {@link #count()} from any thread.
 */
final class ExpiredPositions implements SessionListener {
    private static final Logger LOG = LoggerFactory.getLogger(ConsumerImpl.class);

    private final String consumer;
    private final String topic;
    private final Function<Set<Integer>, Map<Integer, Long>> revoking;
    private final LongAdder ids = new LongAdder();

    ExpiredPositions(String consumer, String topic, Function<Set<Integer>, Map<Integer, Long>> revoking) {
        this.consumer = consumer;
        this.topic = topic;
        this.revoking = revoking;
    }

    @Override
    public Map<Integer, Long> revoking(Set<Integer> partitions) {
        return revoking.apply(partitions);
    }

    @Override
    public void expired(int p, long position, long firstRetained, long resumeAt) {
        ids.add(Math.max(0, firstRetained - position));
        if (resumeAt >= 0) {
            LOG.warn("consumer '{}' of topic '{}': partition {}, position {} is no longer retained (retention dropped"
                    + " the events before {}, the first retained id); going on at {} (onExpiredPosition)", consumer,
                    topic, p, position, firstRetained, resumeAt);
        } else {
            LOG.warn("consumer '{}' of topic '{}': partition {}, position {} is no longer retained (retention dropped"
                    + " the events before {}, the first retained id); its pulls fail until a seek (onExpiredPosition"
                    + " FAIL)", consumer, topic, p, position, firstRetained);
        }
    }

    /** @return the ids passed over so far */
    long count() {
        return ids.sum();
    }
}
