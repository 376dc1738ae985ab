package dev.diaspora.stream.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.TopicHandle;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The engine's MBeans, read through the platform MBean server during a produce/consume run on the memory driver:
 * names, values, units, and registration on open and removal on close (documented in docs/metrics.md).
 */
@Timeout(60)
class JmxMetricsTest {
    private static final MBeanServer SERVER = ManagementFactory.getPlatformMBeanServer();
    private static final String DOMAIN = "dev.diaspora.stream";

    private static ObjectName only(String pattern) throws Exception {
        Set<ObjectName> names = SERVER.queryNames(new ObjectName(pattern), null);
        assertEquals(1, names.size(), "MBeans matching " + pattern + ": " + names);
        return names.iterator().next();
    }

    private static long attr(ObjectName name, String attribute) throws Exception {
        return (Long) SERVER.getAttribute(name, attribute);
    }

    private static String unit(ObjectName name, String attribute) throws Exception {
        for (MBeanAttributeInfo a : SERVER.getMBeanInfo(name).getAttributes()) {
            if (a.getName().equals(attribute)) {
                return (String) a.getDescriptor().getFieldValue("units");
            }
        }
        throw new AssertionError("no attribute " + attribute + " in " + name);
    }

    @Test
    void driverProducerAndConsumerMBeansReportTheRunAndLeaveOnClose() throws Exception {
        String topicName = "jmx-" + System.nanoTime();
        String topicKey = ObjectName.quote(topicName);
        ObjectName driverName;
        ObjectName producerName;
        ObjectName consumerName;
        try (Driver driver = Driver.open("memory", Metadata.of("{}"))) {
            Set<ObjectName> drivers = SERVER.queryNames(new ObjectName(DOMAIN + ":type=Driver,driver=\"memory\",*"),
                    null);
            assertTrue(!drivers.isEmpty(), "the open driver has an MBean");
            driver.createTopic(topicName, Metadata.of("{\"num_partitions\":2}"));
            TopicHandle topic = driver.openTopic(topicName);
            Producer producer = topic.producer();
            Consumer consumer = topic.consumer("jmx-reader");
            producerName = only(DOMAIN + ":type=Producer,driver=\"memory\",topic=" + topicKey + ",*");
            consumerName = only(DOMAIN + ":type=Consumer,driver=\"memory\",topic=" + topicKey
                    + ",name=\"jmx-reader\",*");
            driverName = drivers.stream().filter(n -> {
                try {
                    return attr(n, "OpenConsumers") == 1 && attr(n, "OpenProducers") == 1;
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            }).findFirst().orElseThrow(() -> new AssertionError("no driver MBean counts 1 producer, 1 consumer"));
            assertEquals(1, attr(driverName, "OpenTopics"));

            int n = 100;
            for (int i = 0; i < n; i++) {
                producer.push(Metadata.of("{\"i\":" + i + "}"), DataView.of(ByteBuffer.allocate(10)));
            }
            producer.flush().get(10, TimeUnit.SECONDS);
            assertEquals(n, attr(producerName, "EventsPushed"));
            assertEquals(n, attr(producerName, "EventsStored"));
            assertEquals(0, attr(producerName, "EventsFailed"));
            assertEquals(n, attr(producerName, "PushLatencyCount"));
            long p50 = attr(producerName, "PushLatencyP50");
            long p99 = attr(producerName, "PushLatencyP99");
            long max = attr(producerName, "PushLatencyMax");
            assertTrue(p50 > 0 && p50 <= p99 && p99 <= max, "percentiles " + p50 + " <= " + p99 + " <= " + max);
            assertEquals("nanoseconds", unit(producerName, "PushLatencyP99"));
            assertEquals("bytes", unit(producerName, "BytesStored"));
            assertTrue(attr(producerName, "BytesStored") >= n * 10L, "bytes stored");

            assertEquals(n, attr(consumerName, "Lag"), "nothing delivered yet");
            int read = 30;
            long[] readFrom = new long[2];
            for (int i = 0; i < read; i++) {
                readFrom[consumer.pull().get(10, TimeUnit.SECONDS).partition()]++;
            }
            assertEquals(read, attr(consumerName, "EventsDelivered"));
            assertEquals(n - read, attr(consumerName, "Lag"));
            assertEquals(n - read, consumer.metrics().lag(), "ConsumerMetrics.lag()");
            long[] perPartition = (long[]) SERVER.getAttribute(consumerName, "PartitionLag");
            assertEquals(2, perPartition.length, Arrays.toString(perPartition));
            assertEquals(n - read, perPartition[0] + perPartition[1], Arrays.toString(perPartition));
            assertArrayEquals(new long[] {n / 2 - readFrom[0], n / 2 - readFrom[1]}, perPartition,
                    "the producer's round robin stored n/2 events in each partition; minus those delivered from it");
            assertEquals("events", unit(consumerName, "Lag"));

            consumer.close();
            assertTrue(!SERVER.isRegistered(consumerName), "a closed consumer's MBean is unregistered");
            assertEquals(0, attr(driverName, "OpenConsumers"));
            assertTrue(SERVER.isRegistered(producerName), "the producer is still open");
        }
        assertTrue(!SERVER.isRegistered(producerName), "closing the driver closes the producer and its MBean");
        assertTrue(!SERVER.isRegistered(driverName), "a closed driver's MBean is unregistered");
    }
}
