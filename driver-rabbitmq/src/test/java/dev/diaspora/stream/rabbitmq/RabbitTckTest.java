package dev.diaspora.stream.rabbitmq;

import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.tck.DriverTck;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

/**
 * The whole TCK against the rabbitmq driver on the real server. The kit names topics {@code tck-<run>-<n>-<test>};
 * each test's topics are deleted after it, so the shared server does not pile up streams (each holds open files).
 */
class RabbitTckTest extends DriverTck {
    @BeforeAll
    static void server() {
        RabbitServer.assumeStreamPlugin();
    }

    @AfterEach
    void deleteTopics() {
        RabbitServer.deleteTopics("tck-");
    }

    @Override
    protected String driverName() {
        return "rabbitmq";
    }

    @Override
    protected Metadata driverOptions(Path dir) {
        return Metadata.of(RabbitServer.options());
    }
}
