package dev.diaspora.stream.kafka;

import java.util.Map;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

/**
 * A real single-node KRaft broker (combined broker and controller) inside the JVM, from Kafka's test kit. Public
 * because the benchmarks module uses it too (through this module's test-jar).
 *
 * <p>Thread safety: thread-safe (the test kit is); start and close from one thread.
 */
public final class EmbeddedKafka implements AutoCloseable {
    private final KafkaClusterTestKit cluster;

    private EmbeddedKafka(KafkaClusterTestKit cluster) {
        this.cluster = cluster;
    }

    /**
     * Broker settings that let consumer groups use the TCK's short session timeouts (300 ms and up): production
     * brokers refuse session timeouts under {@code group.min.session.timeout.ms}, 6 s by default.
     */
    public static final Map<String, String> SHORT_GROUP_TIMEOUTS = Map.of("group.min.session.timeout.ms", "250");

    /** Formats and starts a broker (broker defaults for groups) in a fresh temporary log directory. */
    public static EmbeddedKafka start() throws Exception {
        return start(Map.of());
    }

    /**
     * Formats and starts a broker in a fresh temporary log directory; returns when it is ready.
     *
     * @param config broker configurations on top of the kit's (for example {@link #SHORT_GROUP_TIMEOUTS})
     */
    public static EmbeddedKafka start(Map<String, String> config) throws Exception {
        KafkaClusterTestKit.Builder builder = new KafkaClusterTestKit.Builder(new TestKitNodes.Builder()
                .setCombined(true).setNumBrokerNodes(1).setNumControllerNodes(1).build());
        config.forEach(builder::setConfigProp);
        KafkaClusterTestKit cluster = builder
                .setConfigProp("offsets.topic.replication.factor", "1")
                .setConfigProp("auto.create.topics.enable", "false")
                .setConfigProp("offsets.topic.num.partitions", "3")
                .setConfigProp("transaction.state.log.replication.factor", "1")
                .setConfigProp("group.initial.rebalance.delay.ms", "0")
                .build();
        try {
            cluster.format();
            cluster.startup();
            cluster.waitForReadyBrokers();
        } catch (Exception e) {
            cluster.close();
            throw e;
        }
        return new EmbeddedKafka(cluster);
    }

    /** @return the broker's {@code host:port} */
    public String bootstrapServers() {
        return cluster.bootstrapServers();
    }

    KafkaClusterTestKit cluster() {
        return cluster;
    }

    /** Stops the broker and deletes its log directory. */
    @Override
    public void close() throws Exception {
        cluster.close();
    }
}
