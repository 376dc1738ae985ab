package dev.diaspora.stream.spi;

import dev.diaspora.stream.ExpiredPositionPolicy;
import dev.diaspora.stream.PartitionBounds;
import dev.diaspora.stream.StartAt;
import java.time.Instant;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;

/**
 * A read session's side of {@link ExpiredPositionPolicy} ({@code ConsumerOptions.onExpiredPosition}): what becomes of
 * a partition's position that lies below the first id the partition retains, because retention dropped the events
 * there. Every read session applies the consumer's policy through this one class, so that the rules are the same on
 * every driver: {@link LocalReadSession} (the log-structured drivers) and drivers with a session of their own (the
 * kafka driver). Each case is reported to the session's {@link SessionListener#expired}, which logs it at WARN and
 * counts it in {@code ConsumerMetrics.eventsExpired}.
 *
 * <ul>
 *   <li>A {@code StartAt} the session starts at or seeks to: {@link #resolve}.</li>
 *   <li>A position the session starts at (a stored position, {@code StartAt.id}) or seeks to: {@link #start}.
 *       EARLIEST goes on at the first retained id, LATEST at the end; FAIL keeps the position, so the read there
 *       fails.</li>
 *   <li>A read that finds its position dropped (retention overtook the reader, or the FAIL case above):
 *       {@link #overtaken}. EARLIEST and LATEST move the position; FAIL (or a retention that keeps overtaking) hands
 *       the failure to the engine, which fails pulls of the partition with a
 *       {@link dev.diaspora.stream.PositionExpiredException} until the consumer seeks.</li>
 * </ul>
 *
 * <p>Thread safety: confined to the session's fetch thread, like the listener it calls.
 */
public final class ExpiredPositionRule {
    /** How many times in a row a read may find its position dropped before it fails, whatever the policy. */
    public static final int MAX_OVERTAKEN = 3;

    private final ExpiredPositionPolicy policy;
    private final SessionListener listener;

    /**
     * @param policy the consumer's policy
     * @param listener the engine's callbacks (null: nobody is told)
     */
    public ExpiredPositionRule(ExpiredPositionPolicy policy, SessionListener listener) {
        this.policy = policy == null ? ExpiredPositionPolicy.EARLIEST : policy;
        this.listener = listener == null ? SessionListener.NONE : listener;
    }

    /** @return the policy applied */
    public ExpiredPositionPolicy policy() {
        return policy;
    }

    /**
     * A position a session starts at or seeks to.
     *
     * @param bounds the partition's bounds now
     * @return {@code position} if it is retained (at or above {@code bounds.first()}); else the first retained id
     *     (EARLIEST) or {@code bounds.next()} (LATEST), after telling the listener; under FAIL {@code position}
     *     itself, unreported: the read there fails and reports it ({@link #overtaken})
     */
    public long start(int p, long position, PartitionBounds bounds) {
        if (position >= bounds.first()) {
            return position;
        }
        long resume = policy == ExpiredPositionPolicy.EARLIEST ? bounds.first()
                : policy == ExpiredPositionPolicy.LATEST ? bounds.next() : -1;
        if (resume < 0) {
            return position;
        }
        listener.expired(p, position, bounds.first(), resume);
        return resume;
    }

    /**
     * Where a session starts a partition without a stored position ({@code startAt}) or seeks to: EARLIEST and
     * LATEST are the bounds, an id goes through {@link #start}, a time is the first id stored at or after it (never
     * below the first retained id).
     *
     * @param bounds the partition's bounds now
     * @param idForTime the partition's first id stored at or after a time (asked only for {@code StartAt.time})
     */
    public long resolve(int p, StartAt at, PartitionBounds bounds, ToLongFunction<Instant> idForTime) {
        switch (at.kind()) {
            case EARLIEST:
                return bounds.first();
            case LATEST:
                return bounds.next();
            case ID:
                return start(p, at.id(), bounds);
            case TIME:
                return Math.max(idForTime.applyAsLong(at.time()), bounds.first());
            default:
                throw new IllegalStateException(at.toString());
        }
    }

    /**
     * A read at {@code position} found it no longer retained.
     *
     * @param firstRetained the first retained id the read reported
     * @param bounds the partition's bounds now; asked only when the policy moves the position
     * @param attempt how many times in a row reads of this partition were overtaken before this one (0 the first
     *     time); from {@link #MAX_OVERTAKEN} on the read fails whatever the policy
     * @return where to read again (EARLIEST, LATEST), or -1: the read fails (FAIL); the listener is told either way
     */
    public long overtaken(int p, long position, long firstRetained, Supplier<PartitionBounds> bounds, int attempt) {
        if (policy == ExpiredPositionPolicy.FAIL || attempt >= MAX_OVERTAKEN) {
            listener.expired(p, position, firstRetained, -1);
            return -1;
        }
        PartitionBounds now = bounds.get();
        return start(p, position, new PartitionBounds(Math.max(now.first(), firstRetained),
                Math.max(now.next(), firstRetained)));
    }
}
