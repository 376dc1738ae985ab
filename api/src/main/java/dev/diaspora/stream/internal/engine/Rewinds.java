package dev.diaspora.stream.internal.engine;

import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.StartAt;
import dev.diaspora.stream.spi.Backoff;
import dev.diaspora.stream.spi.Clock;
import dev.diaspora.stream.spi.ReadSession;
import java.time.Duration;
import java.util.Arrays;
import java.util.Set;

/**
 * The partitions a consumer's session must be moved before it reads them again: back to an event whose data read
 * failed retriably, or on past a lost range or a skipped record. A partition with a pending move is paused; the move
 * is retried (a seek may need the server) until it succeeds or fails for good, which stops the partition: after a
 * round in which a move failed retriably, the next round waits {@link #MOVE_RETRY} (200 ms at first, doubling,
 * jittered, up to 2 s; a round without a retriable failure starts again at 200 ms). Not API.
 *
 * <p>Thread safety: not thread-safe; the consumer's fetch thread only (or while the consumer is built).
 */
final class Rewinds {
    /** The pauses between rounds of moves that fail retriably. */
    static final Backoff MOVE_RETRY = Backoff.exponential(Duration.ofMillis(200), Duration.ofSeconds(2));

    /** Stops a partition for good. */
    interface Failer {
        void fail(int partition, DiasporaException error);
    }

    private long[] rewindTo = new long[0]; // per partition: the EventID to move to, or -1
    private final Backoff.Retry retry;
    private long nextAttempt;

    /** @param clock the consumer's clock, on which the pauses are measured */
    Rewinds(Clock clock) {
        this.retry = MOVE_RETRY.start(clock);
        this.nextAttempt = clock.nanoTime();
    }

    /** Covers at least {@code n} partitions. */
    void grow(int n) {
        int old = rewindTo.length;
        if (n <= old) {
            return;
        }
        rewindTo = Arrays.copyOf(rewindTo, n);
        Arrays.fill(rewindTo, old, n, -1);
    }

    /** Partition {@code p} must be moved to {@code id} before it is read again. */
    void request(int p, long id) {
        rewindTo[p] = id;
    }

    /** Forgets partition {@code p}'s move (the user's seek wins over it). */
    void cancel(int p) {
        rewindTo[p] = -1;
    }

    /** @return whether any partition waits for a move (the fetch thread then wakes often to retry it) */
    boolean anyPending() {
        for (long id : rewindTo) {
            if (id >= 0) {
                return true;
            }
        }
        return false;
    }

    /** @return whether partition {@code p} waits for a move */
    boolean pending(int p) {
        return rewindTo[p] >= 0;
    }

    /** Tries the pending moves of the assigned partitions (not before the pause after a failed one is over). */
    void retry(long now, ReadSession session, Set<Integer> assignment, Failer failer) {
        if (now - nextAttempt < 0) {
            return;
        }
        boolean failedRetriably = false;
        for (int p = 0; p < rewindTo.length; p++) {
            if (rewindTo[p] < 0) {
                continue;
            }
            if (!assignment.contains(p)) {
                rewindTo[p] = -1;
                continue;
            }
            try {
                session.seek(p, StartAt.id(rewindTo[p]));
                rewindTo[p] = -1;
            } catch (DiasporaException e) {
                if (!e.isRetriable()) {
                    rewindTo[p] = -1;
                    failer.fail(p, e);
                } else {
                    failedRetriably = true;
                }
            } catch (RuntimeException e) {
                rewindTo[p] = -1;
                failer.fail(p, new DiasporaException("partition " + p + ": cannot read the events after a failed"
                        + " data read again: " + e, e));
            }
        }
        if (failedRetriably) {
            nextAttempt = now + retry.nextDelayNanos(); // unbounded: never -1
        } else if (retry.retries() != 0) {
            retry.reset();
        }
    }
}
