package dev.diaspora.stream.rabbitmq;

import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.tck.DriverTck;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The whole TCK against the rabbitmq driver on the real server. The kit names topics {@code tck-<run>-<n>-<test>};
 * each test's topics are deleted after it (only this run's: other builds may share the server), so the shared server does not pile up streams (each holds open files).
 *
 * <p>The deletion is an {@link AfterEachCallback} extension, not an {@code @AfterEach} method: JUnit runs a subclass's
 * {@code @AfterEach} methods before its superclass's, so a method here would delete the streams while the test's
 * driver (closed by {@link DriverTck}'s own after-each, which also checks for leaked threads) still has producers and
 * subscriptions on them. Extension callbacks run after every {@code @AfterEach} method.
 */
class RabbitTckTest extends DriverTck {
    @RegisterExtension
    final AfterEachCallback deleteTopics = context -> RabbitServer.deleteTopics(runTopicPrefix());

    @BeforeAll
    static void server() {
        RabbitServer.assumeStreamPlugin();
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
