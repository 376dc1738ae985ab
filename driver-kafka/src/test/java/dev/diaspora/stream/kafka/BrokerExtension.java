package dev.diaspora.stream.kafka;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One {@link EmbeddedKafka} broker per test class: {@code @RegisterExtension static final BrokerExtension BROKER = new
 * BrokerExtension();} starts it before the class's tests and closes it after them.
 *
 * <p>Thread safety: confined to JUnit's class lifecycle; {@link #kafka()} may be read from any test thread.
 */
final class BrokerExtension implements BeforeAllCallback, AfterAllCallback {
    private volatile EmbeddedKafka kafka;

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        kafka = EmbeddedKafka.start();
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        if (kafka != null) {
            kafka.close();
            kafka = null;
        }
    }

    /** @return the running broker */
    EmbeddedKafka kafka() {
        return kafka;
    }
}
