package dev.diaspora.stream.internal.engine;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.spi.Clock;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * The base of the engine's tests of rules that no driver can break (they moved here from the TCK, which tests
 * drivers): a fresh {@code engine-test-log} driver per test ({@link LogTestDriver}) and the waiting helpers of the
 * TCK's fixture, each wait bounded by {@link #PULL_TIMEOUT}.
 */
abstract class EngineRuleFixture {
    /** The bound of every wait for an event or a future (the TCK's default pull timeout). */
    static final Duration PULL_TIMEOUT = Duration.ofSeconds(10);

    private Driver driver;
    private int topics;

    @BeforeEach
    void openDriver() {
        driver = Drivers.open("engine-test-log", Metadata.EMPTY, BackgroundErrors.LOGGING, clock());
    }

    /** @return the clock of the test's producers and consumers: the JVM's, unless a test class moves its own */
    Clock clock() {
        return Clock.system();
    }

    @AfterEach
    void closeDriver() {
        driver.close();
    }

    Driver driver() {
        return driver;
    }

    static Metadata md(String json) {
        return Metadata.of(json);
    }

    /** Creates a topic of {@code partitions} partitions with a fresh name and opens it. */
    TopicHandle newTopic(int partitions) {
        String name = "engine-" + topics++;
        driver.createTopic(name, md("{\"num_partitions\":" + partitions + "}"));
        return driver.openTopic(name);
    }

    /** Pushes {@code n} events {@code {"event_num":i}} with a few bytes of data each, and flushes. */
    static void pushNumbered(Producer producer, int n) {
        List<CompletableFuture<Long>> futures = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            futures.add(producer.push(md("{\"event_num\":" + i + "}"),
                    DataView.of(("This is data for event " + i).getBytes(StandardCharsets.UTF_8))));
        }
        await(producer.flush());
        futures.forEach(EngineRuleFixture::await);
    }

    static <T> T await(CompletableFuture<T> future) {
        try {
            return future.get(PULL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new AssertionError("a future did not complete within " + PULL_TIMEOUT, e);
        }
    }

    static Event nextEvent(Consumer consumer, String context) {
        Optional<Event> e = consumer.poll(PULL_TIMEOUT);
        if (e.isEmpty() || e.get().isNoMoreEvents()) {
            return fail(context + ": no event arrived within " + PULL_TIMEOUT + " (got " + e + ")");
        }
        return e.get();
    }

    static void awaitCondition(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + PULL_TIMEOUT.toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() - deadline < 0, what + " within " + PULL_TIMEOUT);
            Thread.onSpinWait();
            Thread.yield();
        }
    }
}
