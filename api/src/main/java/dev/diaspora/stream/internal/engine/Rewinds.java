package dev.diaspora.stream.internal.engine;

import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.StartAt;
import dev.diaspora.stream.spi.ReadSession;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The partitions a consumer's session must be moved before it reads them again: back to an event whose data read
 * failed retriably, or on past a lost range or a skipped record. A partition with a pending move is paused; the move
 * is retried (a seek may need the server) until it succeeds or fails for good, which stops the partition. Not API.
 *
 * <p>Thread safety: not thread-safe; the consumer's fetch thread only (or while the consumer is built).
 */
final class Rewinds {
    private static final long RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

    /** Stops a partition for good. */
    interface Failer {
        void fail(int partition, DiasporaException error);
    }

    private long[] rewindTo = new long[0]; // per partition: the EventID to move to, or -1
    private long nextAttempt;

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

    /** @return whether partition {@code p} waits for a move */
    boolean pending(int p) {
        return rewindTo[p] >= 0;
    }

    /** Tries the pending moves of the assigned partitions (at most every 200 ms after a failed one). */
    void retry(long now, ReadSession session, Set<Integer> assignment, Failer failer) {
        if (now - nextAttempt < 0) {
            return;
        }
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
                }
                nextAttempt = now + RETRY_NANOS;
            } catch (RuntimeException e) {
                rewindTo[p] = -1;
                failer.fail(p, new DiasporaException("partition " + p + ": cannot read the events after a failed"
                        + " data read again: " + e, e));
            }
        }
    }
}
