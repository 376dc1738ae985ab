package dev.diaspora.stream.spi;

import dev.diaspora.stream.ExpiredPositionPolicy;
import dev.diaspora.stream.StartAt;
import java.time.Duration;

/**
 * What a driver needs to open a consumer's read session.
 *
 * <p>Thread safety: immutable.
 *
 * @param consumerName the consumer name (group), already validated: never a path
 * @param targets the explicit partitions, sorted and in range, or null for "all that are free" (or, for drivers with
 *     group protocols, "what the group gives")
 * @param startAt where partitions without a stored position start
 * @param listener the engine's callbacks, for sessions whose assignment can change
 * @param sessionTimeout how long a group member stays live without a heartbeat (positive)
 * @param heartbeatInterval how often a group member heartbeats (positive, below {@code sessionTimeout})
 * @param onExpiredPosition what to do with a position below the first retained id (see {@link LocalReadSession})
 */
public record SessionConfig(String consumerName, int[] targets, StartAt startAt, SessionListener listener,
        Duration sessionTimeout, Duration heartbeatInterval, ExpiredPositionPolicy onExpiredPosition) {
    /** The default session timeout of group members: 10 s. */
    public static final Duration DEFAULT_SESSION_TIMEOUT = Duration.ofSeconds(10);

    /** A config with the default policy for expired positions ({@link ExpiredPositionPolicy#EARLIEST}). */
    public SessionConfig(String consumerName, int[] targets, StartAt startAt, SessionListener listener,
            Duration sessionTimeout, Duration heartbeatInterval) {
        this(consumerName, targets, startAt, listener, sessionTimeout, heartbeatInterval,
                ExpiredPositionPolicy.EARLIEST);
    }

    /** A config with the default group timings. */
    public SessionConfig(String consumerName, int[] targets, StartAt startAt, SessionListener listener) {
        this(consumerName, targets, startAt, listener, DEFAULT_SESSION_TIMEOUT, DEFAULT_SESSION_TIMEOUT.dividedBy(3));
    }

    /** A config whose session never calls back (fixed assignment). */
    public SessionConfig(String consumerName, int[] targets, StartAt startAt) {
        this(consumerName, targets, startAt, SessionListener.NONE);
    }
}
