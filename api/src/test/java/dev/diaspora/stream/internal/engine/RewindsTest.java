package dev.diaspora.stream.internal.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.StartAt;
import dev.diaspora.stream.spi.IncomingBatch;
import dev.diaspora.stream.spi.ManualClock;
import dev.diaspora.stream.spi.ReadSession;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * {@link Rewinds}: a move of a partition that fails retriably (its server is unreachable) is tried again after the
 * pauses of {@link Rewinds#MOVE_RETRY}, measured on the consumer's clock, which grow while the moves keep failing.
 */
class RewindsTest {
    private static final long STEP = Duration.ofMillis(1).toNanos();

    @Test
    void failedMovesAreTriedAgainAfterGrowingPausesOnTheConsumersClock() {
        ManualClock clock = new ManualClock();
        Rewinds rewinds = new Rewinds(clock);
        rewinds.grow(2);
        rewinds.request(1, 5);
        List<Long> attempts = new ArrayList<>();
        int[] failuresLeft = {5};
        ReadSession session = new SeekSession() {
            @Override
            public long seek(int p, StartAt position) {
                assertEquals(1, p);
                attempts.add(clock.nanoTime());
                if (failuresLeft[0]-- > 0) {
                    throw new DiasporaException("the server of partition 1 is unreachable", null, true);
                }
                return 5;
            }
        };
        for (int i = 0; i < 60_000 && rewinds.pending(1); i++) { // a minute of the clock, in 1 ms steps
            rewinds.retry(clock.nanoTime(), session, Set.of(0, 1), (p, e) -> fail("failed for good: " + e));
            clock.advance(Duration.ofNanos(STEP));
        }
        assertFalse(rewinds.pending(1), "the move succeeded once the server answered");
        assertEquals(6, attempts.size(), "five failed moves and the one that succeeded");
        double jitter = Rewinds.MOVE_RETRY.jitter();
        for (int k = 1; k < attempts.size(); k++) {
            long gap = attempts.get(k) - attempts.get(k - 1);
            long ceiling = Rewinds.MOVE_RETRY.ceilingNanos(k);
            assertTrue(gap >= (long) (ceiling * (1 - jitter)) && gap <= ceiling + STEP, "pause " + k + " was "
                    + Duration.ofNanos(gap) + ", the policy allows " + Duration.ofNanos((long) (ceiling * (1 - jitter)))
                    + ".." + Duration.ofNanos(ceiling));
        }
    }

    @Test
    void aMoveThatFailsForGoodStopsThePartitionWithoutARetry() {
        ManualClock clock = new ManualClock();
        Rewinds rewinds = new Rewinds(clock);
        rewinds.grow(1);
        rewinds.request(0, 3);
        List<DiasporaException> failed = new ArrayList<>();
        rewinds.retry(clock.nanoTime(), new SeekSession() {
            @Override
            public long seek(int p, StartAt position) {
                throw new DiasporaException("the partition was deleted");
            }
        }, Set.of(0), (p, e) -> failed.add(e));
        assertEquals(1, failed.size());
        assertFalse(rewinds.pending(0));
    }

    /** A session whose only working call is {@code seek}. */
    private abstract static class SeekSession implements ReadSession {
        @Override
        public Set<Integer> assignment() {
            return Set.of(0, 1);
        }

        @Override
        public long position(int p) {
            return 0;
        }

        @Override
        public IncomingBatch poll(int maxEvents, long maxBytes, long timeoutNanos) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void readData(List<dev.diaspora.stream.spi.DataRequest> requests) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void commit(Map<Integer, Long> positions) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void pause(int p) {
        }

        @Override
        public void resume(int p) {
        }

        @Override
        public void wakeup() {
        }

        @Override
        public void close() {
        }
    }
}
