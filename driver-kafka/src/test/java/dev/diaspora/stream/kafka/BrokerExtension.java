package dev.diaspora.stream.kafka;

import java.util.Map;
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
    private final Map<String, String> config;
    private volatile EmbeddedKafka kafka;

    /** A broker with the kit's defaults (and the broker's own group session-timeout bounds, 6 s to 30 min). */
    BrokerExtension() {
        this(Map.of());
    }

    /** @param config broker configurations on top of the kit's, e.g. {@link EmbeddedKafka#SHORT_GROUP_TIMEOUTS} */
    BrokerExtension(Map<String, String> config) {
        this.config = Map.copyOf(config);
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        kafka = EmbeddedKafka.start(config);
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
