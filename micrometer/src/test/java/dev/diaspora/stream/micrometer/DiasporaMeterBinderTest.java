package dev.diaspora.stream.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.TopicHandle;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The binding against a {@link SimpleMeterRegistry} during a produce/consume run on the memory driver. */
@Timeout(60)
class DiasporaMeterBinderTest {
    @Test
    void metersFollowTheRunAndLeaveWithClosedObjects() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        String t = "mm-" + System.nanoTime();
        try (DiasporaMeterBinder binder = new DiasporaMeterBinder();
                Driver driver = Driver.open("memory", Metadata.of("{}"))) {
            binder.bindTo(registry); // the driver's MBean exists already; producer and consumer come later
            driver.createTopic(t, Metadata.of("{\"num_partitions\":2}"));
            TopicHandle topic = driver.openTopic(t);
            Producer producer = topic.producer();
            Consumer consumer = topic.consumer("mm-reader");
            int n = 50;
            for (int i = 0; i < n; i++) {
                producer.push(Metadata.of("{\"i\":" + i + "}"), DataView.of(ByteBuffer.allocate(4)));
            }
            producer.flush().get(10, TimeUnit.SECONDS);
            long[] readFrom = new long[2];
            for (int i = 0; i < 20; i++) {
                readFrom[consumer.pull().get(10, TimeUnit.SECONDS).partition()]++;
            }

            assertEquals(n, registry.get("diaspora.producer.events.stored").tag("topic", t).functionCounter().count());
            assertEquals(n, registry.get("diaspora.producer.events.pushed").tag("topic", t).functionCounter().count());
            Meter.Id bytes = registry.get("diaspora.producer.bytes.stored").tag("topic", t).functionCounter().getId();
            assertEquals("bytes", bytes.getBaseUnit());
            double p99 = registry.get("diaspora.producer.push.latency.percentile").tag("topic", t).tag("phi", "0.99")
                    .timeGauge().value(TimeUnit.NANOSECONDS);
            assertTrue(p99 > 0, "p99 push latency " + p99);
            assertEquals(20, registry.get("diaspora.consumer.events.delivered").tag("topic", t)
                    .tag("name", "mm-reader").functionCounter().count());
            assertEquals(n - 20, registry.get("diaspora.consumer.lag").tag("topic", t).gauge().value());
            double pollMax = registry.get("diaspora.consumer.poll.latency.max").tag("topic", t).timeGauge()
                    .value(TimeUnit.NANOSECONDS);
            double pollP50 = registry.get("diaspora.consumer.poll.latency.percentile").tag("topic", t)
                    .tag("phi", "0.5").timeGauge().value(TimeUnit.NANOSECONDS);
            assertTrue(pollP50 <= pollMax, "poll latency p50 " + pollP50 + " <= max " + pollMax);
            for (int p = 0; p < 2; p++) { // the producer's round robin stored n/2 events in each partition
                assertEquals(n / 2 - readFrom[p], registry.get("diaspora.consumer.partition.lag").tag("topic", t)
                        .tag("partition", Integer.toString(p)).gauge().value(), "lag of partition " + p);
            }
            assertTrue(registry.find("diaspora.driver.consumers.open").tag("driver", "memory").gauges().stream()
                    .anyMatch(g -> g.value() == 1), "the driver gauge counts the consumer");

            consumer.close();
            assertNull(registry.find("diaspora.consumer.lag").tag("topic", t).gauge(),
                    "a closed consumer's meters are removed");
            assertNotNull(registry.find("diaspora.producer.events.stored").tag("topic", t).functionCounter(),
                    "the open producer keeps its meters");
        }
        assertNull(registry.find("diaspora.producer.events.stored").tag("topic", t).functionCounter(),
                "closing the driver removes its producers' meters");
        assertTrue(registry.getMeters().stream().noneMatch(m -> m.getId().getName().startsWith("diaspora.")),
                "closing the binder removes every meter it added");
    }

    @Test
    void aClosedBinderRefusesToBindSayingWhatToDo() {
        DiasporaMeterBinder binder = new DiasporaMeterBinder();
        binder.close();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> binder.bindTo(new SimpleMeterRegistry()));
        assertTrue(e.getMessage().contains("make a new one"), e.getMessage());
    }
}
