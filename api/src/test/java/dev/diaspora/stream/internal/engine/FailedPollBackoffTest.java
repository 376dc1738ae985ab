package dev.diaspora.stream.internal.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataSelector;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.spi.IncomingBatch;
import dev.diaspora.stream.spi.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A consumer whose driver fails its polls (the server is unreachable) pauses before each next poll as
 * {@link ReadFailures#POLL_RETRY} says, on the consumer's clock: 100 ms, then doubling, jittered; and it reads on once
 * the polls succeed again.
 */
@Timeout(30)
class FailedPollBackoffTest {
    static final AtomicInteger FAILURES_LEFT = new AtomicInteger();

    /** The test driver, registered in this module's test resources as {@code engine-test-failing-polls}. */
    public static final class Provider extends FixedTopicDriver {
        public Provider() {
            super("engine-test-failing-polls", "api test driver: its first reads fail retriably", true, FailingTopic::new);
        }
    }

    static final class FailingTopic extends UnreadableRecordTest.FixedTopic {
        @Override
        public IncomingBatch read(int p, long fromId, int maxEvents, long maxBytes) {
            if (FAILURES_LEFT.getAndDecrement() > 0) {
                throw new DiasporaException("the server of partition " + p + " is unreachable", null, true);
            }
            if (fromId >= 10) {
                return null;
            }
            return batch(p, fromId, (int) Math.min(maxEvents, 10 - fromId), null);
        }
    }

    @Test
    void failedPollsArePausedAsThePolicySaysOnTheConsumersClock() {
        int failures = 5;
        FAILURES_LEFT.set(failures);
        ManualClock clock = new ManualClock();
        List<Long> ids = new ArrayList<>();
        try (Driver d = Drivers.open("engine-test-failing-polls", Metadata.EMPTY, BackgroundErrors.LOGGING, clock);
                TopicHandle t = d.openTopic("fixed");
                Consumer c = t.consumer(ConsumerOptions.named("c").targets(0).dataSelector(DataSelector.NONE))) {
            while (ids.size() < 10) {
                Optional<Event> e;
                try {
                    e = c.poll(Duration.ofSeconds(10));
                } catch (DiasporaException failed) {
                    continue; // a failed poll fails the first waiting pull
                }
                ids.add(e.orElseThrow(() -> new AssertionError("stalled after " + ids)).id());
            }
        }
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L), ids, "every event once, in order");
        List<Long> pauses = clock.sleeps();
        assertEquals(failures, pauses.size(), "one pause per failed poll, on the consumer's clock: " + pauses);
        double jitter = ReadFailures.POLL_RETRY.jitter();
        for (int k = 1; k <= failures; k++) {
            long ceiling = ReadFailures.POLL_RETRY.ceilingNanos(k);
            long pause = pauses.get(k - 1);
            assertTrue(pause >= (long) (ceiling * (1 - jitter)) && pause <= ceiling, "pause " + k + " was "
                    + Duration.ofNanos(pause) + ", the policy allows " + Duration.ofNanos((long) (ceiling * (1 - jitter)))
                    + ".." + Duration.ofNanos(ceiling));
        }
        assertTrue(ReadFailures.POLL_RETRY.ceilingNanos(4) > ReadFailures.POLL_RETRY.ceilingNanos(1),
                "the pauses grow while the failures go on");
    }
}
