package dev.diaspora.stream.kafka;

import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.tck.DriverTck;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The whole TCK against the kafka driver, on one embedded KRaft broker shared by the class. The broker accepts session
 * timeouts down to 250 ms, so that the group contract's short ones (300 ms to 1 s) are allowed.
 */
class KafkaTckTest extends DriverTck {
    @RegisterExtension
    static final BrokerExtension BROKER = new BrokerExtension(EmbeddedKafka.SHORT_GROUP_TIMEOUTS);

    @Override
    protected String driverName() {
        return "kafka";
    }

    @Override
    protected Metadata driverOptions(Path dir) {
        return Metadata.of("{\"bootstrap.servers\":\"" + BROKER.kafka().bootstrapServers() + "\"}");
    }
}
