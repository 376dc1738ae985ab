package dev.diaspora.stream.tck;

import static org.junit.jupiter.api.Assertions.fail;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.PartitionSelector;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.Serializer;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.Validator;
import dev.diaspora.stream.spi.Capabilities;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * What every contract needs from the test class: the open driver, fresh topic names, the driver's capabilities and
 * the {@link TckEnvironment}, plus helpers that wait with the environment's timeouts and fail with a message instead
 * of hanging. {@link DriverTck} implements it; a driver author who writes extra tests in a {@code DriverTck} subclass
 * can use the helpers too.
 *
 * <p>Every helper waits with a deadline; none blocks forever.
 *
 * <p>Thread safety: the fixture belongs to one test; the helpers may be called from the threads a test starts.
 */
public interface TckFixture {
    /** @return the driver opened for this test (closed after it) */
    Driver driver();

    /**
     * Closes the driver and opens it again with the same options (the same temporary directory), as a restarted
     * process would. Tests that use it first check {@link Capabilities#persistent()}.
     *
     * @return the new driver, also returned by {@link #driver()} from now on
     */
    Driver reopenDriver();

    /** @return the options this test's driver was opened with */
    Metadata currentDriverOptions();

    /** @return a topic name not used before in this run: letters, digits and '-', at most 60 characters */
    String newTopicName();

    /** @return what the driver declares it can do (tests it cannot pass are skipped with the reason) */
    Capabilities capabilities();

    /** @return timeouts, event counts and the seed */
    TckEnvironment env();

    /**
     * The driver-provided hook that simulates a crashed group member (rule G5): opens a consumer of {@code topicName}
     * with {@code options} so that {@link CrashableMember#crash()} ends it as a killed process would. By default
     * there is none, and G5 is skipped with that reason; a driver's test class overrides it.
     *
     * @return the member, or null if the driver's test class cannot simulate a crash
     */
    default CrashableMember crashableMember(String topicName, dev.diaspora.stream.ConsumerOptions options) {
        return null;
    }

    /**
     * Creates a topic with {@code partitions} partitions and the default components, and opens it.
     *
     * @return the open handle (closed with the driver)
     */
    default TopicHandle newTopic(int partitions) {
        String name = newTopicName();
        driver().createTopic(name, Tck.md("{\"num_partitions\":" + partitions + "}"));
        return driver().openTopic(name);
    }

    /** Creates a topic with {@code partitions} partitions and this validator, and opens it. */
    default TopicHandle newTopic(int partitions, Validator validator) {
        String name = newTopicName();
        driver().createTopic(name, Tck.md("{\"num_partitions\":" + partitions + "}"), validator,
                PartitionSelector.defaultSelector(), Serializer.defaultSerializer());
        return driver().openTopic(name);
    }

    /**
     * Waits for the future with {@link TckEnvironment#pullTimeout()}.
     *
     * @return its value
     * @throws AssertionError naming {@code context} if it fails or does not complete in time
     */
    default <T> T await(Future<T> future, String context) {
        try {
            return future.get(env().pullTimeout().toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            return fail(context + ": the future did not complete within " + env().pullTimeout());
        } catch (ExecutionException e) {
            throw new AssertionError(context + ": the future failed with " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(context + ": interrupted", e);
        }
    }

    /**
     * Waits for the future to fail, with {@link TckEnvironment#pullTimeout()}.
     *
     * @return the failure: the cause of the {@link ExecutionException} (unwrapped from a {@code CompletionException})
     * @throws AssertionError naming {@code context} if it succeeds or does not complete in time
     */
    default Throwable awaitFailure(Future<?> future, String context) {
        try {
            Object v = future.get(env().pullTimeout().toNanos(), TimeUnit.NANOSECONDS);
            return fail(context + ": expected the future to fail, but it completed with " + v);
        } catch (TimeoutException e) {
            return fail(context + ": the future did not complete within " + env().pullTimeout());
        } catch (ExecutionException e) {
            return Tck.unwrap(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(context + ": interrupted", e);
        }
    }

    /**
     * Polls with {@link TckEnvironment#pullTimeout()}.
     *
     * @return the next event (never the end-of-stream sentinel)
     * @throws AssertionError naming {@code context} if none arrives in time, or the sentinel arrives
     */
    default Event nextEvent(Consumer consumer, String context) {
        Optional<Event> e = consumer.poll(env().pullTimeout());
        if (e.isEmpty()) {
            return fail(context + ": no event arrived within " + env().pullTimeout());
        }
        if (e.get().isNoMoreEvents()) {
            return fail(context + ": got the end-of-stream sentinel (NO_MORE_EVENTS) but the consumer was not"
                    + " unsubscribed");
        }
        return e.get();
    }

    /** @return the next {@code n} events, as {@link #nextEvent} each */
    default List<Event> nextEvents(Consumer consumer, int n, String context) {
        List<Event> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(nextEvent(consumer, context + " (event " + i + " of " + n + ", received so far: "
                    + Tck.describe(out) + ")"));
        }
        return out;
    }

    /**
     * Checks that no further event arrives within {@link TckEnvironment#quietPeriod()} (the sentinel does not count:
     * a consumer that was unsubscribed may return it).
     */
    default void assertNoMoreEvents(Consumer consumer, String context) {
        Optional<Event> e = consumer.poll(env().quietPeriod());
        if (e.isPresent() && !e.get().isNoMoreEvents()) {
            fail(context + ": expected no further event, got " + Tck.describe(e.get()));
        }
    }

    /**
     * Waits until {@code condition} holds, checking every few milliseconds, for at most {@code timeout}.
     *
     * @throws AssertionError with {@code message} if it does not hold in time
     */
    default void awaitCondition(BooleanSupplier condition, Duration timeout, Supplier<String> message) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long sleep = 1;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                fail(message.get() + " (waited " + timeout + ")");
            }
            Tck.sleepMillis(sleep);
            sleep = Math.min(sleep * 2, 50);
        }
    }

    /**
     * Pushes {@code n} events {@code {"event_num":i}} with data {@code "This is data for event i"} (the C++ suite's
     * events), flushes, and waits for every future.
     *
     * @return the EventIDs, in push order
     */
    default long[] pushNumbered(Producer producer, int n) {
        List<CompletableFuture<Long>> futures = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            futures.add(producer.push(Tck.md("{\"event_num\":" + i + "}"), DataView.of(numberedData(i))));
        }
        await(producer.flush(), "flush after pushing " + n + " events");
        long[] ids = new long[n];
        for (int i = 0; i < n; i++) {
            ids[i] = await(futures.get(i), "push of event " + i);
        }
        return ids;
    }

    /** @return the data of numbered event {@code i}: the UTF-8 bytes of {@code "This is data for event i"} */
    default byte[] numberedData(int i) {
        return ("This is data for event " + i).getBytes(StandardCharsets.UTF_8);
    }
}
