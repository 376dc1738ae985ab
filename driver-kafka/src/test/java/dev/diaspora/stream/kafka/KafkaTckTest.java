package dev.diaspora.stream.kafka;

import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.tck.DriverTck;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The whole TCK against the kafka driver, on one embedded KRaft broker shared by the class. */
class KafkaTckTest extends DriverTck {
    @RegisterExtension
    static final BrokerExtension BROKER = new BrokerExtension();

    @Override
    protected String driverName() {
        return "kafka";
    }

    @Override
    protected Metadata driverOptions(Path dir) {
        return Metadata.of("{\"bootstrap.servers\":\"" + BROKER.kafka().bootstrapServers() + "\"}");
    }
}
