package dev.diaspora.stream.examples.kafka;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Runs the Kafka example against a real single-node KRaft broker started in this JVM. */
class KafkaExampleTest {
    @Test
    @Timeout(180)
    void shouldProduceAndConsumeThroughARealBroker() throws Exception {
        try (KafkaClusterTestKit cluster = new KafkaClusterTestKit.Builder(new TestKitNodes.Builder()
                .setCombined(true).setNumBrokerNodes(1).setNumControllerNodes(1).build())
                .setConfigProp("offsets.topic.replication.factor", "1")
                .setConfigProp("offsets.topic.num.partitions", "1")
                .setConfigProp("transaction.state.log.replication.factor", "1")
                .setConfigProp("group.initial.rebalance.delay.ms", "0")
                .build()) {
            cluster.format();
            cluster.startup();
            cluster.waitForReadyBrokers();
            PrintStream old = System.out;
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            try {
                KafkaExample.main(new String[] {"--bootstrap", cluster.bootstrapServers(), "--events", "12"});
            } finally {
                System.setOut(old);
            }
            String text = out.toString(StandardCharsets.UTF_8);
            assertTrue(text.contains("produced 12 events"), text);
            assertTrue(text.contains("consumed 12 events"), text);
            assertTrue(text.contains("'frame 11'"), text);
        }
    }
}
