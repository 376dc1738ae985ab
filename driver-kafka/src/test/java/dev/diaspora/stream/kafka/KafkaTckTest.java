package dev.diaspora.stream.kafka;

import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.tck.DriverTck;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The whole TCK against the kafka driver, on one embedded KRaft broker shared by the class. */
class KafkaTckTest extends DriverTck {
    private static EmbeddedKafka kafka;

    @BeforeAll
    static void startBroker() throws Exception {
        kafka = EmbeddedKafka.start();
    }

    @AfterAll
    static void stopBroker() throws Exception {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Override
    protected String driverName() {
        return "kafka";
    }

    @Override
    protected Metadata driverOptions(Path dir) {
        return Metadata.of("{\"bootstrap.servers\":\"" + kafka.bootstrapServers() + "\"}");
    }
}
