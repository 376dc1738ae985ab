package dev.diaspora.stream.kafka;

import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.InterruptException;
import dev.diaspora.stream.InvalidOptionException;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster an opened driver talks to, as far as topics are concerned: whether it answers (and accepts the
 * credentials), how many brokers it has, and from that how the topics the driver creates are replicated
 * ({@code replication_factor}, {@code min_insync_replicas}, {@code max.message.bytes}), and the warning for topics
 * replicated less.
 *
 * <p>Thread safety: thread-safe (immutable but for the set of topics already warned about).
 */
final class KafkaReplication {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaReplication.class);

    private final KafkaConfig config;
    /** Replication factor of the topics this driver creates (the option, else the cluster's size up to 3). */
    final short replicationFactor;
    /** min.insync.replicas of the topics this driver creates, or 0 for the broker's default. */
    final int minInsyncReplicas;
    /**
     * Replication factor of {@code __diaspora_topics}, which holds every topic's components: at least the default,
     * whatever this driver's {@code replication_factor} (the first driver to open on a cluster creates it).
     */
    final short registryReplicationFactor;
    /** Topics already warned about for too few replicas, so the warning comes once per topic and driver. */
    private final Set<String> underReplicatedWarned = ConcurrentHashMap.newKeySet();

    /** @param brokers the number of brokers in the cluster ({@link #brokers}) */
    KafkaReplication(KafkaConfig config, int brokers) {
        this.config = config;
        this.replicationFactor = config.replicationFactor(brokers);
        this.minInsyncReplicas = config.minInsyncReplicas(replicationFactor);
        this.registryReplicationFactor = (short) Math.max(replicationFactor,
                KafkaConfig.defaultReplicationFactor(brokers));
    }

    /**
     * Checks that the cluster answers (and accepts the credentials) and counts its brokers.
     *
     * @throws DiasporaException naming the bootstrap servers and the timeout, or saying that the credentials were
     *     refused (naming the user, never the password)
     */
    static int brokers(Admin a, KafkaConfig config, long timeout) {
        try {
            return a.describeCluster().nodes().get(timeout, TimeUnit.MILLISECONDS).size();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof SslAuthenticationException) {
                throw new DiasporaException("kafka: the TLS handshake with the Kafka cluster at bootstrap.servers="
                        + config.bootstrap + " failed: " + cause.getMessage() + "; check that the 'kafka' option's"
                        + " ssl.truststore.* trusts the brokers' certificate and that it names the broker's host"
                        + " (ssl.endpoint.identification.algorithm)", cause);
            }
            if (cause instanceof AuthenticationException) {
                throw new DiasporaException("kafka: the Kafka cluster at bootstrap.servers=" + config.bootstrap
                        + " refused the credentials (" + (config.sasl != null ? config.sasl : "the 'kafka' option's"
                        + " security settings") + "): " + cause.getMessage() + "; check the user and password"
                        + " (option 'sasl') and the mechanism the brokers enable", cause);
            }
            throw unreachable(config, timeout, cause);
        } catch (java.util.concurrent.TimeoutException e) {
            throw unreachable(config, timeout, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptException("connecting to Kafka", e);
        }
    }

    private static DiasporaException unreachable(KafkaConfig config, long timeout, Throwable cause) {
        return new DiasporaException("kafka: cannot reach the Kafka cluster at bootstrap.servers=" + config.bootstrap
                + " within " + timeout + " ms (default.api.timeout.ms; set it in the 'kafka' option): " + cause
                + "; check the addresses, that the brokers run and that security.protocol matches their listener",
                cause, true);
    }

    /** @return the configurations of a topic the driver creates */
    Map<String, String> topicConfigs() {
        Map<String, String> configs = new HashMap<>();
        configs.put("message.timestamp.type", "LogAppendTime");
        configs.put("max.message.bytes", String.valueOf(config.maxRequestSize()));
        if (minInsyncReplicas > 0) {
            configs.put("min.insync.replicas", String.valueOf(minInsyncReplicas));
        }
        return configs;
    }

    /** @return true if Kafka refused to create a topic for its replication settings */
    static boolean isRefusal(Throwable cause) {
        return cause instanceof InvalidReplicationFactorException || cause instanceof InvalidConfigurationException;
    }

    /** @return the error for a topic Kafka refused to create for its replication settings, naming the options */
    InvalidOptionException refused(String topic, Throwable cause) {
        return new InvalidOptionException("kafka: cannot create topic '" + topic + "' with replication factor "
                + replicationFactor + (minInsyncReplicas > 0 ? " and min.insync.replicas " + minInsyncReplicas : "")
                + " (driver options 'replication_factor' and 'min_insync_replicas'): " + cause.getMessage(), cause);
    }

    /**
     * Warns (once per topic and driver) when a topic has fewer replicas than the driver gives the topics it creates:
     * typically a topic created outside the driver with the broker's default of 1 on a cluster of 3, which loses
     * acknowledged events with the one broker that holds them. Opening it still works (foreign topics stay readable).
     */
    void warnIfUnderReplicated(TopicDescription d) {
        int replicas = Integer.MAX_VALUE;
        for (TopicPartitionInfo p : d.partitions()) {
            replicas = Math.min(replicas, p.replicas().size());
        }
        if (replicas < replicationFactor && underReplicatedWarned.add(d.name())) {
            LOG.warn("kafka: topic '{}' has {} replica(s) per partition, fewer than the {} this driver gives the topics"
                    + " it creates (bootstrap.servers={}): events acknowledged on it are lost if that broker's disk is;"
                    + " raise its replication with kafka-reassign-partitions, or re-create it with the driver",
                    d.name(), replicas, replicationFactor, config.bootstrap);
        }
    }
}
