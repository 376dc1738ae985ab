package dev.diaspora.stream.kafka;

import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.tck.DriverTck;
import java.nio.file.Path;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The whole TCK against the kafka driver, on an embedded KRaft cluster of three brokers shared by the class, so that
 * every contract runs with the production defaults the driver picks there (replication factor 3,
 * {@code min.insync.replicas} 2, group offsets replicated 3 times). The brokers accept session timeouts down to
 * 250 ms, so that the group contract's short ones (300 ms to 1 s) are allowed.
 */
class KafkaTckTest extends DriverTck {
    @RegisterExtension
    static final BrokerExtension BROKER = new BrokerExtension(3, SecurityProtocol.PLAINTEXT,
            EmbeddedKafka.SHORT_GROUP_TIMEOUTS);

    @Override
    protected String driverName() {
        return "kafka";
    }

    @Override
    protected Metadata driverOptions(Path dir) {
        return Metadata.of("{\"bootstrap.servers\":\"" + BROKER.kafka().bootstrapServers() + "\"}");
    }
}
