package dev.diaspora.stream.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.BackgroundErrorHandler;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.tck.LogCapture;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A producer completion that throws on the driver's completion thread (which today swallowed it) reaches the driver's
 * {@link BackgroundErrorHandler}, with the completions after it still run; without a handler it is logged with the
 * place and the thread.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class KafkaBackgroundErrorTest {
    @RegisterExtension
    static final BrokerExtension BROKER = new BrokerExtension();

    private static KafkaConfig config() {
        return KafkaConfig.from(new KafkaDriverProvider().options().validate(Metadata.of("{\"bootstrap.servers\":\""
                + BROKER.kafka().bootstrapServers() + "\"}"), "driver 'kafka'"));
    }

    @Test
    void aFailedCompletionReachesTheHandlerAndTheNextOnesRun() throws Exception {
        List<String> reports = new CopyOnWriteArrayList<>();
        BackgroundErrorHandler handler = (where, e) -> reports.add(where + " | " + e.getMessage() + " | "
                + Thread.currentThread().getName());
        try (KafkaBackend backend = new KafkaBackend(config(), handler)) {
            CountDownLatch next = new CountDownLatch(1);
            backend.complete(() -> {
                throw new IllegalStateException("completion bug");
            });
            backend.complete(next::countDown);
            assertTrue(next.await(10, TimeUnit.SECONDS), "the completion after the failed one ran");
            assertEquals(1, reports.size(), reports.toString());
            String r = reports.get(0);
            assertTrue(r.startsWith("kafka: a producer completion failed; the other completions go on | completion bug"
                    + " | diaspora-kafka-completion-"), r);
        }
    }

    @Test
    void withoutAHandlerTheFailureIsLoggedWithPlaceAndThread() throws Exception {
        try (LogCapture log = new LogCapture(); KafkaBackend backend = new KafkaBackend(config())) {
            CountDownLatch next = new CountDownLatch(1);
            backend.complete(() -> {
                throw new IllegalStateException("completion bug");
            });
            backend.complete(next::countDown);
            assertTrue(next.await(10, TimeUnit.SECONDS));
            String text = log.text();
            assertTrue(text.contains("WARN") && text.contains("kafka: a producer completion failed; the other"
                    + " completions go on: java.lang.IllegalStateException: completion bug (thread"
                    + " diaspora-kafka-completion-"), text);
        }
    }
}
