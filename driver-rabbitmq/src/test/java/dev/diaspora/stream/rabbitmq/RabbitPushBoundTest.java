package dev.diaspora.stream.rabbitmq;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.diaspora.stream.DataView;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.EventsFailedException;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.tck.LoopbackProxy;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A push always ends: the driver reaches the server through a {@link LoopbackProxy} ({@code load_balancer}, so that
 * producers and the follower subscription go through it too), the proxy is closed for good in the middle of a run of
 * pushes, and every push must then complete or fail with a retriable error within the push timeout (plus the time the
 * sweep and the machine need), the failures of waiting pushes naming the partition's stream.
 */
@Timeout(90)
class RabbitPushBoundTest {
    @RegisterExtension
    static final RabbitServer.Topics TOPICS = new RabbitServer.Topics("rbound");
    private static final String PREFIX = TOPICS.prefix;
    private static final int PUSH_TIMEOUT_MS = 2_000;
    /** Beyond the push timeout: the sweep's period and a loaded machine's scheduling. */
    private static final long SLACK_MS = 10_000;

    @Test
    void everyPushEndsWithinTheBoundWhenTheServerIsCutOffForGood() throws Exception {
        String name = PREFIX + "cut";
        int n = 2_000;
        try (LoopbackProxy proxy = new LoopbackProxy(new InetSocketAddress(RabbitServer.HOST,
                RabbitServer.STREAM_PORT));
                Driver driver = Driver.open("rabbitmq", Metadata.of("{\"host\":\"" + RabbitServer.HOST
                        + "\",\"port\":" + proxy.port() + ",\"load_balancer\":true,\"timeout_ms\":2000,"
                        + "\"push_timeout_ms\":" + PUSH_TIMEOUT_MS + "}"))) {
            driver.createTopic(name, Metadata.of("{\"num_partitions\":1}"));
            try (TopicHandle topic = driver.openTopic(name)) {
                Producer producer = topic.producer();
                producer.push(Metadata.of("{\"i\":-1}"), DataView.EMPTY).get(30, TimeUnit.SECONDS);
                List<CompletableFuture<Long>> pushes = new ArrayList<>();
                long cutAt = 0;
                for (int i = 0; i < n; i++) {
                    pushes.add(producer.push(Metadata.of("{\"i\":" + i + "}"), DataView.EMPTY));
                    if (i == n / 2) {
                        proxy.close();
                        cutAt = System.nanoTime();
                    }
                }
                long deadline = cutAt + TimeUnit.MILLISECONDS.toNanos(PUSH_TIMEOUT_MS + SLACK_MS);
                int failed = 0;
                String stream = "stream '" + name + "/0'";
                boolean named = false;
                for (int i = 0; i < n; i++) {
                    try {
                        pushes.get(i).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                    } catch (TimeoutException e) {
                        fail("push " + i + " neither completed nor failed within " + (PUSH_TIMEOUT_MS + SLACK_MS)
                                + " ms of the cut (push_timeout_ms " + PUSH_TIMEOUT_MS + ")");
                    } catch (ExecutionException e) {
                        DiasporaException d = assertInstanceOf(DiasporaException.class, e.getCause());
                        assertTrue(d.isRetriable(), "push " + i + " failed with a non-retriable error: " + d);
                        named |= d.getMessage().contains(stream);
                        failed++;
                    }
                }
                assertTrue(failed > 0, "no push failed although the server was cut off in the middle of the run");
                assertTrue(named, "no failure named the partition's " + stream);
                // closing reports the failures once more, as a sum
                assertThrows(EventsFailedException.class, producer::close);
            }
        }
    }
}
