package dev.diaspora.stream.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.TopicHandle;
import java.lang.management.ManagementFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The incarnation check of acknowledged pushes costs at most one topic describe per
 * {@link KafkaIncarnation#CONFIRM_INTERVAL_NANOS}, however many acknowledgements a burst holds. Counted on the broker
 * (its request metrics for the two requests a describe may use), so the test reads what the driver sends, not what it
 * says it sends.
 */
class KafkaIncarnationWindowTest {
    private static final int EVENTS = 100_000;

    @RegisterExtension
    static final BrokerExtension BROKER = new BrokerExtension();

    /** @return the describe requests the broker has handled so far (Metadata and DescribeTopicPartitions) */
    private static long describesHandled() throws Exception {
        MBeanServer jmx = ManagementFactory.getPlatformMBeanServer();
        long n = 0;
        for (ObjectName o : jmx.queryNames(new ObjectName("kafka.network:type=RequestMetrics,name=RequestsPerSec,*"),
                null)) {
            String request = o.getKeyProperty("request");
            if ("Metadata".equals(request) || "DescribeTopicPartitions".equals(request)) {
                n += ((Number) jmx.getAttribute(o, "Count")).longValue();
            }
        }
        return n;
    }

    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aBurstOfPushesCostsOneDescribePerIntervalAtMost() throws Exception {
        try (Driver driver = Driver.open("kafka", Metadata.of("{\"bootstrap.servers\":\""
                + BROKER.kafka().bootstrapServers() + "\"}"))) {
            driver.createTopic("burst", Metadata.of("{\"num_partitions\":2}"));
            try (TopicHandle topic = driver.openTopic("burst"); Producer producer = topic.producer()) {
                Metadata md = Metadata.of("{\"k\":1}");
                byte[] data = new byte[100];
                producer.push(md, DataView.of(data)).get(60, TimeUnit.SECONDS); // metadata fetched, connections up
                AtomicLong stored = new AtomicLong();
                AtomicReference<Throwable> error = new AtomicReference<>();
                long before = describesHandled();
                long start = System.nanoTime();
                for (int i = 0; i < EVENTS; i++) {
                    producer.push(md, DataView.of(data), -1, (p, id, err) -> {
                        if (err != null) {
                            error.compareAndSet(null, err);
                        } else {
                            stored.incrementAndGet();
                        }
                    });
                }
                producer.flush().get(60, TimeUnit.SECONDS);
                long elapsed = System.nanoTime() - start;
                long describes = describesHandled() - before;
                assertNull(error.get(), "a push failed");
                assertEquals(EVENTS, stored.get(), "every push completed");
                // one round per interval, one look at the partition count per second (the engine's), and the round
                // in flight at each end; half as much again for kafka-clients' own metadata requests, which the
                // broker counts alike (a driver describing per acknowledged batch sends hundreds of times more)
                long bound = (elapsed / KafkaIncarnation.CONFIRM_INTERVAL_NANOS + elapsed / 1_000_000_000L) * 3 / 2
                        + 5;
                System.out.printf("%d pushes in %d ms: %d describes (bound %d)%n", EVENTS,
                        TimeUnit.NANOSECONDS.toMillis(elapsed), describes, bound);
                assertTrue(describes > 0, "the acknowledgements were checked (" + describes + " describes)");
                assertTrue(describes <= bound, describes + " describes for " + EVENTS + " pushes in "
                        + TimeUnit.NANOSECONDS.toMillis(elapsed) + " ms: more than one per "
                        + TimeUnit.NANOSECONDS.toMillis(KafkaIncarnation.CONFIRM_INTERVAL_NANOS) + " ms (bound "
                        + bound + ")");
            }
        }
    }
}
