package dev.diaspora.stream.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerMetrics;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.TopicHandle;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The consumer's poll latency (how long a pull waited for the event it returned; 0 for an event ready at the call),
 * in {@link ConsumerMetrics} and in the consumer's MBean (docs/metrics.md): one pull that waits for an event pushed
 * at least 50 ms after it started, then 99 pulls of events already prefetched.
 */
@Timeout(60)
class PollLatencyMetricsTest {
    private static final MBeanServer SERVER = ManagementFactory.getPlatformMBeanServer();
    private static final long WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    @Test
    void aWaitingPullAndReadyEventsShowInThePercentiles() throws Exception {
        String topicName = "poll-latency-" + System.nanoTime();
        try (Driver driver = Driver.open("memory", Metadata.of("{}"))) {
            driver.createTopic(topicName, Metadata.of("{\"num_partitions\":1}"));
            TopicHandle topic = driver.openTopic(topicName);
            Producer producer = topic.producer();
            Consumer consumer = topic.consumer("latency-reader");
            Set<ObjectName> names = SERVER.queryNames(new ObjectName("dev.diaspora.stream:type=Consumer,topic="
                    + ObjectName.quote(topicName) + ",*"), null);
            assertEquals(1, names.size(), names.toString());
            ObjectName bean = names.iterator().next();
            assertEquals(0, consumer.metrics().pollLatencyMaxNanos(), "nothing delivered yet");

            long started = System.nanoTime();
            CompletableFuture<Event> waiting = consumer.pull(); // nothing stored: it waits
            while (System.nanoTime() - started < WAIT_NANOS) { // the wait being measured, not a synchronisation
                LockSupport.parkNanos(WAIT_NANOS);
            }
            producer.push(Metadata.of("{\"i\":0}"), DataView.of(ByteBuffer.allocate(4)));
            producer.flush().get(10, TimeUnit.SECONDS);
            assertEquals(0, waiting.get(10, TimeUnit.SECONDS).id());

            int ready = 99;
            for (int i = 1; i <= ready; i++) {
                producer.push(Metadata.of("{\"i\":" + i + "}"), DataView.of(ByteBuffer.allocate(4)));
            }
            producer.flush().get(10, TimeUnit.SECONDS);
            BatchPollTest.awaitPrefetched(consumer, ready);
            for (int i = 1; i <= ready; i++) {
                assertEquals(i, consumer.poll(Duration.ZERO).orElseThrow().id(), "a ready event");
            }

            ConsumerMetrics m = consumer.metrics();
            assertEquals(0, m.pollLatencyP50Nanos(), "99 of the 100 events were ready: the median wait is 0");
            assertEquals(0, m.pollLatencyP90Nanos());
            assertEquals(0, m.pollLatencyP99Nanos(), "the 99th of 100 waits is still a ready event");
            assertTrue(m.pollLatencyMaxNanos() >= WAIT_NANOS, "the first pull waited at least 50 ms: "
                    + m.pollLatencyMaxNanos() + " ns");

            assertEquals(ready + 1L, (Long) SERVER.getAttribute(bean, "PollLatencyCount"));
            assertEquals(0L, (Long) SERVER.getAttribute(bean, "PollLatencyP50"));
            assertEquals(0L, (Long) SERVER.getAttribute(bean, "PollLatencyP99"));
            assertEquals(m.pollLatencyMaxNanos(), (Long) SERVER.getAttribute(bean, "PollLatencyMax"));
            String units = (String) java.util.Arrays.stream(SERVER.getMBeanInfo(bean).getAttributes())
                    .filter(a -> a.getName().equals("PollLatencyP90")).findFirst().orElseThrow()
                    .getDescriptor().getFieldValue("units");
            assertEquals("nanoseconds", units);
            consumer.close();
        }
    }
}
