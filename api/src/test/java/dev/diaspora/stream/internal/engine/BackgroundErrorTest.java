package dev.diaspora.stream.internal.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.BackgroundErrorHandler;
import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.ProducerOptions;
import dev.diaspora.stream.ThreadPool;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.spi.AbstractDriverProvider;
import dev.diaspora.stream.spi.BatchAppender;
import dev.diaspora.stream.spi.AppenderConfig;
import dev.diaspora.stream.spi.Backend;
import dev.diaspora.stream.spi.Capabilities;
import dev.diaspora.stream.spi.OptionSchema;
import dev.diaspora.stream.spi.Options;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Failures on the engine's background threads that no future or pull carries reach the
 * {@link BackgroundErrorHandler}: the consumer's acknowledgement store (the driver's commit throws), the producer's
 * drain task (the driver's append throws an {@link Error}, which escapes the handling of the event), and the driver's
 * handler is the default of its consumers, reaches the provider's {@code open}, and is guarded (one that throws is
 * called again at the next retry).
 */
@Timeout(30)
class BackgroundErrorTest {
    static final AtomicReference<BackgroundErrorHandler> OPENED_WITH = new AtomicReference<>();
    static final AtomicBoolean APPEND_THROWS = new AtomicBoolean();

    /** The test driver, registered in this module's test resources as {@code engine-test-background}. */
    public static final class Provider extends AbstractDriverProvider {
        public Provider() {
            super("engine-test-background", "api test driver: commits fail, the first append throws an Error",
                    OptionSchema.of(), OptionSchema.topicOptions(),
                    new Capabilities(false, false, true, false, false, 1 << 20));
        }

        @Override
        public Backend open(Options options) {
            return open(options, BackgroundErrorHandler.logging());
        }

        @Override
        public Backend open(Options options, BackgroundErrorHandler onBackgroundError) {
            OPENED_WITH.set(onBackgroundError);
            return UnreadableRecordTest.backendOf(FailingTopic::new);
        }
    }

    static final class FailingTopic extends UnreadableRecordTest.FixedTopic {
        @Override
        public void commit(String name, Map<Integer, Long> positions) {
            throw new DiasporaException("positions store unreachable", null, true);
        }

        @Override
        public BatchAppender appender(AppenderConfig config) {
            BatchAppender readOnly = (BatchAppender) super.appender(config);
            return (p, b, done) -> {
                if (APPEND_THROWS.getAndSet(false)) {
                    throw new AssertionError("driver bug in append");
                }
                readOnly.append(p, b, done);
            };
        }
    }

    record Report(String where, Throwable error) {
    }

    @BeforeEach
    void reset() {
        OPENED_WITH.set(null);
        APPEND_THROWS.set(false);
    }

    private static Report await(List<Report> reports, String where) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            for (Report r : reports) {
                if (r.where().contains(where)) {
                    return r;
                }
            }
            Thread.sleep(5);
        }
        throw new AssertionError("no report containing '" + where + "': " + reports);
    }

    @Test
    void anAcknowledgementThatCannotBeStoredReachesTheConsumersHandler() throws Exception {
        List<Report> reports = new CopyOnWriteArrayList<>();
        try (Driver d = Driver.open("engine-test-background");
                TopicHandle t = d.openTopic("fixed");
                Consumer c = t.consumer(ConsumerOptions.named("c").targets(1).ackInterval(Duration.ofMillis(10))
                        .onBackgroundError((where, e) -> reports.add(new Report(where, e))))) {
            Event e = c.poll(Duration.ofSeconds(10)).orElseThrow();
            e.acknowledge();
            Report r = await(reports, "cannot persist acknowledgements yet, will retry");
            assertTrue(r.where().contains("consumer 'c' of topic 'fixed'"), r.where());
            assertEquals("positions store unreachable", r.error().getMessage());
        } catch (DiasporaException closing) {
            assertTrue(closing.getMessage().contains("positions store unreachable"), closing.toString());
        }
    }

    @Test
    void theDriversHandlerIsTheConsumersDefaultAndOneThatThrowsIsCalledAgain() throws Exception {
        List<Report> reports = new CopyOnWriteArrayList<>();
        BackgroundErrorHandler throwing = (where, e) -> {
            reports.add(new Report(where, e));
            throw new IllegalStateException("handler bug");
        };
        try (Driver d = Driver.open("engine-test-background", Metadata.EMPTY, throwing);
                TopicHandle t = d.openTopic("fixed");
                Consumer c = t.consumer(ConsumerOptions.named("c").targets(1).ackInterval(Duration.ofMillis(10)))) {
            OPENED_WITH.get().onError("the provider's own thread", new RuntimeException("x")); // guarded: no throw
            assertEquals("the provider's own thread", reports.get(0).where());
            c.poll(Duration.ofSeconds(10)).orElseThrow().acknowledge();
            await(reports, "cannot persist acknowledgements yet");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (reports.stream().filter(r -> r.where().contains("acknowledgements")).count() < 2) {
                assertTrue(System.nanoTime() < deadline, "the fetch thread stopped after the handler threw");
                Thread.sleep(5);
            }
        } catch (DiasporaException closing) {
            assertTrue(closing.getMessage().contains("positions store unreachable"), closing.toString());
        }
    }

    @Test
    void anErrorEscapingTheProducersDrainTaskReachesItsHandlerAndTheDrainGoesOn() throws Exception {
        List<Report> reports = new CopyOnWriteArrayList<>();
        try (Driver d = Driver.open("engine-test-background");
                ThreadPool pool = d.makeThreadPool(1);
                TopicHandle t = d.openTopic("fixed");
                Producer p = t.producer(ProducerOptions.named("p").threadPool(pool).closeTimeout(Duration.ofMillis(200))
                        .onBackgroundError((where, e) -> reports.add(new Report(where, e))))) {
            APPEND_THROWS.set(true);
            p.push(Metadata.of("{\"n\":1}"), DataView.EMPTY);
            Report r = await(reports, "producer 'p' of topic 'fixed': the drain task failed");
            assertEquals("driver bug in append", r.error().getMessage());
            CompletableFuture<?> next = p.push(Metadata.of("{\"n\":2}"), DataView.EMPTY);
            try {
                next.get(10, TimeUnit.SECONDS); // the read-only topic refuses it, but it is handled
            } catch (ExecutionException refused) {
                assertTrue(refused.getCause().getMessage().contains("read-only"), refused.getCause().toString());
            }
        } catch (RuntimeException closing) {
            // the first event's batch never completed; close reports what it could not flush
        }
    }
}
