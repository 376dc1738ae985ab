package dev.diaspora.stream.internal.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Map;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.junit.jupiter.api.Test;

/** Names, quoting, values, unregistration, and the {@code diaspora.jmx=false} switch. */
class JmxRegistrationTest {
    private static final MBeanServer SERVER = ManagementFactory.getPlatformMBeanServer();

    private static MetricsMBean bean(long value) {
        return new MetricsMBean("test", List.of(MetricsMBean.Metric.ofLong("Value", "events", "a value", () -> value)));
    }

    @Test
    void registersUnderAQuotedUniqueNameAndUnregistersOnce() throws Exception {
        try (JmxRegistration a = JmxRegistration.register("Test", Map.of("topic", "a,b=\"c\""), bean(7));
                JmxRegistration b = JmxRegistration.register("Test", Map.of("topic", "a,b=\"c\""), bean(8))) {
            ObjectName n = a.name();
            assertNotNull(n, "registered");
            assertEquals("a,b=\"c\"", ObjectName.unquote(n.getKeyProperty("topic")), "the topic name survives quoting");
            assertTrue(!n.equals(b.name()), "two objects of one name get two MBeans");
            assertEquals(7L, SERVER.getAttribute(n, "Value"));
            assertEquals(8L, SERVER.getAttribute(b.name(), "Value"));
            a.close();
            assertFalse(SERVER.isRegistered(n), "closed: unregistered");
            a.close(); // idempotent
        }
    }

    @Test
    void theSystemPropertyTurnsRegistrationOff() {
        String before = System.getProperty(JmxRegistration.ENABLED_PROPERTY);
        System.setProperty(JmxRegistration.ENABLED_PROPERTY, "false");
        try (JmxRegistration r = JmxRegistration.register("Test", Map.of(), bean(1))) {
            assertNull(r.name(), "nothing registered with diaspora.jmx=false");
        } finally {
            if (before == null) {
                System.clearProperty(JmxRegistration.ENABLED_PROPERTY);
            } else {
                System.setProperty(JmxRegistration.ENABLED_PROPERTY, before);
            }
        }
    }
}
