package dev.diaspora.stream.tck;

import static dev.diaspora.stream.tck.Tck.md;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.TopicHandle;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Rule S18: storing an event wakes a consumer that waits for it. The engine re-polls a read session at least every
 * 100 ms while it waits, so a driver that never signals its {@code ChangeNotifier} (or, for a driver with its own
 * {@code ReadSession}, never returns from {@code poll} when data arrives) still delivers every event, only late; S2's
 * 2 s tailing bound cannot see that. This rule measures the wake-up itself: a pull is issued, the consumer's fetch
 * thread has just started a fresh wait, an event is pushed, and the time from the push completing to the pull
 * completing is recorded. The median of {@link #WAKEUP_ROUNDS} rounds must stay under {@link #wakeupBound()}
 * (40 ms), well below the re-poll interval: a driver that relies on the re-poll waits about 95 ms in every round.
 * The median keeps the rule stable on a loaded machine, where a few rounds may be slow for reasons of scheduling.
 */
public interface WakeupContract extends TckFixture {
    /** Measured rounds of {@link #required_S18_storedEventWakesTheWaitingConsumer()} (one more round warms up). */
    int WAKEUP_ROUNDS = 9;

    /**
     * The bound on the median wake-up latency. It is not multiplied by {@code tck.timeoutScale}: it is compared
     * with the engine's fixed 100 ms re-poll, and a bound at or above that would no longer catch a missing wake-up.
     * A driver whose transport adds a known delay may override it, and should say why.
     *
     * @return 40 ms
     */
    default Duration wakeupBound() {
        return Duration.ofMillis(40);
    }

    /** S18: the median time from a push completing to the waiting pull completing is under {@link #wakeupBound()}. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_S18_storedEventWakesTheWaitingConsumer() {
        TopicHandle topic = newTopic(1);
        long[] latencies = new long[WAKEUP_ROUNDS];
        try (Consumer consumer = topic.consumer("tck"); Producer producer = topic.producer()) {
            for (int round = -1; round < WAKEUP_ROUNDS; round++) {
                AtomicLong completedAt = new AtomicLong();
                CompletableFuture<Event> pull = consumer.pull();
                pull.whenComplete((e, t) -> completedAt.set(System.nanoTime()));
                // the new pull may restart the fetch thread's wait; let it settle into the wait before pushing
                Tck.sleepMillis(5);
                assertTrue(!pull.isDone(), "S18: a pull on a drained topic completed before the push of round "
                        + round);
                await(producer.push(md("{\"round\":" + round + "}"), DataView.EMPTY), "S18: push of round " + round);
                long pushed = System.nanoTime();
                Event e = await(pull, "S18: pull of round " + round);
                assertEquals(round + 1, e.id(), "S18: id of the event of round " + round);
                if (round >= 0) { // round -1 warms up connections and code paths
                    latencies[round] = Math.max(0, completedAt.get() - pushed);
                }
            }
        }
        long[] sorted = latencies.clone();
        Arrays.sort(sorted);
        long median = sorted[WAKEUP_ROUNDS / 2];
        assertTrue(median < wakeupBound().toNanos(), () -> "S18: the median time from a push completing to the"
                + " waiting pull completing is " + median / 1_000_000.0 + " ms, not under " + wakeupBound().toMillis()
                + " ms (rounds, ms: " + Arrays.toString(Arrays.stream(latencies).map(n -> n / 1_000_000).toArray())
                + "). The consumer waits for the engine's 100 ms re-poll instead of being woken: call"
                + " notifier().changed() after each append (LocalTopic), or return from ReadSession.poll when data"
                + " arrives");
    }
}
