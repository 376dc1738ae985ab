package dev.diaspora.stream.kafka;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import kafka.server.BrokerServer;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.apache.kafka.common.test.JaasUtils;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

/**
 * A real KRaft cluster inside the JVM, from Kafka's test kit: one broker (combined broker and controller) or several
 * (node 0 combined, the others brokers only), on a PLAINTEXT or SASL_PLAINTEXT listener
 * (or TLS, through broker settings: see {@code KafkaTlsTest}). Brokers can be stopped and
 * started again, for fault tests. Public because the benchmarks module uses it too (through this module's test-jar).
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
        return start(1, SecurityProtocol.PLAINTEXT, config);
    }

    /**
     * Formats and starts a KRaft cluster of {@code brokers} brokers (node 0 also runs the one controller) in fresh
     * temporary log directories; returns when every broker is ready. Kafka's internal topics (group offsets,
     * transactions) are replicated on up to 3 brokers with {@code min.insync.replicas} up to 2, as in production.
     *
     * @param brokers 1 or more
     * @param protocol the brokers' listener: {@code PLAINTEXT}, or {@code SASL_PLAINTEXT} with mechanism PLAIN and the
     *     users {@link #SASL_ADMIN} (a super user) and {@link #SASL_USER}, passwords {@code <user>-secret}
     * @param config broker configurations on top of the kit's
     */
    public static EmbeddedKafka start(int brokers, SecurityProtocol protocol, Map<String, String> config)
            throws Exception {
        KafkaClusterTestKit.Builder builder = new KafkaClusterTestKit.Builder(new TestKitNodes.Builder()
                .setCombined(true).setNumBrokerNodes(brokers).setNumControllerNodes(1)
                .setBrokerSecurityProtocol(protocol)
                // the kit authorizes SASL clusters: the controller's listener must authenticate its brokers too
                .setControllerSecurityProtocol(protocol == SecurityProtocol.SASL_PLAINTEXT ? protocol
                        : SecurityProtocol.PLAINTEXT).build());
        int replicas = Math.min(3, brokers);
        builder.setConfigProp("offsets.topic.replication.factor", String.valueOf(replicas))
                .setConfigProp("auto.create.topics.enable", "false")
                .setConfigProp("offsets.topic.num.partitions", "3")
                .setConfigProp("transaction.state.log.replication.factor", String.valueOf(replicas))
                .setConfigProp("transaction.state.log.min.isr", String.valueOf(Math.min(2, brokers)))
                .setConfigProp("group.initial.rebalance.delay.ms", "0");
        config.forEach(builder::setConfigProp);
        KafkaClusterTestKit cluster = builder.build();
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

    /** The super user of a {@code SASL_PLAINTEXT} cluster; its password is {@code plain-admin-secret}. */
    public static final String SASL_ADMIN = JaasUtils.KAFKA_PLAIN_ADMIN;
    /** The password of {@link #SASL_ADMIN}. */
    public static final String SASL_ADMIN_PASSWORD = JaasUtils.KAFKA_PLAIN_ADMIN_PASSWORD;
    /** A user without ACLs of a {@code SASL_PLAINTEXT} cluster. */
    public static final String SASL_USER = JaasUtils.KAFKA_PLAIN_USER1;

    /** @return the ids of the brokers, ascending */
    public List<Integer> brokerIds() {
        return new ArrayList<>(new TreeSet<>(cluster.brokers().keySet()));
    }

    /** Stops broker {@code id} (a clean shutdown: its partitions' leadership moves to the other replicas). */
    public void stopBroker(int id) {
        BrokerServer broker = broker(id);
        broker.shutdown();
        broker.awaitShutdown();
    }

    /** Starts broker {@code id} again, with its log directory and port, after {@link #stopBroker}. */
    public void startBroker(int id) {
        broker(id).startup();
    }

    private BrokerServer broker(int id) {
        BrokerServer broker = cluster.brokers().get(id);
        if (broker == null) {
            throw new IllegalArgumentException("no broker " + id + "; brokers: " + brokerIds());
        }
        return broker;
    }

    /** @return the brokers' {@code host:port,...} */
    public String bootstrapServers() {
        return cluster.bootstrapServers();
    }

    KafkaClusterTestKit cluster() {
        return cluster;
    }

    /** Stops the brokers and the controller and deletes their log directories. */
    @Override
    public void close() throws Exception {
        cluster.close();
    }
}
