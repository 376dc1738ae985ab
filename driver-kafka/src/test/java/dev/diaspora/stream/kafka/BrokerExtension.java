package dev.diaspora.stream.kafka;

import java.util.Map;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One {@link EmbeddedKafka} cluster per test class: {@code @RegisterExtension static final BrokerExtension BROKER = new
 * BrokerExtension();} starts it before the class's tests and closes it after them.
 *
 * <p>Thread safety: confined to JUnit's class lifecycle; {@link #kafka()} may be read from any test thread.
 */
final class BrokerExtension implements BeforeAllCallback, AfterAllCallback {
    private final int brokers;
    private final SecurityProtocol protocol;
    private final Map<String, String> config;
    private volatile EmbeddedKafka kafka;

    /** A broker with the kit's defaults (and the broker's own group session-timeout bounds, 6 s to 30 min). */
    BrokerExtension() {
        this(Map.of());
    }

    /** @param config broker configurations on top of the kit's, e.g. {@link EmbeddedKafka#SHORT_GROUP_TIMEOUTS} */
    BrokerExtension(Map<String, String> config) {
        this(1, SecurityProtocol.PLAINTEXT, config);
    }

    /**
     * @param brokers the cluster's size
     * @param protocol the brokers' listener (see {@link EmbeddedKafka#start(int, SecurityProtocol, Map)})
     * @param config broker configurations on top of the kit's
     */
    BrokerExtension(int brokers, SecurityProtocol protocol, Map<String, String> config) {
        this.brokers = brokers;
        this.protocol = protocol;
        this.config = Map.copyOf(config);
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        kafka = EmbeddedKafka.start(brokers, protocol, config);
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
